import type { Clock } from '../core/ports';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import type { SlackMessage } from '../../views/slack-message';
import type { BackgroundMessageType } from './delivery-record';
import { messageDeliveryStatus, type RecordMessage } from './record-message';

/** How long the caller waits for the outbox to post (it goes on posting after that). */
export const DEFAULT_OUTBOX_WAIT_MS = 5000;
const POLL_MS = 100;

/**
 * Posts a message through the outbox (exactly once, paced) in the first of `channels` that takes
 * it (Slack refusing one for good, e.g. not_in_channel, moves it to the next), and waits a bounded
 * time for the outcome:
 * - `{channel, ts}` once posted;
 * - undefined when every channel refused it (nothing was posted: the caller may answer otherwise);
 * - `{channel, ts: ''}` when Slack has not confirmed yet (slow or unreachable): it WILL be posted
 *   once, in that channel or a fallback, and a `runKey` run is linked to it then. '' is "thread not
 *   known yet" for the run record (delivery and the watchdog treat it as unset).
 */
export async function postThroughOutbox(
  deps: { store: Store; clock: Clock; recordMessage: RecordMessage },
  opts: {
    key: string;
    type: BackgroundMessageType;
    channels: readonly (string | undefined)[];
    message: SlackMessage;
    model?: string;
    runId?: string;
    runKey?: string;
    waitMs?: number;
  },
  log: Logger,
): Promise<{ channel: string; ts: string } | undefined> {
  const chain = [...new Set(opts.channels)].filter((c): c is string => c !== undefined && c !== '');
  const [first, ...fallbacks] = chain;
  if (first === undefined) return undefined;
  const recorded = await deps.recordMessage(
    opts.key,
    {
      type: opts.type,
      message: opts.message,
      targets: [{ channel: first, ...(fallbacks.length > 0 ? { fallbacks } : {}) }],
      ...(opts.model !== undefined ? { model: opts.model } : {}),
      ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
      ...(opts.runKey !== undefined ? { runKey: opts.runKey } : {}),
    },
    deps.clock.now(),
  );
  // Real time: how long this caller waits, not the bot's (injectable) clock.
  const deadline = performance.now() + (opts.waitMs ?? DEFAULT_OUTBOX_WAIT_MS);
  for (;;) {
    const status = await messageDeliveryStatus(deps.store, recorded.id, chain);
    if (status.state === 'posted') return { channel: status.channel, ts: status.ts };
    if (status.state === 'failed') {
      log.warn({ channels: chain }, 'the message could be posted in none of the channels');
      return undefined;
    }
    if (performance.now() >= deadline) {
      log.info({ postChannel: first }, 'Slack has not confirmed the message yet; the outbox posts it once Slack answers');
      return { channel: first, ts: '' };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
