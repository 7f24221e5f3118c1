/**
 * When the daily digest is due (contract 10: `digest: {channel, time, timezone}`), pure. The day
 * is the calendar date in the digest's time zone, so each local day has one digest whatever the
 * offset does: on the day clocks go forward a time inside the skipped hour is reached at the first
 * local minute after it; on the day they go back the repeated hour cannot send a second one (the
 * day's key is already taken).
 */

export interface DigestSchedule {
  /** "HH:MM", local to `timezone`. */
  time: string;
  timezone: string;
}

/** The local calendar date (YYYY-MM-DD) and minutes since local midnight of `at` in `timezone`. */
export function localClock(at: Date, timezone: string): { day: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return { day: `${part('year')}-${part('month')}-${part('day')}`, minutes: Number(part('hour')) * 60 + Number(part('minute')) };
}

/** Today's digest (its local day) and whether its time has come. */
export function digestDue(now: Date, schedule: DigestSchedule): { day: string; due: boolean } {
  const [h, m] = schedule.time.split(':').map(Number);
  const local = localClock(now, schedule.timezone);
  return { day: local.day, due: local.minutes >= (h ?? 0) * 60 + (m ?? 0) };
}
