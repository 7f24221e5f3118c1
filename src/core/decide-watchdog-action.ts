import type { DagRunState } from './ports';

/**
 * The run watchdog's decisions, pure: Airflow skips failure callbacks when a worker is killed
 * (OOM, SIGKILL) or a DAG run times out, so a run can end without the bot hearing of it. For a run
 * with no outcome after `staleAfterMs`, the watchdog asks the trigger for the run's state and this
 * function says what to do with the answer. Adapters (Slack, the store, AWS) carry it out.
 */

/** What the watchdog reads of a run record (src/training/run-registry.ts RunRecord fits it). */
export interface WatchedRun {
  runKey: string;
  model: string;
  dagId?: string;
  runId?: string;
  startedAt: string;
  outcome?: 'succeeded' | 'failed';
  lastWatchdogNoteAt?: string;
}

export interface WatchdogPolicy {
  /** A run with no outcome this long after it started is checked (config watchdog.staleAfterMinutes). */
  staleAfterMs: number;
  /**
   * A run whose state could not be read (every check failed) for this long is alerted, once
   * (default: staleAfterMs). Without it a broken trigger would hide silent failures for 7 days.
   */
  unreadableAlertAfterMs?: number;
}

/** What asking the trigger gave. */
export type WatchdogObservation =
  | { kind: 'state'; state: DagRunState; raw?: string }
  /** The run has no DAG id or run id: there is nothing to ask. */
  | { kind: 'no-run-id' }
  /** The trigger call failed (throttled, access denied, timeout…): ask again next tick. */
  | { kind: 'error'; code: string; message: string };

/** The watchdog's memory of failed checks of one run (kept by the watchdog in the store). */
export interface UnreadableRecord {
  /** The first failed check since the last successful one. */
  since: Date;
  /** When the "cannot read its state" alert was recorded, if it was. */
  alertedAt?: Date;
}

export type WatchdogAction =
  /** Failed in Airflow and the pipeline never said so: alert, then outcome 'failed'. */
  | { kind: 'alert-failed'; minutes: number }
  /** Succeeded: outcome 'succeeded', no message. */
  | { kind: 'mark-succeeded' }
  /** Still queued or running: a note in the run's thread (at most once per staleAfter). */
  | { kind: 'note-running'; minutes: number; state: 'queued' | 'running'; nextNoteInMinutes: number }
  /**
   * The state cannot be known: one note. `stopWatchingAt` is when the watchdog gives up on the run
   * (undefined: right after the note, because asking again cannot help).
   */
  | { kind: 'note-unknown'; minutes: number; reason: 'not-found' | 'unknown-state' | 'no-run-id'; raw?: string; stopWatchingAt?: Date }
  /** Give up: the run leaves the watch list without an outcome. */
  | { kind: 'stop-watching'; reason: 'unknown' | 'too-old' }
  /** Every check failed for unreadableAlertAfterMs: alert once (the watchdog keeps asking). */
  | { kind: 'alert-unreadable'; minutes: number; unreadableMinutes: number; code: string; message: string }
  /** Nothing to do this tick. */
  | { kind: 'wait'; reason: 'noted-recently' | 'unknown-noted' | 'trigger-error' };

/** Runs without an outcome this long after they started are no longer watched at all. */
export const MAX_WATCH_MS = 7 * 24 * 60 * 60 * 1000;

function ms(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * What to do with a stale run, given what the trigger said. `unknownNotedAt` is when the
 * "cannot tell" note was posted for this run, if it was (the watchdog keeps that in the store).
 */
export function decideWatchdogAction(input: {
  run: WatchedRun;
  observation: WatchdogObservation;
  now: Date;
  policy: WatchdogPolicy;
  unknownNotedAt?: Date;
  /** Failed checks so far (before this observation), if the last checks failed. */
  unreadable?: UnreadableRecord;
}): WatchdogAction {
  const { run, observation, now, policy, unknownNotedAt, unreadable } = input;
  const started = ms(run.startedAt);
  const minutes = started === undefined ? 0 : Math.max(0, Math.floor((now.getTime() - started) / 60_000));
  // Beyond every sensible DAG run (and past staleAfter however it is set), stop asking.
  const tooOld = started !== undefined && now.getTime() - started >= Math.max(MAX_WATCH_MS, 2 * policy.staleAfterMs);

  if (observation.kind === 'state') {
    switch (observation.state) {
      case 'failed':
        return { kind: 'alert-failed', minutes };
      case 'success':
        return { kind: 'mark-succeeded' };
      case 'queued':
      case 'running': {
        if (tooOld) return { kind: 'stop-watching', reason: 'too-old' };
        const last = ms(run.lastWatchdogNoteAt);
        if (last !== undefined && now.getTime() - last < policy.staleAfterMs) return { kind: 'wait', reason: 'noted-recently' };
        return { kind: 'note-running', minutes, state: observation.state, nextNoteInMinutes: Math.round(policy.staleAfterMs / 60_000) };
      }
      case 'unknown':
      case 'not_found':
        break;
    }
  }
  if (observation.kind === 'error') {
    if (tooOld) return { kind: 'stop-watching', reason: 'too-old' };
    const since = unreadable?.since ?? now;
    const unreadableMs = now.getTime() - since.getTime();
    if (unreadable?.alertedAt === undefined && unreadableMs >= (policy.unreadableAlertAfterMs ?? policy.staleAfterMs)) {
      return { kind: 'alert-unreadable', minutes, unreadableMinutes: Math.floor(unreadableMs / 60_000), code: observation.code, message: observation.message };
    }
    return { kind: 'wait', reason: 'trigger-error' };
  }
  // Unknown state, run not found, or nothing to ask with: one note, then give up after a bound.
  if (unknownNotedAt === undefined) {
    if (observation.kind === 'no-run-id') return { kind: 'note-unknown', minutes, reason: 'no-run-id' };
    const notFound = observation.state === 'not_found' || observation.raw === 'not_found';
    return {
      kind: 'note-unknown',
      minutes,
      reason: notFound ? 'not-found' : 'unknown-state',
      ...(observation.raw !== undefined && !notFound ? { raw: observation.raw } : {}),
      // Keep asking for one more staleAfter: the run may appear (trigger briefly misconfigured, lag).
      stopWatchingAt: new Date(now.getTime() + policy.staleAfterMs),
    };
  }
  if (observation.kind === 'no-run-id' || tooOld || now.getTime() - unknownNotedAt.getTime() >= policy.staleAfterMs) {
    return { kind: 'stop-watching', reason: 'unknown' };
  }
  return { kind: 'wait', reason: 'unknown-noted' };
}
