import { createHash } from 'node:crypto';
import { backoffDelayMs, type BackoffPolicy } from '../core/backoff-delay';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import {
  DELIVERY_METADATA_TYPE,
  DELIVERY_TTL_MS,
  deliveryIdFor,
  isRecordedMessage,
  loadRecordedItem,
  type DeliveryRecord,
  type OutboxContext,
  type OutboxItem,
  type Placement,
  type RecordedMessage,
  type Rendered,
  type RootUpdate,
} from './delivery-record';
import { callSlack, DELIVERY_SLACK_TIMEOUT_MS, findPostedMessage, type SlackOutcome } from './outbox-slack';

/**
 * The outbox's scheduling time. Record timestamps (createdAt, updatedAt) come from the Clock port;
 * scheduling stays in real wall-clock time: backoffs, pacing, Retry-After, attemptAt and the
 * in-flight grace time Slack calls and timers, and are compared across replicas and with Slack's
 * own clock (a test clock standing still must not stop deliveries).
 */
export const realNowMs = (): number => Date.now();

/**
 * Tries of one message (posts, and looks in Slack for an earlier post) before it is given up:
 * marked failed, logged, counted in mlops_events_failed_total and mlops_delivery_given_up_total.
 * With the default backoff (2 s doubling to 5 min, equal jitter) that is about 12 to 24 minutes of
 * Slack being unreachable.
 */
export const MAX_DELIVERY_TRIES = 12;
export const DEFAULT_DELIVERY_BACKOFF: BackoffPolicy = { baseMs: 2000, maxMs: 300_000 };
/** An attempt of another worker may still be on the wire until its client gives up, plus a margin. */
export const IN_FLIGHT_GRACE_MS = DELIVERY_SLACK_TIMEOUT_MS + 2000;
const MAX_ROOT_UPDATE_FAILURES = 4;
/** Settled attempts remembered (oldest forgotten first: forgetting one only costs a grace wait). */
const MAX_SETTLED = 10_000;

/**
 * When each channel may get its next chat.postMessage: about one per second per channel
 * (Slack's posting limit), measured from the END of the previous call so that network jitter
 * cannot bring two posts closer than the interval at Slack's side; and not before a 429's
 * Retry-After for that channel. Channels never wait for each other. In memory: after a restart
 * the first post of a channel may come early, and Slack's 429 then paces it.
 */
export class ChannelPacer {
  private readonly next = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}

  readyAt(channel: string): number {
    return this.next.get(channel) ?? 0;
  }

  /** A post to the channel just returned (whatever its outcome). */
  posted(channel: string, atMs: number): void {
    this.blockUntil(channel, atMs + this.intervalMs);
  }

  blockUntil(channel: string, untilMs: number): void {
    this.next.set(channel, Math.max(this.readyAt(channel), untilMs));
  }
}

/** Per-process state of the sender (one per worker). */
export interface SenderState {
  /** This worker's id, written into claimed deliveries. */
  owner: string;
  pacer: ChannelPacer;
  /** `<id>#<attempt>` of attempts whose Slack call has returned: nothing of ours is on the wire for them. */
  settled: Set<string>;
  /** chat.update is rate limited per workspace, not per channel. */
  updateBlockedUntil: number;
  rootUpdateFailures: Map<string, number>;
  /** Backoff between tries of one message (and of thread-root updates). */
  backoff: BackoffPolicy;
  maxTries: number;
  random: () => number;
}

export type StepResult = { kind: 'next' } | { kind: 'wait'; untilMs: number };

export const NEXT: StepResult = { kind: 'next' };
export const waitUntil = (untilMs: number): StepResult => ({ kind: 'wait', untilMs });
/** Tries so far: posts and looks in Slack both count (a look that fails is a try that failed). */
const triesOf = (d: DeliveryRecord) => d.attempts + (d.checks ?? 0);

/**
 * Advances one delivery as far as it can go now, exactly once:
 * - queued: decide where it goes, render, claim it (compare-and-set to `sending` with the
 *   attempt time), post with `metadata.event_payload.delivery_id`, record the ts (`posted`).
 * - sending (an attempt whose outcome is unknown: crash, timeout, 5xx): once no attempt can
 *   still be on the wire, look for the delivery id in Slack; found → posted, else post again.
 * - posted: bookkeeping (run thread, alert group, candidate message) and the thread root's
 *   update, all idempotent; then done.
 * 429 → back to queued, that channel waits Retry-After. Permanent errors → failed, logged, counted.
 * Returns `next` when the delivery is finished (done or failed) and `wait` otherwise.
 */
export async function processDelivery(ctx: OutboxContext, st: SenderState, id: string): Promise<StepResult> {
  const key = storeKeys.delivery(id);
  for (let round = 0; round < 10; round++) {
    const raw = await ctx.store.get(key);
    if (raw === null) {
      ctx.logger.warn({ deliveryId: id }, 'delivery: record is gone (expired?); dropped from the queue');
      return NEXT;
    }
    const d = JSON.parse(raw) as DeliveryRecord;
    const log = ctx.logger.child({
      deliveryId: id,
      eventId: d.eventId,
      eventType: d.eventType,
      model: d.model,
      version: d.version,
      runId: d.runId,
      channel: d.channel,
    });
    if (d.state === 'done' || d.state === 'failed') return NEXT;
    // A retry waits its backoff whoever kicks the channel (polls, sweeps, other messages, restarts).
    const notBefore = Date.parse(d.nextAttemptAt ?? '');
    if ((d.state === 'queued' || d.state === 'sending') && notBefore > realNowMs()) return waitUntil(notBefore);
    if (d.state === 'posted') {
      const result = await finish(ctx, st, raw, d, log);
      if (result === 'conflict') continue;
      return result;
    }
    if (d.state === 'sending') {
      const attemptMs = Date.parse(d.attemptAt ?? '') || 0;
      const settled = d.owner === st.owner && st.settled.has(`${d.id}#${d.attempts}`);
      if (!settled && realNowMs() < attemptMs + IN_FLIGHT_GRACE_MS) return waitUntil(attemptMs + IN_FLIGHT_GRACE_MS);
      const threadTs = d.placement?.kind === 'reply' ? d.placement.threadTs : undefined;
      const found = await findPostedMessage(ctx.client, ctx.metrics, {
        channel: d.channel,
        deliveryId: d.id,
        attemptAt: d.attemptAt ?? new Date(0).toISOString(),
        ...(threadTs !== undefined ? { threadTs } : {}),
        ...(d.filename !== undefined ? { filename: d.filename } : {}),
        self: ctx.self?.(),
      });
      if ('error' in found) {
        if (found.error.kind === 'permanent') {
          if (await fail(ctx, raw, d, `could not check whether it was posted: ${found.error.error}`, log, { reason: 'refused' })) return NEXT;
          continue;
        }
        // A failed look is a try: with Slack unreachable, looks must back off and run out too. A 429
        // is Slack pacing the history calls (1 a minute for some apps), not a failure: it only waits.
        const limited = found.error.kind === 'ratelimited';
        const checked: DeliveryRecord = {
          ...d,
          checks: (d.checks ?? 0) + (limited ? 0 : 1),
          error: `check failed: ${found.error.error}`,
          updatedAt: ctx.clock.now().toISOString(),
        };
        if (triesOf(checked) >= st.maxTries) {
          if (await giveUp(ctx, raw, checked, log)) return NEXT;
          continue;
        }
        const wait = found.error.kind === 'ratelimited' ? found.error.retryAfterMs : backoffDelayMs(triesOf(checked), st.backoff, st.random);
        const next: DeliveryRecord = { ...checked, nextAttemptAt: new Date(realNowMs() + wait).toISOString() };
        if (!(await ctx.store.compareAndSet(key, raw, JSON.stringify(next), DELIVERY_TTL_MS))) continue;
        log.warn({ error: found.error.error, tries: triesOf(checked), retryInMs: wait }, 'delivery: could not check Slack for an earlier attempt; will retry');
        return waitUntil(realNowMs() + wait);
      }
      if (found.found) {
        log.info({ ts: found.ts }, 'delivery: an earlier attempt had posted it; not posting again');
        const posted: DeliveryRecord = { ...d, state: 'posted', ts: found.ts, updatedAt: ctx.clock.now().toISOString() };
        if (!(await ctx.store.compareAndSet(key, raw, JSON.stringify(posted), DELIVERY_TTL_MS))) continue;
        const result = await finish(ctx, st, JSON.stringify(posted), posted, log);
        if (result === 'conflict') continue;
        return result;
      }
    }
    const result = await attempt(ctx, st, raw, d, log);
    if (result === 'conflict') continue;
    return result;
  }
  return waitUntil(realNowMs() + 1000);
}

async function attempt(ctx: OutboxContext, st: SenderState, raw: string, d: DeliveryRecord, log: Logger): Promise<StepResult | 'conflict'> {
  if (triesOf(d) >= st.maxTries) return (await giveUp(ctx, raw, d, log)) ? NEXT : 'conflict';
  const readyAt = st.pacer.readyAt(d.channel);
  if (realNowMs() < readyAt) return waitUntil(readyAt);
  const item = await loadRecordedItem(ctx.store, d.eventId);
  if (item === undefined) return (await fail(ctx, raw, d, 'its recorded event is gone (expired)', log, { reason: 'expired' })) ? NEXT : 'conflict';

  const prepared = await ctx.content.prepare(d, item);
  if (!prepared.ok) {
    if ('wait' in prepared) return waitUntil(realNowMs() + 500);
    return (await fail(ctx, raw, d, prepared.fail, log, { reason: 'unrenderable' })) ? NEXT : 'conflict';
  }
  const { placement, enrichment, rendered } = prepared;

  const claimed: DeliveryRecord = {
    ...d,
    state: 'sending',
    attempts: d.attempts + 1,
    attemptAt: new Date(realNowMs()).toISOString(),
    owner: st.owner,
    placement,
    ...(enrichment !== undefined ? { enrichment } : {}),
    ...(rendered.kind === 'file' ? { filename: `error-${createHash('sha256').update(d.id).digest('hex').slice(0, 16)}.txt` } : {}),
    updatedAt: ctx.clock.now().toISOString(),
  };
  const claimedRaw = JSON.stringify(claimed);
  const key = storeKeys.delivery(d.id);
  if (!(await ctx.store.compareAndSet(key, raw, claimedRaw, DELIVERY_TTL_MS))) return 'conflict';

  const outcome = await post(ctx, claimed, placement, rendered);
  const now = realNowMs();
  st.settled.add(`${claimed.id}#${claimed.attempts}`);
  if (st.settled.size > MAX_SETTLED) for (const key of st.settled) if (st.settled.delete(key) && st.settled.size <= MAX_SETTLED / 2) break;
  st.pacer.posted(d.channel, now);
  if (outcome.ok) {
    const ts = typeof outcome.data['ts'] === 'string' ? outcome.data['ts'] : placement.kind === 'reply' ? placement.threadTs : '';
    const posted: DeliveryRecord = { ...claimed, state: 'posted', ts, updatedAt: ctx.clock.now().toISOString() };
    delete posted.error;
    if (!(await ctx.store.compareAndSet(key, claimedRaw, JSON.stringify(posted), DELIVERY_TTL_MS))) return 'conflict';
    log.debug({ ts, attempt: claimed.attempts }, 'delivery: posted');
    const result = await finish(ctx, st, JSON.stringify(posted), posted, log);
    return result;
  }
  if (outcome.kind === 'ratelimited') {
    // Certainly not posted: queued again, and only this channel waits.
    st.pacer.blockUntil(d.channel, now + outcome.retryAfterMs);
    log.warn({ retryAfterMs: outcome.retryAfterMs }, 'delivery: Slack rate limited this channel; waiting Retry-After');
    // Retry-After is the channel's (the pacer holds it), not this message's: no nextAttemptAt.
    const requeued: DeliveryRecord = { ...claimed, state: 'queued', attempts: d.attempts, error: 'ratelimited', updatedAt: ctx.clock.now().toISOString() };
    if (!(await ctx.store.compareAndSet(key, claimedRaw, JSON.stringify(requeued), DELIVERY_TTL_MS))) return 'conflict';
    return waitUntil(now + outcome.retryAfterMs);
  }
  if (outcome.kind === 'transient') {
    // Maybe posted: stays `sending`; the next attempt first looks for it in Slack.
    const wait = backoffDelayMs(triesOf(claimed), st.backoff, st.random);
    st.pacer.blockUntil(d.channel, now + wait);
    log.warn({ error: outcome.error, attempt: claimed.attempts, retryInMs: wait }, 'delivery: Slack did not confirm the post; will check and retry');
    const noted: DeliveryRecord = {
      ...claimed,
      error: outcome.error,
      nextAttemptAt: new Date(now + wait).toISOString(),
      updatedAt: ctx.clock.now().toISOString(),
    };
    if (!(await ctx.store.compareAndSet(key, claimedRaw, JSON.stringify(noted), DELIVERY_TTL_MS))) return 'conflict';
    return waitUntil(now + wait);
  }
  const fallback = fallbackChannel(claimed, item);
  if (!(await fail(ctx, claimedRaw, claimed, `Slack refused it: ${outcome.error}`, log, { reason: 'refused', counted: fallback === undefined })))
    return 'conflict';
  if (fallback !== undefined && isRecordedMessage(item)) await queueFallback(ctx, claimed, item, fallback, log);
  return NEXT;
}

/** The channel a refused background message goes to next, if its target has one. */
function fallbackChannel(d: DeliveryRecord, item: OutboxItem): string | undefined {
  if (!isRecordedMessage(item) || d.role !== 'main') return undefined;
  const target = item.targets.find((t) => t.channel === d.channel || (t.fallbacks ?? []).includes(d.channel));
  const chain = target === undefined ? [] : [target.channel, ...(target.fallbacks ?? [])];
  return chain[chain.indexOf(d.channel) + 1];
}

/**
 * A background message Slack refused for good in one channel (the bot is not in it…) goes to the
 * target's next fallback channel, as a delivery of its own (deterministic id: queued once).
 */
async function queueFallback(ctx: OutboxContext, d: DeliveryRecord, item: RecordedMessage, next: string, log: Logger): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const record: DeliveryRecord = {
    id: deliveryIdFor(d.eventId, next, 'main'),
    eventId: d.eventId,
    eventType: d.eventType,
    ...(d.model !== undefined ? { model: d.model } : {}),
    ...(d.runId !== undefined ? { runId: d.runId } : {}),
    channel: next,
    role: 'main',
    primary: d.primary,
    state: 'queued',
    attempts: 0,
    placement: { kind: 'top', root: 'plain', ...(item.runKey !== undefined ? { runKey: item.runKey } : {}) },
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.recordUnique(storeKeys.delivery(record.id), JSON.stringify(record), DELIVERY_TTL_MS, storeKeys.channelOutbox(next), record.id);
  await ctx.store.setAdd(storeKeys.outboxChannels(), next);
  log.info({ fallback: next }, 'delivery: posting the message in the next channel instead');
}

async function post(ctx: OutboxContext, d: DeliveryRecord, placement: Placement, rendered: Exclude<Rendered, { kind: 'fail' }>): Promise<SlackOutcome> {
  const thread = placement.kind === 'reply' ? { thread_ts: placement.threadTs, ...(placement.broadcast === true ? { reply_broadcast: true } : {}) } : {};
  if (rendered.kind === 'file') {
    return callSlack(
      ctx.client,
      'files.uploadV2',
      { channel_id: d.channel, content: rendered.content, filename: d.filename, title: rendered.title, initial_comment: rendered.comment, ...thread },
      ctx.metrics,
    );
  }
  return callSlack(
    ctx.client,
    'chat.postMessage',
    {
      channel: d.channel,
      text: rendered.message.text,
      blocks: rendered.message.blocks,
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: DELIVERY_METADATA_TYPE, event_payload: { delivery_id: d.id } },
      ...thread,
    },
    ctx.metrics,
  );
}

/** Bookkeeping after a post (idempotent, so a recovery can run it again), then done. */
async function finish(ctx: OutboxContext, st: SenderState, raw: string, d: DeliveryRecord, log: Logger): Promise<StepResult | 'conflict'> {
  const placement = d.placement;
  const ts = d.ts ?? '';
  const item = await loadRecordedItem(ctx.store, d.eventId);
  if (d.role === 'main' && placement !== undefined && item !== undefined && ts !== '') {
    await ctx.content.afterPost(d, item, ts, log);
    if (placement.kind === 'reply' && placement.update !== undefined) {
      const updated = await updateRoot(ctx, st, placement.update, d, log);
      if (updated !== 'ok') return updated;
    }
  }
  const done: DeliveryRecord = { ...d, state: 'done', updatedAt: ctx.clock.now().toISOString() };
  if (!(await ctx.store.compareAndSet(storeKeys.delivery(d.id), raw, JSON.stringify(done), DELIVERY_TTL_MS))) return 'conflict';
  if (d.primary) ctx.metrics.eventsPosted.inc({ type: d.eventType });
  log.info({ ts, attempts: d.attempts, placement: placement?.kind }, 'delivery: delivered to Slack');
  return NEXT;
}

/** Re-renders the thread root (run stage, alert count). Failures here never lose the reply: bounded retries, then a warning. */
async function updateRoot(ctx: OutboxContext, st: SenderState, update: RootUpdate, d: DeliveryRecord, log: Logger): Promise<'ok' | StepResult> {
  if (realNowMs() < st.updateBlockedUntil) return waitUntil(st.updateBlockedUntil);
  const target = await ctx.content.renderRootUpdate(update, d.channel);
  if (target === undefined) return 'ok';
  const res = await callSlack(
    ctx.client,
    'chat.update',
    { channel: target.channel, ts: target.ts, text: target.message.text, blocks: target.message.blocks },
    ctx.metrics,
  );
  if (res.ok) {
    st.rootUpdateFailures.delete(d.id);
    return 'ok';
  }
  const failures = (st.rootUpdateFailures.get(d.id) ?? 0) + 1;
  st.rootUpdateFailures.set(d.id, failures);
  if (res.kind === 'permanent' || failures > MAX_ROOT_UPDATE_FAILURES) {
    st.rootUpdateFailures.delete(d.id);
    log.warn({ error: res.error, rootTs: target.ts }, 'delivery: could not update the thread root; the reply is posted');
    return 'ok';
  }
  const waitMs = res.kind === 'ratelimited' ? res.retryAfterMs : backoffDelayMs(failures, st.backoff, st.random);
  if (res.kind === 'ratelimited') st.updateBlockedUntil = realNowMs() + waitMs;
  return waitUntil(realNowMs() + waitMs);
}

/**
 * Marks a delivery failed. `reason` is the closed category of mlops_delivery_given_up_total;
 * `counted` false when another channel takes the message over (a fallback), so it is not lost.
 */
async function fail(
  ctx: OutboxContext,
  raw: string,
  d: DeliveryRecord,
  why: string,
  log: Logger,
  opts: { reason: 'attempts' | 'refused' | 'expired' | 'unrenderable'; counted?: boolean },
): Promise<boolean> {
  const failed: DeliveryRecord = { ...d, state: 'failed', error: why, updatedAt: ctx.clock.now().toISOString() };
  delete failed.nextAttemptAt;
  if (!(await ctx.store.compareAndSet(storeKeys.delivery(d.id), raw, JSON.stringify(failed), DELIVERY_TTL_MS))) return false;
  if (opts.counted === false) {
    log.warn({ reason: why, attempts: d.attempts }, 'delivery: Slack refused the message in this channel; trying the next one');
    return true;
  }
  ctx.metrics.eventsFailed.inc({ type: d.eventType });
  ctx.metrics.deliveriesGivenUp.inc({ reason: opts.reason });
  if (opts.reason === 'attempts') {
    log.error(
      { reason: why, attempts: d.attempts, checks: d.checks ?? 0 },
      'delivery: gave up on the message: Slack stayed unreachable through every retry (it may or may not have been posted)',
    );
  } else {
    log.error({ reason: why, attempts: d.attempts }, 'delivery: message could not be delivered (permanent failure)');
  }
  return true;
}

/** Retries exhausted (Slack unreachable, 5xx, timeouts): failed for good. */
async function giveUp(ctx: OutboxContext, raw: string, d: DeliveryRecord, log: Logger): Promise<boolean> {
  return fail(ctx, raw, d, `gave up after ${triesOf(d)} tries (${d.attempts} posts, ${d.checks ?? 0} looks in Slack; last error: ${d.error ?? 'none'})`, log, {
    reason: 'attempts',
  });
}
