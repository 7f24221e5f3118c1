import { randomUUID } from 'node:crypto';
import { ErrorCode, isMlopsError } from '../core/errors';
import { storeKeys } from '../store/store-keys';
import { leasedJob } from '../jobs/leased-job';
import type { Store } from '../core/store';
import { loadRecordedItem, updateIdOfQueueItem, type DeliveryRecord, type OutboxContext } from './delivery-record';
import { ChannelPacer, DEFAULT_DELIVERY_BACKOFF, MAX_DELIVERY_TRIES, processDelivery, realNowMs, type SenderState } from './send-delivery';
import { processUpdate } from './send-update';
import { backoffDelayMs, type BackoffPolicy } from '../core/backoff-delay';

export interface DeliveryWorkerOptions {
  /** How often the outbox is polled (events recorded by other replicas, timers lost). */
  pollMs?: number;
  /** Gap between two posts to one channel (Slack: about one per second). */
  postIntervalMs?: number;
  leaseTtlMs?: number;
  /** How long stop() waits for calls in flight before giving up on them (they are recovered later). */
  stopWaitMs?: number;
  /** Backoff between tries of a message while Slack fails (default 2 s doubling to 5 min, with jitter). */
  retryBackoff?: BackoffPolicy;
  /** Tries (posts and looks in Slack) before a message is given up and marked failed; default 12. */
  maxTries?: number;
  /** Jitter source (tests). */
  random?: () => number;
}

const DEFAULTS = {
  pollMs: 500,
  postIntervalMs: 1000,
  leaseTtlMs: 15_000,
  stopWaitMs: 3000,
  retryBackoff: DEFAULT_DELIVERY_BACKOFF,
  maxTries: MAX_DELIVERY_TRIES,
  random: Math.random,
};
/** A channel whose drain fails (store trouble) retries after this backoff. */
const DRAIN_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000 };
const MAX_PLAN_FAILURES = 3;
/** Gauges are refreshed every this many polls. */
const GAUGES_EVERY = 4;

/**
 * The outbox worker. One replica at a time (the lease holder) works:
 * 1. Planner: claims recorded ids from storeKeys.inbox() into storeKeys.inboxProcessing() with
 *    moveHead, plans each (ctx.content.plan: the injected planner of pipeline events, alarms and background messages),
 *    then removes it. Ids left in processing by a crash are planned again (idempotent) first.
 * 2. One drain per channel: processes storeKeys.channelOutbox(channel) head first, so a run's
 *    messages keep their order; a channel waiting for its pace or a 429 holds only itself.
 * Woken by each recorded event (same replica), by timers, and by a poll.
 */
export function createDeliveryWorker(ctx: OutboxContext, options: DeliveryWorkerOptions = {}) {
  const opts = { ...DEFAULTS, ...options };
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = ctx.logger.child({ component: 'delivery', owner });
  const st: SenderState = {
    owner,
    pacer: new ChannelPacer(opts.postIntervalMs),
    settled: new Set(),
    updateBlockedUntil: 0,
    rootUpdateFailures: new Map(),
    backoff: opts.retryBackoff,
    maxTries: Math.max(1, opts.maxTries),
    random: opts.random,
  };
  let ticks = 0;
  let planning: Promise<void> | undefined;
  let planAgain = false;
  const planFailures = new Map<string, number>();
  const channels = new Map<string, { running?: Promise<void>; again: boolean; timer?: NodeJS.Timeout; timerAt?: number; failures: number }>();

  const job = leasedJob<undefined>({
    name: 'delivery',
    store: ctx.store,
    logger: ctx.logger,
    holder: owner,
    leaseTtlMs: opts.leaseTtlMs,
    intervalMs: opts.pollMs,
    runAtStart: true,
    stopWaitMs: opts.stopWaitMs,
    // Hand over at once, before waiting: an attempt of ours still in flight is covered by the
    // in-flight grace of send-delivery (a successor looks for it in Slack before posting again),
    // and every write of ours after this point is a compare-and-set that cannot undo its work.
    releaseAtStop: 'before-wait',
    idle: () => undefined,
    async onLeadership(leader) {
      if (!leader) return;
      kickPlanner();
      await kickAllChannels();
    },
    async pass() {
      kickPlanner();
      // Every poll: message updates (updateMessage) and other replicas' work go straight into the
      // channel queues, with no inbox entry to wake the planner (one SMEMBERS, one LRANGE per idle channel).
      await kickAllChannels().catch((error: unknown) => log.warn({ err: error }, 'delivery: could not list outbox channels'));
      if (++ticks % GAUGES_EVERY === 0) await updateGauges().catch(() => undefined);
    },
    busy: () => [planning, ...[...channels.values()].map((s) => s.running)],
    onStop() {
      for (const state of channels.values()) if (state.timer !== undefined) clearTimeout(state.timer);
    },
  });
  /** Leader with a fresh lease: only then may the planner and the drains touch the outbox. */
  const active = () => job.isActive();

  function kickPlanner(): void {
    if (!active()) return;
    if (planning !== undefined) {
      planAgain = true;
      return;
    }
    planning = runPlanner()
      .catch((error: unknown) => log.error({ err: error }, 'delivery: planning failed; will retry'))
      .finally(() => {
        planning = undefined;
        if (planAgain) {
          planAgain = false;
          kickPlanner();
        }
      });
  }

  async function runPlanner(): Promise<void> {
    // Leftovers first (claimed by a worker that stopped or failed mid-way): they are older.
    const leftovers = await ctx.store.listRange(storeKeys.inboxProcessing(), 0, 99);
    for (const id of leftovers) {
      if (!active()) return;
      await planOne(id);
    }
    while (active()) {
      const id = await ctx.store.moveHead(storeKeys.inbox(), storeKeys.inboxProcessing());
      if (id === null) return;
      await planOne(id);
    }
  }

  async function planOne(id: string): Promise<void> {
    let touched: string[] = [];
    try {
      touched = await ctx.content.plan(id);
      planFailures.delete(id);
    } catch (error) {
      // The store is down: the id stays claimed and is planned again. Anything else is a bug
      // with this item: retried a few times, then logged and counted, never retried forever.
      if (isMlopsError(error, ErrorCode.StoreUnavailable)) throw error;
      const failures = (planFailures.get(id) ?? 0) + 1;
      planFailures.set(id, failures);
      if (failures < MAX_PLAN_FAILURES) throw error;
      planFailures.delete(id);
      log.error({ err: error, eventId: id }, 'delivery: this event cannot be planned; giving up on it');
      ctx.metrics.eventsFailed.inc({ type: 'unknown' });
    }
    await ctx.store.listRemove(storeKeys.inboxProcessing(), id);
    for (const channel of touched) kickChannel(channel);
  }

  async function kickAllChannels(): Promise<void> {
    for (const channel of await ctx.store.setMembers(storeKeys.outboxChannels())) kickChannel(channel);
  }

  function kickChannel(channel: string): void {
    if (!active()) return;
    let state = channels.get(channel);
    if (state === undefined) {
      state = { again: false, failures: 0 };
      channels.set(channel, state);
    }
    if (state.running !== undefined) {
      state.again = true;
      return;
    }
    const s = state;
    s.running = drain(channel)
      .then(() => {
        s.failures = 0;
      })
      .catch((error: unknown) => {
        s.failures++;
        const retryInMs = backoffDelayMs(s.failures, DRAIN_BACKOFF, opts.random);
        log.error({ err: error, channel, retryInMs }, 'delivery: channel drain failed; will retry');
        wakeAt(channel, realNowMs() + retryInMs);
      })
      .finally(() => {
        s.running = undefined;
        if (s.again) {
          s.again = false;
          kickChannel(channel);
        }
      });
  }

  function wakeAt(channel: string, atMs: number): void {
    const state = channels.get(channel);
    if (state === undefined || !job.isRunning()) return;
    if (state.timer !== undefined && state.timerAt !== undefined && state.timerAt <= atMs) return;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timerAt = atMs;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        state.timerAt = undefined;
        kickChannel(channel);
      },
      Math.max(0, atMs - realNowMs()),
    );
    state.timer.unref();
  }

  async function drain(channel: string): Promise<void> {
    const queue = storeKeys.channelOutbox(channel);
    while (active()) {
      const [id] = await ctx.store.listRange(queue, 0, 0);
      if (id === undefined) return;
      const updateId = updateIdOfQueueItem(id);
      const result = updateId !== undefined ? await processUpdate(ctx, st, updateId) : await processDelivery(ctx, st, id);
      if (result.kind === 'wait') {
        wakeAt(channel, result.untilMs);
        return;
      }
      await ctx.store.listRemove(queue, id);
    }
  }

  /** mlops_outbox_depth and mlops_outbox_oldest_age_seconds, as seen by the working replica. */
  async function updateGauges(): Promise<void> {
    const now = ctx.clock.now().getTime();
    let depth = (await ctx.store.listLength(storeKeys.inbox())) + (await ctx.store.listLength(storeKeys.inboxProcessing()));
    let oldest = now;
    for (const listKey of [storeKeys.inboxProcessing(), storeKeys.inbox()]) {
      const [id] = await ctx.store.listRange(listKey, 0, 0);
      const item = id !== undefined ? await loadRecordedItem(ctx.store, id) : undefined;
      if (item !== undefined) oldest = Math.min(oldest, Date.parse(item.receivedAt) || now);
    }
    for (const channel of await ctx.store.setMembers(storeKeys.outboxChannels())) {
      const queue = storeKeys.channelOutbox(channel);
      depth += await ctx.store.listLength(queue);
      const [id] = await ctx.store.listRange(queue, 0, 0);
      // A message update's queue item (id + nonce) names no record: updates count in the depth only.
      const raw = id !== undefined ? await ctx.store.get(storeKeys.delivery(id)) : null;
      if (raw !== null) oldest = Math.min(oldest, Date.parse((JSON.parse(raw) as DeliveryRecord).createdAt) || now);
    }
    ctx.metrics.outboxDepth.set(depth);
    ctx.metrics.outboxOldestAge.set(Math.max(0, (now - oldest) / 1000));
  }

  return {
    job,
    /** A new event was recorded on this replica: plan it now rather than at the next poll. */
    wake(): void {
      kickPlanner();
    },
    /** For tests and the benchmark. */
    isLeader: () => job.isLeader(),
  };
}
export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;

export interface PendingDeliveries {
  /** Recorded pipeline events not yet planned into a channel's outbox. */
  events: number;
  /** Planned messages waiting in the channels' outboxes. */
  messages: number;
  /** A few of the waiting ids, for the shutdown report. */
  sample: string[];
}

/** What the outbox still holds: with the in-memory store, this is what a stop would lose. */
export async function pendingDeliveries(store: Store): Promise<PendingDeliveries> {
  const [inbox, processing] = await Promise.all([store.listRange(storeKeys.inbox(), 0, -1), store.listRange(storeKeys.inboxProcessing(), 0, -1)]);
  let messages = 0;
  const sample = [...processing, ...inbox].slice(0, 10);
  for (const channel of await store.setMembers(storeKeys.outboxChannels())) {
    const queued = await store.listRange(storeKeys.channelOutbox(channel), 0, -1);
    messages += queued.length;
    for (const id of queued) if (sample.length < 10) sample.push(id);
  }
  return { events: inbox.length + processing.length, messages, sample };
}
