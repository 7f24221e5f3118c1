import { Cron } from 'croner';

/**
 * Retraining schedules (contract 9: `retrainSchedule: {cron, timezone, catchUp}`), pure: which due
 * slot a pass should run, given where the schedule's cursor stands. Slots are the cron's fire
 * times in its time zone (croner: daylight saving handled, 5-field cron).
 */

/** Slots listed between the cursor and now at most (a cron firing every minute, down for a week, still ends). */
const MAX_SLOTS_SCANNED = 10_000;
/** Without catch-up, a slot still runs when found this late (a pass every 30 s, a brief lease handover). */
export const ON_TIME_GRACE_MS = 5 * 60_000;

export function isValidCron(expr: string): boolean {
  try {
    new Cron(expr, { paused: true });
    return expr.trim().split(/\s+/).length === 5;
  } catch {
    return false;
  }
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface ScheduleSpec {
  cron: string;
  timezone: string;
  catchUp: boolean;
}

/** The next `count` fire times strictly after `after`. */
export function nextSlots(spec: ScheduleSpec, after: Date, count = 1): Date[] {
  const cron = new Cron(spec.cron, { timezone: spec.timezone, paused: true });
  const out: Date[] = [];
  let from = after;
  while (out.length < count) {
    const next = cron.nextRun(from);
    if (next === null) break;
    out.push(next);
    from = next;
  }
  return out;
}

export type SlotDecision =
  /** Nothing due since the cursor. */
  | { kind: 'none' }
  /** Run this slot (the latest due one); `missed` earlier slots since the cursor are not run. */
  | { kind: 'run'; slot: Date; missed: number }
  /** Slots were missed while no replica ran and catch-up is off: skip them. */
  | { kind: 'skip'; latest: Date; missed: number };

/**
 * The decision for slots in (cursor, now]: none due → nothing; otherwise the latest due slot runs
 * once (never one run per missed slot), unless catch-up is off and it is older than the grace.
 */
export function decideSlot(spec: ScheduleSpec, cursor: Date, now: Date): SlotDecision {
  const cron = new Cron(spec.cron, { timezone: spec.timezone, paused: true });
  let latest: Date | undefined;
  let count = 0;
  let from = cursor;
  for (let i = 0; i < MAX_SLOTS_SCANNED; i++) {
    const next = cron.nextRun(from);
    if (next === null || next.getTime() > now.getTime()) break;
    latest = next;
    count += 1;
    from = next;
  }
  if (latest === undefined) return { kind: 'none' };
  const late = now.getTime() - latest.getTime();
  if (!spec.catchUp && late > ON_TIME_GRACE_MS) return { kind: 'skip', latest, missed: count };
  return { kind: 'run', slot: latest, missed: count - 1 };
}

/**
 * The dag_run_id of a scheduled run: derived from the model and the slot only, so every replica
 * and every retry names the same run (the trigger's idempotency key; MWAA answers 409 for a repeat).
 */
export function scheduledRunId(model: string, slot: Date): string {
  const stamp = slot
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `mlops_schedule__${model}__${stamp}`;
}
