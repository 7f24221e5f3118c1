import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BackgroundJob } from '../background-job';
import type { BotDeps } from '../bot-deps';
import { decideWatchdogAction, type WatchdogAction, type WatchdogObservation, type WatchdogPolicy } from '../core/decide-watchdog-action';
import { isMlopsError } from '../core/errors';
import { isRunStale } from '../core/is-run-stale';
import type { DagTrigger } from '../core/ports';
import type { RunRecord } from '../services/run-registry';
import { storeKeys } from '../store/store-keys';
import { storeLease } from '../store/store-lease';
import { watchdogNoteView, type WatchdogNoteInput } from '../../views/watchdog-note-view';
import { postOnce, postedAt } from './post-once';
import { postWatchdogMessage, type SlackTarget } from './post-watchdog-message';

export const WATCHDOG_JOB = 'watchdog';
/** At most this many trigger calls per tick, so one tick stays short whatever the backlog. */
const MAX_CHECKS_PER_TICK = 50;
/** stop() waits this long for the tick in flight. */
const STOP_WAIT_MS = 5000;

export interface RunWatchdogOptions {
  /** Identifies this replica in the lease; default host:pid:random. */
  replicaId?: string;
  /** Default: config watchdog.intervalSeconds. */
  intervalMs?: number;
  /** Default: 3 intervals, at least 30 s (how long a dead leader blocks the others). */
  leaseTtlMs?: number;
}

export interface WatchdogTickReport {
  /** False when another replica holds the lease (nothing was done). */
  leader: boolean;
  checked: number;
  alerted: number;
  succeeded: number;
  noted: number;
  stopped: number;
  /** Runs left for the next tick (a post or trigger call failed, or the store did). */
  retry: number;
}

export interface RunWatchdog extends BackgroundJob {
  readonly replicaId: string;
  /** One pass now (tests, and the timer). Never overlaps: a call during a pass returns that pass. */
  tick(): Promise<WatchdogTickReport>;
}

/** Waits for `promise`, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([promise.then(() => undefined), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run's Airflow page, kept by delivery from the event's `run.url`. */
function runUrlOf(run: RunRecord): string | undefined {
  return run.runUrl !== undefined && run.runUrl !== '' ? run.runUrl : undefined;
}

/**
 * The run watchdog (issue 7). Every interval, the replica holding the lease reads the open runs,
 * asks the trigger about those with no outcome after staleAfterMinutes, and acts on
 * decideWatchdogAction: an alert for silent failures (the model's channel, in the run's thread
 * when known, and the alert channel), a quiet outcome for successes, "still running" notes.
 */
export function createRunWatchdog(deps: BotDeps, trigger: DagTrigger, options: RunWatchdogOptions = {}): RunWatchdog {
  const settings = deps.config.file.watchdog;
  const policy: WatchdogPolicy = { staleAfterMs: settings.staleAfterMinutes * 60_000 };
  const intervalMs = options.intervalMs ?? settings.intervalSeconds * 1000;
  const leaseTtlMs = options.leaseTtlMs ?? Math.max(3 * intervalMs, 30_000);
  const replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const lease = storeLease(deps.store, storeKeys.lease(WATCHDOG_JOB), replicaId, leaseTtlMs);
  const log = deps.logger.child({ component: 'watchdog', replica: replicaId });
  const { slack: slackConfig, models } = deps.config.file;

  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopping = false;
  let inFlight: Promise<WatchdogTickReport> | undefined;

  /** The run's thread when known, else the model's channel, else the default channel. */
  function runTarget(run: RunRecord): SlackTarget | undefined {
    if (run.channel !== undefined && run.ts !== undefined) return { channel: run.channel, threadTs: run.ts };
    const channel = models[run.model]?.channel ?? slackConfig.defaultChannel;
    return channel !== undefined ? { channel } : undefined;
  }

  function alertTargets(run: RunRecord): { name: string; target: SlackTarget | undefined }[] {
    const model = runTarget(run);
    const targets = [{ name: 'model', target: model?.threadTs !== undefined ? { ...model, broadcast: true } : model }];
    const alert = slackConfig.alertChannel;
    if (alert !== undefined && alert !== model?.channel) targets.push({ name: 'alerts', target: { channel: alert } });
    return targets;
  }

  function view(run: RunRecord, now: Date, action: Exclude<WatchdogAction, { kind: 'mark-succeeded' | 'stop-watching' | 'wait' }>) {
    const ref = {
      model: run.model,
      ...(run.dagId !== undefined ? { dagId: run.dagId } : {}),
      ...(run.runId !== undefined ? { runId: run.runId } : {}),
      ...(runUrlOf(run) !== undefined ? { runUrl: runUrlOf(run) } : {}),
      minutes: action.minutes,
      now,
    };
    let input: WatchdogNoteInput;
    if (action.kind === 'alert-failed') input = { ...ref, kind: 'failed' };
    else if (action.kind === 'note-running') input = { ...ref, kind: 'running', state: action.state, nextNoteInMinutes: action.nextNoteInMinutes };
    else {
      input = {
        ...ref,
        kind: 'unknown',
        reason: action.reason,
        ...(action.raw !== undefined ? { raw: action.raw } : {}),
        ...(action.stopWatchingAt !== undefined ? { stopWatchingAt: action.stopWatchingAt } : {}),
      };
    }
    return watchdogNoteView(input);
  }

  async function stopWatching(run: RunRecord, reason: string): Promise<void> {
    await deps.store.setRemove(storeKeys.openRuns(), run.runKey);
    log.info({ runKey: run.runKey, model: run.model, dagId: run.dagId, runId: run.runId, reason }, 'watchdog: stopped watching a run without an outcome');
  }

  async function observe(run: RunRecord): Promise<WatchdogObservation> {
    if (run.dagId === undefined || run.runId === undefined) return { kind: 'no-run-id' };
    try {
      const answer = await trigger.runState(run.dagId, run.runId);
      return { kind: 'state', state: answer.state, ...(answer.raw !== undefined ? { raw: answer.raw } : {}) };
    } catch (error) {
      return {
        kind: 'error',
        code: isMlopsError(error) ? error.code : 'UNEXPECTED',
        message: error instanceof Error ? error.message : String(error),
      };
    }
  }

  /** Checks one stale run; returns what it did, for the report. */
  async function checkRun(run: RunRecord): Promise<keyof Omit<WatchdogTickReport, 'leader' | 'checked'> | undefined> {
    const observation = await observe(run);
    const now = deps.clock.now();
    const unknownish = observation.kind === 'no-run-id' || (observation.kind === 'state' && observation.state === 'unknown');
    const unknownNotedAt = unknownish ? await postedAt(deps.store, `${run.runKey}:unknown`) : undefined;
    const action = decideWatchdogAction({ run, observation, now, policy, ...(unknownNotedAt !== undefined ? { unknownNotedAt } : {}) });
    const runLog = log.child({ runKey: run.runKey, model: run.model, dagId: run.dagId, runId: run.runId, action: action.kind });

    // The pipeline may have reported while we asked: never alert or note over a fresh outcome.
    if (action.kind !== 'wait' && action.kind !== 'stop-watching') {
      const fresh = await deps.runs.get(run.runKey);
      if (fresh === undefined || fresh.outcome !== undefined) return undefined;
      run = fresh;
    }

    switch (action.kind) {
      case 'wait':
        if (action.reason === 'trigger-error' && observation.kind === 'error') {
          runLog.warn({ code: observation.code, err: observation.message }, 'watchdog: could not read the run state; will ask again');
          return 'retry';
        }
        return undefined;

      case 'stop-watching':
        await stopWatching(run, action.reason);
        return 'stopped';

      case 'mark-succeeded': {
        await deps.runs.update(run.runKey, (r) => (r.outcome !== undefined ? undefined : { ...r, outcome: 'succeeded', updatedAt: now.toISOString() }));
        runLog.info('watchdog: run succeeded in Airflow; outcome recorded');
        return 'succeeded';
      }

      case 'alert-failed': {
        const message = view(run, now, action);
        let pending = false;
        for (const { name, target } of alertTargets(run)) {
          const posted = await postOnce({ store: deps.store, client: deps.deliveryClient, metrics: deps.metrics, id: `${run.runKey}:failed:${name}`, target, message, holder: replicaId, now });
          if (posted.status === 'pending') {
            pending = true;
            runLog.warn({ target: name, reason: posted.reason }, 'watchdog: failure alert not posted yet; will retry');
          } else if (posted.result?.status === 'refused' || target === undefined) {
            runLog.error({ target: name, channel: target?.channel, error: posted.result?.status === 'refused' ? posted.result.error : 'no channel configured' }, 'watchdog: failure alert could not be posted');
          }
        }
        if (pending) return 'retry';
        let marked = false;
        await deps.runs.update(run.runKey, (r) => {
          marked = r.outcome === undefined;
          return marked ? { ...r, outcome: 'failed', stage: 'failed', updatedAt: now.toISOString() } : undefined;
        });
        if (marked) {
          const text = `Run ${run.runId ?? run.runKey}${run.dagId !== undefined ? ` of ${run.dagId}` : ''} failed without a failure callback (found by the run watchdog)`;
          await deps.store.set(storeKeys.lastFailure(run.model), JSON.stringify({ at: now.toISOString(), type: 'watchdog', message: text, runId: run.runId ?? run.runKey }));
        }
        runLog.warn('watchdog: run failed without a failure callback; alert posted');
        return 'alerted';
      }

      case 'note-running': {
        const target = runTarget(run);
        if (target === undefined) return undefined;
        // Claim the note in the run record first (compare-and-set), so racing pollers note once.
        const claimAt = now.toISOString();
        let previous: string | undefined;
        let claimed = false;
        await deps.runs.update(run.runKey, (r) => {
          const last = r.lastWatchdogNoteAt === undefined ? Number.NaN : Date.parse(r.lastWatchdogNoteAt);
          claimed = r.outcome === undefined && !(now.getTime() - last < policy.staleAfterMs);
          previous = r.lastWatchdogNoteAt;
          return claimed ? { ...r, lastWatchdogNoteAt: claimAt } : undefined;
        });
        if (!claimed) return undefined;
        const result = await postWatchdogMessage(deps.deliveryClient, deps.metrics, target, view(run, now, action));
        if (result.status === 'retry') {
          await deps.runs.update(run.runKey, (r) => {
            if (r.lastWatchdogNoteAt !== claimAt) return undefined;
            const { lastWatchdogNoteAt: _drop, ...rest } = r;
            return previous !== undefined ? { ...rest, lastWatchdogNoteAt: previous } : rest;
          });
          runLog.warn({ error: result.error }, 'watchdog: note not posted; will retry');
          return 'retry';
        }
        if (result.status === 'refused') runLog.error({ channel: target.channel, error: result.error }, 'watchdog: note refused by Slack');
        return 'noted';
      }

      case 'note-unknown': {
        const posted = await postOnce({ store: deps.store, client: deps.deliveryClient, metrics: deps.metrics, id: `${run.runKey}:unknown`, target: runTarget(run), message: view(run, now, action), holder: replicaId, now });
        if (posted.status === 'pending') return 'retry';
        runLog.info({ reason: action.reason }, 'watchdog: run state cannot be read; noted');
        if (action.stopWatchingAt === undefined) await stopWatching(run, action.reason);
        return 'noted';
      }
    }
  }

  async function pass(): Promise<WatchdogTickReport> {
    const report: WatchdogTickReport = { leader: false, checked: 0, alerted: 0, succeeded: 0, noted: 0, stopped: 0, retry: 0 };
    try {
      // A stopped job takes no lease: it would hold it without renewing.
      if (stopping || !(await lease.acquire())) return report;
      report.leader = true;
      const now = deps.clock.now();
      const stale: RunRecord[] = [];
      for (const runKey of await deps.runs.openRunKeys()) {
        const run = await deps.runs.get(runKey);
        // The record expired (30 days) or already has its outcome: nothing left to watch.
        if (run === undefined || run.outcome !== undefined) await deps.store.setRemove(storeKeys.openRuns(), runKey);
        else if (isRunStale(run, now, policy)) stale.push(run);
      }
      // Oldest first; beyond the per-tick cap the rest wait for the next tick.
      stale.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      for (const run of stale.slice(0, MAX_CHECKS_PER_TICK)) {
        if (stopping) break;
        // Long passes renew the lease before it could lapse under us.
        if (lease.sinceRenewalMs() > leaseTtlMs / 3 && !(await lease.acquire())) break;
        report.checked++;
        try {
          const outcome = await checkRun(run);
          if (outcome !== undefined) report[outcome]++;
        } catch (error) {
          report.retry++;
          log.warn({ err: error, runKey: run.runKey }, 'watchdog: checking a run failed; will retry');
        }
      }
      report.retry += Math.max(0, stale.length - MAX_CHECKS_PER_TICK);
      if (report.checked > 0) log.info(report, 'watchdog: pass done');
    } catch (error) {
      log.warn({ err: error }, 'watchdog: pass failed (store unavailable?); will retry');
    }
    return report;
  }

  function schedule(): void {
    if (!running || stopping) return;
    timer = setTimeout(() => {
      timer = undefined;
      void tick().finally(schedule);
    }, intervalMs);
    // A pending tick never keeps the process alive.
    timer.unref();
  }

  function tick(): Promise<WatchdogTickReport> {
    if (inFlight !== undefined) return inFlight;
    inFlight = pass().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    name: WATCHDOG_JOB,
    replicaId,
    tick,
    start() {
      if (running) return;
      running = true;
      stopping = false;
      log.info({ intervalMs, staleAfterMinutes: settings.staleAfterMinutes, trigger: trigger.kind }, 'watchdog started');
      schedule();
    },
    async stop() {
      running = false;
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      try {
        // Bounded: a trigger call can take seconds; the pass stops between runs.
        if (inFlight !== undefined) await within(inFlight, STOP_WAIT_MS);
        await within(lease.release(), 1000);
      } catch (error) {
        log.warn({ err: error }, 'watchdog: lease not released (it will lapse)');
      }
    },
  };
}
