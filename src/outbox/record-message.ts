import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../core/ports';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import { EVENT_TTL_MS, storeKeys } from '../store/store-keys';
import { updateJsonWith } from '../store/update-json';
import type { SlackMessage } from '../../views/slack-message';
import {
  deliveryIdFor,
  enqueueDeliveries,
  updateIdFor,
  updateQueueItem,
  type BackgroundMessageType,
  type BackgroundUpdateType,
  type DeliveryRecord,
  type MessageUpdateRecord,
  type RecordedMessage,
  type RecordOutcome,
} from './delivery-record';

/**
 * Ids of background messages share the recorded-item key space with pipeline event ids: the
 * prefix keeps the bot's own ids apart from the ids pipelines send.
 */
const ID_PREFIX = 'bot-message:';

export type BackgroundMessage = Omit<RecordedMessage, 'kind' | 'source' | 'receivedAt'>;

export interface RecordedMessageOutcome {
  outcome: RecordOutcome;
  /** The outbox id of the message (for deliveryStatus). */
  id: string;
  /** When it was first recorded (an earlier recording's time for a duplicate). */
  recordedAt: Date;
}

function parse(raw: string | null): RecordedMessage | undefined {
  if (raw === null) return undefined;
  try {
    const item = JSON.parse(raw) as { kind?: string };
    return item.kind === 'message' ? (item as RecordedMessage) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records a message the bot sends in the background (run watchdog, `/mlops train`) into the
 * outbox, once per `key`: the item, its dedup marker and its inbox entry in one atomic
 * recordUnique, like a pipeline event. The delivery worker then posts it exactly once per target
 * (a claim before the post, the delivery id in its metadata, a look in Slack before any retry),
 * paced per channel. Rejects (StoreUnavailable) when the store does not answer: the caller tries
 * again later, and a second recording of the same key is a no-op.
 */
export function createMessageRecorder(deps: { store: Store; onRecorded?: () => void }) {
  return async function recordMessage(key: string, message: BackgroundMessage, at: Date): Promise<RecordedMessageOutcome> {
    const id = `${ID_PREFIX}${key}`;
    const recorded: RecordedMessage = { kind: 'message', ...message, source: 'internal', receivedAt: at.toISOString() };
    const isNew = await deps.store.recordUnique(storeKeys.event(id), JSON.stringify(recorded), EVENT_TTL_MS, storeKeys.inbox(), id);
    if (isNew) {
      deps.onRecorded?.();
      return { outcome: 'recorded', id, recordedAt: at };
    }
    const existing = parse(await deps.store.get(storeKeys.event(id)));
    return { outcome: 'duplicate', id, recordedAt: existing !== undefined ? new Date(existing.receivedAt) : at };
  };
}
export type RecordMessage = ReturnType<typeof createMessageRecorder>;

/** When the message `key` was recorded, if it was (and is still remembered: EVENT_TTL_MS). */
export async function messageRecordedAt(store: Store, key: string): Promise<Date | undefined> {
  const item = parse(await store.get(storeKeys.event(`${ID_PREFIX}${key}`)));
  return item !== undefined ? new Date(item.receivedAt) : undefined;
}

export type MessageDeliveryStatus =
  | { state: 'posted'; channel: string; ts: string }
  /** Slack refused it in every channel tried (or it was given up). */
  | { state: 'failed' }
  /** Not planned or not sent yet, or its outcome is being confirmed. */
  | { state: 'pending' };

/**
 * Where a recorded message with one target (and its fallbacks) stands: posted in the first
 * channel of the chain that took it, failed when every channel of the chain failed, else pending.
 */
export async function messageDeliveryStatus(store: Store, id: string, chain: readonly string[]): Promise<MessageDeliveryStatus> {
  for (const channel of chain) {
    const raw = await store.get(storeKeys.delivery(deliveryIdFor(id, channel, 'main')));
    if (raw === null) return { state: 'pending' };
    const d = JSON.parse(raw) as DeliveryRecord;
    if ((d.state === 'posted' || d.state === 'done') && d.ts !== undefined && d.ts !== '') return { state: 'posted', channel, ts: d.ts };
    if (d.state !== 'failed') return { state: 'pending' };
  }
  return { state: 'failed' };
}

/** Update records live as long as deliveries (a message is not updated a week after its last change). */
const UPDATE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Queues a chat.update of a message the bot posted (`channel` + `ts`) into the outbox: the
 * delivery worker sends it paced with that channel's posts, retries it through 429s, 5xx and lost
 * answers, and coalesces updates queued before it got to them into one call with the latest
 * content. With `version` (e.g. the candidate's rev), a content older than the one queued or shown
 * is ignored, whatever order concurrent callers arrive in. Resolves once queued (not once shown);
 * rejects (StoreUnavailable) when the store does not answer.
 */
export function createMessageUpdater(deps: { store: Store; clock: Clock; onQueued?: (channel: string) => void }) {
  return async function updateMessage(
    target: { channel: string; ts: string },
    message: SlackMessage,
    opts: { type: BackgroundUpdateType; version?: number },
  ): Promise<void> {
    const id = updateIdFor(target.channel, target.ts);
    const queue = storeKeys.channelOutbox(target.channel);
    const queued = await updateJsonWith<MessageUpdateRecord, boolean>(deps.store, storeKeys.delivery(id), { ttlMs: UPDATE_TTL_MS }, async (current) => {
      if (opts.version !== undefined && current?.version !== undefined && opts.version < current.version) return { result: false };
      const now = deps.clock.now().toISOString();
      // A record with work pending already has its item in the channel queue. Otherwise an item goes
      // in BEFORE the record says queued (a crash in between leaves an item whose record has nothing
      // to do, dropped by the worker, never a queued record without an item); a repeat of this
      // decision after a lost race only adds such a harmless item.
      if (current === undefined || current.state === 'done' || current.state === 'failed')
        await deps.store.push(queue, updateQueueItem(id, randomUUID().slice(0, 8)));
      const next: MessageUpdateRecord = {
        ...(current ?? { kind: 'update', id, channel: target.channel, ts: target.ts, createdAt: now, rev: 0 }),
        type: opts.type,
        message,
        ...(opts.version !== undefined ? { version: opts.version } : {}),
        rev: (current?.rev ?? 0) + 1,
        state: 'queued',
        attempts: 0,
        updatedAt: now,
      };
      delete next.error;
      return { write: next, result: true };
    });
    if (!queued) return;
    // After the push, so that a channel is always listed once it has work.
    await deps.store.setAdd(storeKeys.outboxChannels(), target.channel);
    deps.onQueued?.(target.channel);
  };
}
export type UpdateMessage = ReturnType<typeof createMessageUpdater>;

/**
 * The newest `version` queued (or already shown) for a message the bot posted: what a caller
 * that passes versions (the candidate card: its record's rev) can check to know whether its
 * latest content reached the outbox. Undefined when nothing versioned was queued (or the update
 * record expired).
 */
export async function queuedUpdateVersion(store: Store, target: { channel: string; ts: string }): Promise<number | undefined> {
  const raw = await store.get(storeKeys.delivery(updateIdFor(target.channel, target.ts)));
  if (raw === null) return undefined;
  const version = (JSON.parse(raw) as Partial<MessageUpdateRecord>).version;
  return typeof version === 'number' ? version : undefined;
}

/** Plans a recorded background message: one delivery per target, its placement fixed now (a thread, or top level). */
export async function planBackgroundMessage(ctx: { store: Store; clock: Clock }, id: string, recorded: RecordedMessage): Promise<string[]> {
  const now = ctx.clock.now().toISOString();
  const targets = recorded.targets.filter((t, i, all) => all.findIndex((o) => o.channel === t.channel) === i);
  await enqueueDeliveries(
    ctx.store,
    targets.map((target, i) => ({
      id: deliveryIdFor(id, target.channel, 'main'),
      eventId: id,
      eventType: recorded.type,
      ...(recorded.model !== undefined ? { model: recorded.model } : {}),
      ...(recorded.runId !== undefined ? { runId: recorded.runId } : {}),
      channel: target.channel,
      role: 'main' as const,
      primary: i === 0,
      state: 'queued' as const,
      attempts: 0,
      placement:
        target.threadTs !== undefined && target.threadTs !== ''
          ? {
              kind: 'reply' as const,
              threadTs: target.threadTs,
              ...(target.broadcast === true ? { broadcast: true } : {}),
              ...(target.updateRun !== undefined ? { update: { kind: 'run' as const, runKey: target.updateRun } } : {}),
            }
          : { kind: 'top' as const, root: 'plain' as const, ...(recorded.runKey !== undefined ? { runKey: recorded.runKey } : {}) },
      createdAt: now,
      updatedAt: now,
    })),
  );
  return targets.map((t) => t.channel);
}

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
    await sleep(POLL_MS);
  }
}
