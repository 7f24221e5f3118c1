import { WebClient } from '@slack/web-api';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import { boltLogger } from '../slack/bolt-logger';
import { DELIVERY_METADATA_TYPE } from './delivery-record';

/* The outbox's Slack calls: its own client, each call's outcome classified, and the look for an earlier post. */
export type SlackOutcome =
  | { ok: true; data: Record<string, unknown> }
  /** HTTP 429: certainly not done; wait Retry-After. */
  | { ok: false; kind: 'ratelimited'; retryAfterMs: number; error: string }
  /** 5xx, network error, timeout: it may or may not have happened. */
  | { ok: false; kind: 'transient'; error: string }
  /** Slack refused (channel_not_found, invalid_blocks…): retrying will not help. */
  | { ok: false; kind: 'permanent'; error: string };

/** Slack error codes worth another try (Slack's own "try again" answers). */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_not_ready']);

/**
 * One Web API call with its outcome classified for the outbox, counted in
 * mlops_slack_api_calls_total{method,result}. Never throws.
 */
export async function callSlack(client: WebClient, method: string, args: Record<string, unknown>, metrics: Metrics): Promise<SlackOutcome> {
  try {
    const data = (method === 'files.uploadV2'
      ? await client.filesUploadV2(args as unknown as Parameters<WebClient['filesUploadV2']>[0])
      : await client.apiCall(method, args)) as unknown as Record<string, unknown>;
    metrics.slackApiCalls.inc({ method, result: 'ok' });
    return { ok: true, data };
  } catch (error) {
    const outcome = classify(error);
    metrics.slackApiCalls.inc({ method, result: outcome.kind === 'ratelimited' ? 'ratelimited' : 'error' });
    return outcome;
  }
}

function classify(error: unknown): Exclude<SlackOutcome, { ok: true }> {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return { ok: false, kind: 'ratelimited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000, error: 'ratelimited' };
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      if (code === 'ratelimited') return { ok: false, kind: 'ratelimited', retryAfterMs: 1000, error: code };
      return { ok: false, kind: TRANSIENT_ERRORS.has(code) ? 'transient' : 'permanent', error: code };
    }
    case 'slack_webapi_http_error':
      return { ok: false, kind: 'transient', error: `HTTP ${e.statusCode ?? '?'}` };
    default:
      // Request errors (network, timeout) and anything unexpected: the call may have happened.
      return { ok: false, kind: 'transient', error: e.message ?? String(error) };
  }
}

/** A delivery call that takes longer is abandoned (its outcome is then checked in Slack before any retry). */
export const DELIVERY_SLACK_TIMEOUT_MS = 6000;

/**
 * The outbox's own Web API client, built from the bot's delivery client (same token and URL) but
 * with NO automatic retries: a retried chat.postMessage after a timeout or a 5xx could post a
 * second copy. The outbox retries itself, after looking for the message in Slack. 429s come
 * back at once (rejectRateLimitedCalls) so the outbox can wait for that channel only.
 */
export function createDeliverySlackClient(base: WebClient, logger: Logger): WebClient {
  return new WebClient(base.token, {
    slackApiUrl: base.slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: DELIVERY_SLACK_TIMEOUT_MS,
    logger: boltLogger(logger.child({ component: 'slack-delivery' })),
  });
}

/** How far before the attempt to look (clock skew between us and Slack). */
const LOOKBACK_MS = 120_000;
const PAGE_SIZE = 200;
const MAX_PAGES = 10;

export type FindOutcome = { found: true; ts: string } | { found: false } | { error: Exclude<SlackOutcome, { ok: true }> };

/**
 * Looks in Slack for a message an earlier attempt may have posted before it could record the
 * answer (crash, timeout, 5xx): top-level messages with conversations.history, thread replies
 * with conversations.replies, both with include_all_metadata and `oldest` = the attempt time
 * minus a margin. A message matches by its metadata delivery id, or (file uploads) by file name,
 * and only if this bot posted it (bot_id or bot user id from the startup auth.test).
 */
export async function findPostedMessage(
  client: WebClient,
  metrics: Metrics,
  opts: {
    channel: string;
    deliveryId: string;
    threadTs?: string;
    attemptAt: string;
    filename?: string;
    /** This bot's ids (startup auth.test): only its own messages count. Undefined: not known yet. */
    self: { botId: string; botUserId: string } | undefined;
  },
): Promise<FindOutcome> {
  // Another app (or a person's workflow) can post a message carrying any metadata: trusting it
  // would drop our message. Without our ids there is no telling, so the look is tried again later.
  if (opts.self === undefined) return { error: { ok: false, kind: 'transient', error: "the bot's own Slack ids are not known yet (auth.test pending)" } };
  const self = opts.self;
  const oldest = ((Date.parse(opts.attemptAt) - LOOKBACK_MS) / 1000).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const args: Record<string, unknown> = {
      channel: opts.channel,
      oldest,
      limit: PAGE_SIZE,
      include_all_metadata: true,
      ...(opts.threadTs !== undefined ? { ts: opts.threadTs } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    };
    const res = await callSlack(client, opts.threadTs !== undefined ? 'conversations.replies' : 'conversations.history', args, metrics);
    if (!res.ok) return { error: res };
    const messages = (res.data['messages'] ?? []) as {
      ts?: string;
      bot_id?: string;
      user?: string;
      metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
      files?: { name?: string }[];
    }[];
    for (const m of messages) {
      if (m.bot_id !== self.botId && m.user !== self.botUserId) continue;
      const byMetadata = m.metadata?.event_type === DELIVERY_METADATA_TYPE && m.metadata.event_payload?.['delivery_id'] === opts.deliveryId;
      const byFile = opts.filename !== undefined && (m.files ?? []).some((f) => f.name === opts.filename);
      if ((byMetadata || byFile) && typeof m.ts === 'string') return { found: true, ts: m.ts };
    }
    const next = (res.data['response_metadata'] as { next_cursor?: string } | undefined)?.next_cursor;
    if (next === undefined || next === '') return { found: false };
    cursor = next;
  }
  return { found: false };
}
