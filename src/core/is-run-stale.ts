import type { WatchdogPolicy, WatchedRun } from './decide-watchdog-action';

/** True when the watchdog should ask the trigger about this run now: no outcome after staleAfter. */
export function isRunStale(run: WatchedRun, now: Date, policy: WatchdogPolicy): boolean {
  if (run.outcome !== undefined) return false;
  const started = Date.parse(run.startedAt);
  // An unreadable start time must not hide a run forever: treat it as stale.
  return Number.isNaN(started) || now.getTime() - started >= policy.staleAfterMs;
}
