import { ErrorCode as SlackErrorCode, type WebClient } from '@slack/web-api';
import type { Metrics } from '../observability/create-metrics';
import type { SlackMessage } from '../../views/slack-message';

/** Where a watchdog message goes: a channel, or a thread in it. */
export interface SlackTarget {
  channel: string;
  threadTs?: string;
  /** Also show a thread reply in the channel (failure alerts). */
  broadcast?: boolean;
}

export type PostResult =
  | { status: 'posted'; ts?: string }
  /** Rate limited, Slack or network trouble: try again next tick. */
  | { status: 'retry'; error: string }
  /** Slack refused for good (channel_not_found, not_in_channel, is_archived…): retrying cannot help. */
  | { status: 'refused'; error: string };

/** Platform errors that are about Slack's state, not the request: retry. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * chat.postMessage with the delivery client, whose 429s come back at once (no client-side wait):
 * the watchdog simply tries again on its next tick.
 */
export async function postWatchdogMessage(client: WebClient, metrics: Metrics, target: SlackTarget, message: SlackMessage): Promise<PostResult> {
  try {
    const base = { channel: target.channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false };
    const res = await client.chat.postMessage(
      target.threadTs === undefined ? base : { ...base, thread_ts: target.threadTs, reply_broadcast: target.broadcast === true },
    );
    metrics.slackApiCalls.inc({ method: 'chat.postMessage', result: 'ok' });
    return { status: 'posted', ...(typeof res.ts === 'string' ? { ts: res.ts } : {}) };
  } catch (error) {
    const e = error as { code?: string; data?: { error?: string }; message?: string };
    if (e.code === SlackErrorCode.RateLimitedError) {
      metrics.slackApiCalls.inc({ method: 'chat.postMessage', result: 'ratelimited' });
      return { status: 'retry', error: 'ratelimited' };
    }
    metrics.slackApiCalls.inc({ method: 'chat.postMessage', result: 'error' });
    if (e.code === SlackErrorCode.PlatformError) {
      const code = e.data?.error ?? 'unknown_error';
      return TRANSIENT_PLATFORM_ERRORS.has(code) ? { status: 'retry', error: code } : { status: 'refused', error: code };
    }
    return { status: 'retry', error: e.code ?? e.message ?? 'unknown error' };
  }
}
