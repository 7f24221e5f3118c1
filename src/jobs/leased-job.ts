import { randomUUID } from 'node:crypto';
import type { Store } from '../core/store';
import { waitAtMost } from '../core/time-limit';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';

/** A background job started with the bot and stopped (bounded) at shutdown. */
export interface BackgroundJob {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

/**
 * A leader lease in the store, so that one replica at a time runs a background job (run watchdog,
 * outbox delivery, deploy recovery): taken with SET NX PX, renewed by compare-and-set on our own
 * holder id, released only if still ours (delete-if-equals).
 * A lease can lapse under a long pause, so the job's side effects carry idempotency keys or
 * claims as well.
 */
export interface StoreLease {
  readonly holder: string;
  /** Renews the lease if we hold it, else takes it if free. True when we hold it afterwards. */
  acquire(): Promise<boolean>;
  /** Milliseconds since the last successful acquire (Infinity before the first and after release). */
  sinceRenewalMs(): number;
  /** True while the last renewal is recent enough, by `marginMs`, that no one else can have taken over. */
  fresh(marginMs: number): boolean;
  /** Gives the lease up if it is still ours (shutdown), so another replica takes over at once. */
  release(): Promise<void>;
}

/** `key` is the lease's store key (storeKeys.lease(job)); `ttlMs` its lifetime from each renewal. */
export function storeLease(store: Store, key: string, holder: string, ttlMs: number): StoreLease {
  // Real time, not the injectable clock: the TTL runs in the store's real time.
  let renewedAt = Number.NEGATIVE_INFINITY;
  const sinceRenewalMs = () => performance.now() - renewedAt;
  return {
    holder,
    async acquire() {
      // The TTL may start as soon as the request is sent: a slow answer must not make the lease
      // look younger than it is, so the renewal counts from before each call.
      let sentAt = performance.now();
      let held = await store.compareAndSet(key, holder, holder, ttlMs);
      if (!held) {
        sentAt = performance.now();
        held = await store.setIfAbsent(key, holder, ttlMs);
      }
      if (held) renewedAt = sentAt;
      return held;
    },
    sinceRenewalMs,
    fresh: (marginMs) => sinceRenewalMs() < ttlMs - marginMs,
    async release() {
      renewedAt = Number.NEGATIVE_INFINITY;
      await store.deleteIfEquals(key, holder);
    },
  };
}

/** What a pass of a leased job may ask while it runs. */
export interface LeaseTurn {
  /** True when this pass took the lease over (first pass as leader). */
  gained: boolean;
  /** stop() was called: end the pass between two steps. */
  stopping(): boolean;
  /** Renews the lease if a third of its lifetime passed; false when it was lost (end the pass: the new holder redoes it). */
  keep(): Promise<boolean>;
}

export interface LeasedJobOptions<R> {
  /** The job's name, also its lease (storeKeys.lease(name)). */
  name: string;
  store: Store;
  logger: Logger;
  /** This replica's id in the lease; default a random id. */
  holder?: string;
  /** Default three intervals, at least 30 s: a leader survives a slow pass or two before it lapses. */
  leaseTtlMs?: number;
  /** Gap between the end of one pass and the start of the next. */
  intervalMs: number;
  /** Run a pass at start() (a restart after a crash acts at once), else the first one interval later. */
  runAtStart: boolean;
  /** How long stop() waits for work in flight (the pass and `busy()`) before leaving it. */
  stopWaitMs: number;
  /**
   * When stop() gives the lease back: `before-wait` hands over at once (the job's writes are
   * claims a successor cannot be undone by), `after-wait` once the work in flight ended or the
   * wait ran out (a successor must not redo a step still running here).
   */
  releaseAtStop: 'before-wait' | 'after-wait';
  /** isActive() requires the last renewal to be younger than the lease TTL minus this; default 2 s. */
  freshMarginMs?: number;
  /** One pass, run only while this replica holds the lease. */
  pass(turn: LeaseTurn): Promise<R>;
  /** The result of a pass that did not run (lease held elsewhere, stopping, or the pass failed). */
  idle(): R;
  /** Leadership taken (true) or lost (false); runs before the pass that noticed it. */
  onLeadership?(leader: boolean): void | Promise<void>;
  /** Work the job runs beside its passes, waited for (bounded) at stop. */
  busy?(): readonly (Promise<unknown> | undefined)[];
  /** First thing stop() does (clear the job's own timers). */
  onStop?(): void;
}

export interface LeasedJob<R> extends BackgroundJob {
  readonly holder: string;
  /** One pass now (the timer, tests, tooling). Never overlaps: a call during a pass returns that pass. */
  runOnce(): Promise<R>;
  isLeader(): boolean;
  /** Started and not stopping. */
  isRunning(): boolean;
  /** Started, not stopping, leader, and the lease renewed recently enough that no one else can hold it. */
  isActive(): boolean;
}

/** Giving the lease back at stop waits at most this long (it lapses on its own otherwise). */
const RELEASE_WAIT_MS = 1000;

/**
 * The one shape of the bot's lease-driven background loops (outbox delivery, run watchdog,
 * deploy recovery): one replica at a time holds storeKeys.lease(name) and runs the passes; the
 * others stand by and take over when it is released (stop) or lapses (crash). Each pass renews the
 * lease first; a long pass is kept renewed every third of the TTL by a timer; a store error on
 * renewal keeps the leader only while its lease is still fresh. Passes never overlap; the next
 * starts `intervalMs` after the previous ended; stop() is bounded and final until start().
 * A lease can lapse under a long pause, so the job's side effects carry claims or idempotency keys too.
 */
export function leasedJob<R>(options: LeasedJobOptions<R>): LeasedJob<R> {
  const { name, intervalMs } = options;
  const holder = options.holder ?? randomUUID();
  const leaseTtlMs = options.leaseTtlMs ?? Math.max(3 * intervalMs, 30_000);
  const margin = options.freshMarginMs ?? 2000;
  const lease: StoreLease = storeLease(options.store, storeKeys.lease(name), holder, leaseTtlMs);
  const log = options.logger.child({ component: name, holder });
  let started = false;
  let stopping = false;
  let leader = false;
  let lost = false;
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<R> | undefined;

  async function renew(): Promise<boolean> {
    try {
      return await lease.acquire();
    } catch (error) {
      log.warn({ err: error }, `${name}: could not renew the lease`);
      return leader && lease.fresh(margin);
    }
  }

  async function keep(): Promise<boolean> {
    if (lost) return false;
    if (lease.sinceRenewalMs() < leaseTtlMs / 3) return true;
    lost = !(await renew());
    return !lost;
  }

  async function setLeader(held: boolean): Promise<void> {
    if (held === leader) return;
    leader = held;
    if (held) log.info(`${name}: this replica now runs the job`);
    else log.warn(`${name}: the lease is held by another replica now`);
    try {
      await options.onLeadership?.(held);
    } catch (error) {
      // The next pass (or the job's own retries) picks up what this missed.
      log.warn({ err: error }, `${name}: reacting to the lease change failed`);
    }
  }

  async function pass(): Promise<R> {
    // A stopping job takes no lease: it would hold it without renewing.
    if (stopping) return options.idle();
    const held = await renew();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may set it during the await
    if (stopping) {
      // stop() ran meanwhile and released the lease: do not keep what this renewal took back.
      if (held) await lease.release().catch(() => undefined);
      return options.idle();
    }
    const gained = held && !leader;
    await setLeader(held);
    if (!held) return options.idle();
    lost = false;
    // One step can outlast the lease (a slow trigger or Slack call): renew it meanwhile too.
    const renewal = setInterval(() => {
      if (!stopping && !lost) void keep();
    }, leaseTtlMs / 3);
    renewal.unref();
    try {
      return await options.pass({ gained, stopping: () => stopping, keep });
    } catch (error) {
      log.warn({ err: error }, `${name}: pass failed; will retry`);
      return options.idle();
    } finally {
      clearInterval(renewal);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- keep() may set it during the pass
      if (lost) await setLeader(false);
    }
  }

  function runOnce(): Promise<R> {
    if (inFlight !== undefined) return inFlight;
    inFlight = pass().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedule(gen: number): void {
    if (!started || stopping || gen !== generation) return;
    timer = setTimeout(() => {
      timer = undefined;
      void runOnce().finally(() => schedule(gen));
    }, intervalMs);
    // A pending pass never keeps the process alive.
    timer.unref();
  }

  return {
    name,
    holder,
    runOnce,
    isLeader: () => leader,
    isRunning: () => started && !stopping,
    isActive: () => started && !stopping && leader && lease.fresh(margin),
    start() {
      if (started) return;
      started = true;
      stopping = false;
      const gen = ++generation;
      if (options.runAtStart) void runOnce().finally(() => schedule(gen));
      else schedule(gen);
    },
    async stop() {
      started = false;
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      options.onStop?.();
      const release = async () => {
        leader = false;
        await waitAtMost(lease.release(), RELEASE_WAIT_MS).catch((error: unknown) => log.warn({ err: error }, `${name}: lease not released (it will lapse)`));
      };
      if (options.releaseAtStop === 'before-wait') await release();
      const busy = [inFlight, ...(options.busy?.() ?? [])].filter((p): p is Promise<unknown> => p !== undefined);
      const ended = await waitAtMost(
        Promise.allSettled(busy).then(() => true),
        options.stopWaitMs,
      );
      if (ended === undefined) log.warn(`${name}: stopped with work still in flight`);
      if (options.releaseAtStop === 'after-wait') await release();
    },
  };
}
