import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BackgroundJob } from '../jobs/leased-job';
import { leasedJob, type LeaseTurn } from '../jobs/leased-job';
import type { BotDeps } from '../bot-deps';
import {
  decideWatchdogAction,
  type UnreadableRecord,
  type WatchdogAction,
  type WatchdogObservation,
  type WatchdogPolicy,
} from '../core/decide-watchdog-action';
import { isMlopsError } from '../core/errors';
import { backoffDelayMs } from '../core/backoff-delay';
import { isRunStale } from '../core/is-run-stale';
import type { DagTrigger } from '../core/ports';
import type { RunRecord } from '../training';
import { storeKeys } from '../store/store-keys';
import { watchdogNoteView, type WatchdogNoteInput } from '../../views/watchdog-note-view';
import { watchdogUnreadableView } from '../../views/watchdog-unreadable-view';
import { messageRecordedAt, type MessageTarget } from '../outbox';
import type { SlackMessage } from '../../views/slack-message';

export const WATCHDOG_JOB = 'watchdog';
/** At most this many trigger calls per tick, so one tick stays short whatever the backlog. */
const MAX_CHECKS_PER_TICK = 20;
/** Check records (last check, failed checks) outlive every watched run (MAX_WATCH_MS). */
const CHECK_TTL_MS = 8 * 24 * 60 * 60 * 1000;
/** stop() waits this long for the tick in flight. */
const STOP_WAIT_MS = 5000;

export interface RunWatchdogOptions {
  /** Identifies this replica in the lease; default host:pid:random. */
  replicaId?: string;
  /** Default: config watchdog.intervalSeconds. */
  intervalMs?: number;
  /** Default: 3 intervals, at least 30 s (how long a dead leader blocks the others). */
  leaseTtlMs?: number;
  /** How long a run's state may be unreadable before it is alerted; default staleAfter. */
  unreadableAlertAfterMs?: number;
  /** Trigger calls per tick; default 20. */
  maxChecksPerTick?: number;
  /** A pass starts no new check after this long (real time); default one interval. */
  passBudgetMs?: number;
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
  /** Checks whose trigger call failed (also counted in mlops_watchdog_checks_total). */
  errors: number;
}

export interface RunWatchdog extends BackgroundJob {
  readonly replicaId: string;
  /** One pass now (tests, and the timer). Never overlaps: a call during a pass returns that pass. */
  tick(): Promise<WatchdogTickReport>;
}

/** The run's Airflow page, kept by delivery from the event's `run.url`. */
function runUrlOf(run: RunRecord): string | undefined {
  return run.runUrl !== undefined && run.runUrl !== '' ? run.runUrl : undefined;
}

/** What the watchdog remembers of its checks of one run (for fair order and the unreadable alert). */
interface CheckRecord {
  /** Last check, ISO (whatever its result). */
  at: string;
  /** First failed check since the last successful one, ISO. */
  unreadableSince?: string;
  /** When the unreadable alert was recorded. */
  alertedAt?: string;
  /** Failed checks in a row, and when the next check is due (backoff with jitter; ISO). */
  errors?: number;
  nextAt?: string;
}

/** A run whose checks fail is asked again after this backoff (an interval at first, 15 min at most). */
const MAX_CHECK_BACKOFF_MS = 15 * 60_000;

/**
 * Where check records live. storeKeys has no watchdog entry of its own; the watchdog's markers
 * markers have always lived under delivery:watchdog:*, so they stay there.
 */
function checkKey(runKey: string): string {
  return storeKeys.delivery(`watchdog:check:${runKey}`);
}

function parseCheck(raw: string | null): CheckRecord | undefined {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as CheckRecord;
  } catch {
    return undefined;
  }
}

/**
 * The run watchdog (issue 7). Every interval, the replica holding the lease reads the open runs,
 * asks the trigger about those with no outcome after staleAfterMinutes, least recently checked
 * first (so runs whose checks keep failing cannot starve newer ones), and acts on
 * decideWatchdogAction: an alert for silent failures (the model's channel, in the run's thread
 * when known, and the alert channel), a quiet outcome for successes, "still running" notes, and
 * one alert when a run's state cannot be read for a bounded time. Every message goes through the
 * outbox (recorded once by a deterministic key, posted exactly once by the delivery worker).
 */
export function createRunWatchdog(deps: BotDeps, trigger: DagTrigger, options: RunWatchdogOptions = {}): RunWatchdog {
  const settings = deps.config.file.watchdog;
  const staleAfterMs = settings.staleAfterMinutes * 60_000;
  const policy: WatchdogPolicy = { staleAfterMs, unreadableAlertAfterMs: options.unreadableAlertAfterMs ?? staleAfterMs };
  const intervalMs = options.intervalMs ?? settings.intervalSeconds * 1000;
  const leaseTtlMs = options.leaseTtlMs ?? Math.max(3 * intervalMs, 30_000);
  const maxChecks = options.maxChecksPerTick ?? MAX_CHECKS_PER_TICK;
  const passBudgetMs = options.passBudgetMs ?? intervalMs;
  const replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = deps.logger.child({ component: 'watchdog', replica: replicaId });
  const { slack: slackConfig, models } = deps.config.file;

  /** The run's thread when known, else the model's channel, else the default channel. */
  function runTarget(run: RunRecord): MessageTarget | undefined {
    if (run.channel !== undefined && run.ts !== undefined && run.ts !== '') return { channel: run.channel, threadTs: run.ts };
    const channel = models[run.model]?.channel ?? slackConfig.defaultChannel;
    return channel !== undefined ? { channel } : undefined;
  }

  /** The model's channel (a thread reply shown in the channel too) and the alert channel. */
  function alertTargets(run: RunRecord): MessageTarget[] {
    const model = runTarget(run);
    const targets: MessageTarget[] = [];
    if (model !== undefined) targets.push(model.threadTs !== undefined ? { ...model, broadcast: true } : model);
    const alert = slackConfig.alertChannel;
    if (alert !== undefined && alert !== model?.channel) targets.push({ channel: alert });
    return targets;
  }

  function view(run: RunRecord, now: Date, action: Extract<WatchdogAction, { kind: 'alert-failed' | 'note-running' | 'note-unknown' }>) {
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

  /** Into the outbox, once per key (a second recording of the same key is a no-op). */
  async function record(run: RunRecord, key: string, targets: MessageTarget[], message: SlackMessage, now: Date): Promise<Date> {
    const recorded = await deps.recordMessage(
      `watchdog:${run.runKey}:${key}`,
      { type: 'watchdog', message, targets, model: run.model, ...(run.runId !== undefined ? { runId: run.runId } : {}) },
      now,
    );
    return recorded.recordedAt;
  }

  async function stopWatching(run: RunRecord, reason: string): Promise<void> {
    await deps.store.setRemove(storeKeys.openRuns(), run.runKey);
    log.info({ runKey: run.runKey, model: run.model, dagId: run.dagId, runId: run.runId, reason }, 'watchdog: stopped watching a run without an outcome');
  }

  async function observe(run: RunRecord): Promise<WatchdogObservation> {
    if (run.dagId === undefined || run.runId === undefined) return { kind: 'no-run-id' };
    try {
      const answer = await trigger.runState(run.dagId, run.runId);
      deps.metrics.watchdogChecks.inc({ check: answer.state === 'not_found' ? 'not_found' : 'ok', code: 'none' });
      return { kind: 'state', state: answer.state, ...(answer.raw !== undefined ? { raw: answer.raw } : {}) };
    } catch (error) {
      const code = isMlopsError(error) ? error.code : 'UNEXPECTED';
      deps.metrics.watchdogChecks.inc({ check: 'error', code });
      return { kind: 'error', code, message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Remembers this check: its time (fair order) and, for failures, since when they fail. */
  async function noteCheck(run: RunRecord, previous: CheckRecord | undefined, observation: WatchdogObservation, now: Date, alerted?: Date): Promise<void> {
    const at = now.toISOString();
    let next: CheckRecord = { at };
    if (observation.kind === 'error') {
      const errors = (previous?.errors ?? 0) + 1;
      const backoff = backoffDelayMs(errors, { baseMs: intervalMs, maxMs: Math.max(intervalMs, MAX_CHECK_BACKOFF_MS) });
      next = {
        at,
        unreadableSince: previous?.unreadableSince ?? at,
        ...(alerted !== undefined ? { alertedAt: alerted.toISOString() } : previous?.alertedAt !== undefined ? { alertedAt: previous.alertedAt } : {}),
        errors,
        nextAt: new Date(now.getTime() + backoff).toISOString(),
      };
    }
    await deps.store.set(checkKey(run.runKey), JSON.stringify(next), CHECK_TTL_MS);
  }

  /** Checks one stale run; returns what it did, for the report. */
  async function checkRun(run: RunRecord, previous: CheckRecord | undefined): Promise<keyof Omit<WatchdogTickReport, 'leader' | 'checked'> | undefined> {
    const observation = await observe(run);
    const now = deps.clock.now();
    const unknownish =
      observation.kind === 'no-run-id' || (observation.kind === 'state' && (observation.state === 'unknown' || observation.state === 'not_found'));
    const unknownNotedAt = unknownish ? await messageRecordedAt(deps.store, `watchdog:${run.runKey}:unknown`) : undefined;
    const unreadable: UnreadableRecord | undefined =
      previous?.unreadableSince !== undefined
        ? { since: new Date(previous.unreadableSince), ...(previous.alertedAt !== undefined ? { alertedAt: new Date(previous.alertedAt) } : {}) }
        : undefined;
    const action = decideWatchdogAction({
      run,
      observation,
      now,
      policy,
      ...(unknownNotedAt !== undefined ? { unknownNotedAt } : {}),
      ...(unreadable !== undefined ? { unreadable } : {}),
    });
    const runLog = log.child({ runKey: run.runKey, model: run.model, dagId: run.dagId, runId: run.runId, action: action.kind });

    // The pipeline may have reported while we asked: never alert or note over a fresh outcome.
    if (action.kind !== 'wait' && action.kind !== 'stop-watching') {
      const fresh = await deps.runs.get(run.runKey);
      if (fresh === undefined || fresh.outcome !== undefined) return undefined;
      run = fresh;
    }

    if (action.kind === 'alert-unreadable' && observation.kind === 'error') {
      const targets = alertTargets(run);
      if (targets.length === 0) runLog.error('watchdog: no channel for the unreadable-state alert (set slack.alertChannel)');
      const message = watchdogUnreadableView({
        model: run.model,
        ...(run.dagId !== undefined ? { dagId: run.dagId } : {}),
        ...(run.runId !== undefined ? { runId: run.runId } : {}),
        minutes: action.minutes,
        unreadableMinutes: action.unreadableMinutes,
        code: action.code,
        error: action.message,
        triggerKind: trigger.kind,
        now,
      });
      const at = targets.length > 0 ? await record(run, 'unreadable', targets, message, now) : now;
      await noteCheck(run, previous, observation, now, at);
      deps.metrics.watchdogUnreadable.inc();
      runLog.error({ code: action.code, err: action.message, unreadableMinutes: action.unreadableMinutes }, 'watchdog: the run state cannot be read; alerted');
      return 'alerted';
    }
    await noteCheck(run, previous, observation, now);

    switch (action.kind) {
      case 'wait':
        if (action.reason === 'trigger-error' && observation.kind === 'error') {
          runLog.warn({ code: observation.code, err: observation.message }, 'watchdog: could not read the run state; will ask again');
          return 'errors';
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
        const targets = alertTargets(run);
        if (targets.length === 0) runLog.error({ error: 'no channel configured' }, 'watchdog: failure alert could not be posted');
        else await record(run, 'failed', targets, view(run, now, action), now);
        let marked = false;
        await deps.runs.update(run.runKey, (r) => {
          marked = r.outcome === undefined;
          return marked ? { ...r, outcome: 'failed', stage: 'failed', updatedAt: now.toISOString() } : undefined;
        });
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the update callback
        if (marked) {
          const text = `Run ${run.runId ?? run.runKey}${run.dagId !== undefined ? ` of ${run.dagId}` : ''} failed without a failure callback (found by the run watchdog)`;
          await deps.store.set(
            storeKeys.lastFailure(run.model),
            JSON.stringify({ at: now.toISOString(), type: 'watchdog', message: text, runId: run.runId ?? run.runKey }),
          );
        }
        runLog.warn('watchdog: run failed without a failure callback; alert queued');
        return 'alerted';
      }

      case 'note-running': {
        const target = runTarget(run);
        if (target === undefined) return undefined;
        // Claim the note in the run record first (compare-and-set), so racing pollers note once.
        const claimAt = now.toISOString();
        let previousNote: string | undefined;
        let claimed = false;
        await deps.runs.update(run.runKey, (r) => {
          const last = r.lastWatchdogNoteAt === undefined ? Number.NaN : Date.parse(r.lastWatchdogNoteAt);
          claimed = r.outcome === undefined && !(now.getTime() - last < policy.staleAfterMs);
          previousNote = r.lastWatchdogNoteAt;
          return claimed ? { ...r, lastWatchdogNoteAt: claimAt } : undefined;
        });
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the update callback
        if (!claimed) return undefined;
        try {
          await record(run, `running:${claimAt}`, [target], view(run, now, action), now);
        } catch (error) {
          // Not recorded (store trouble): give the claim back so the next tick notes.
          await deps.runs.update(run.runKey, (r) => {
            if (r.lastWatchdogNoteAt !== claimAt) return undefined;
            const { lastWatchdogNoteAt: _drop, ...rest } = r;
            return previousNote !== undefined ? { ...rest, lastWatchdogNoteAt: previousNote } : rest;
          });
          throw error;
        }
        return 'noted';
      }

      case 'note-unknown': {
        const target = runTarget(run);
        if (target !== undefined) await record(run, 'unknown', [target], view(run, now, action), now);
        else runLog.error('watchdog: no channel for the "cannot tell" note');
        runLog.info({ reason: action.reason }, 'watchdog: run state cannot be read; noted');
        if (action.stopWatchingAt === undefined || target === undefined) await stopWatching(run, action.reason);
        return 'noted';
      }
    }
  }

  const emptyReport = (): WatchdogTickReport => ({ leader: false, checked: 0, alerted: 0, succeeded: 0, noted: 0, stopped: 0, retry: 0, errors: 0 });

  /** One pass, on the replica holding the lease (leasedJob renewed it just before). */
  async function pass(turn: LeaseTurn): Promise<WatchdogTickReport> {
    const report: WatchdogTickReport = { ...emptyReport(), leader: true };
    try {
      const started = performance.now();
      const now = deps.clock.now();
      const stale: RunRecord[] = [];
      for (const runKey of await deps.runs.openRunKeys()) {
        const run = await deps.runs.get(runKey);
        // The record expired (30 days) or already has its outcome: nothing left to watch.
        if (run === undefined || run.outcome !== undefined) await deps.store.setRemove(storeKeys.openRuns(), runKey);
        else if (isRunStale(run, now, policy)) stale.push(run);
      }
      // Least recently checked first (never checked first of all), then oldest: runs whose checks
      // keep failing go to the back, so a newer run is checked within a few ticks whatever the backlog.
      const checks = stale.length === 0 ? [] : (await deps.store.getMany(stale.map((r) => checkKey(r.runKey)))).map(parseCheck);
      // Runs whose checks keep failing wait their backoff (the trigger is likely down or throttling).
      const nowIso = now.toISOString();
      const order = stale.map((run, i) => ({ run, check: checks[i] })).filter(({ check }) => check?.nextAt === undefined || check.nextAt <= nowIso);
      report.retry += stale.length - order.length;
      order.sort((a, b) => (a.check?.at ?? '').localeCompare(b.check?.at ?? '') || a.run.startedAt.localeCompare(b.run.startedAt));
      let done = 0;
      for (const { run, check } of order) {
        if (turn.stopping() || done >= maxChecks) break;
        // A slow trigger (every call timing out) must not stretch one pass without bound (real time: a budget of this process's work).
        if (done > 0 && performance.now() - started > passBudgetMs) break;
        // Long passes renew the lease before it could lapse under us.
        if (!(await turn.keep())) break;
        done++;
        report.checked++;
        try {
          const outcome = await checkRun(run, check);
          if (outcome !== undefined) report[outcome]++;
        } catch (error) {
          report.retry++;
          log.warn({ err: error, runKey: run.runKey }, 'watchdog: checking a run failed; will retry');
        }
      }
      report.retry += Math.max(0, order.length - done);
      if (report.checked > 0) log.info(report, 'watchdog: pass done');
    } catch (error) {
      log.warn({ err: error }, 'watchdog: pass failed (store unavailable?); will retry');
    }
    return report;
  }

  const job = leasedJob<WatchdogTickReport>({
    name: WATCHDOG_JOB,
    store: deps.store,
    logger: deps.logger,
    holder: replicaId,
    leaseTtlMs,
    intervalMs,
    runAtStart: false,
    // Bounded: a trigger call can take seconds; the pass stops between runs.
    stopWaitMs: STOP_WAIT_MS,
    // A successor must not check (and alert) a run this replica is still checking.
    releaseAtStop: 'after-wait',
    pass,
    idle: emptyReport,
  });
  let running = false;

  return {
    name: WATCHDOG_JOB,
    replicaId,
    tick: () => job.runOnce(),
    start() {
      if (running) return;
      running = true;
      log.info({ intervalMs, staleAfterMinutes: settings.staleAfterMinutes, trigger: trigger.kind }, 'watchdog started');
      job.start();
    },
    async stop() {
      running = false;
      await job.stop();
    },
  };
}

/**
 * The run watchdog (issue 7): on unless `watchdog.enabled: false`; it needs a trigger to ask
 * (config `trigger`), so without one it stays off and says so.
 */
export function registerWatchdog(deps: BotDeps): BackgroundJob[] {
  if (!deps.config.file.watchdog.enabled) {
    deps.logger.info({ component: 'watchdog' }, 'run watchdog disabled (watchdog.enabled: false)');
    return [];
  }
  if (deps.trigger === undefined) {
    deps.logger.info({ component: 'watchdog' }, 'run watchdog off: no `trigger` in the config file to ask about runs');
    return [];
  }
  return [createRunWatchdog(deps, deps.trigger)];
}
