import type { Clock } from '../core/ports';

/**
 * The sandbox's time: the real clock plus an offset the page moves forward ("Skip ahead"). The
 * bot (deps.clock), the Slack stand-in's message timestamps, the simulated pipeline's events and
 * the pipeline hook's signatures all read it, so a skip looks to every part as if the hours had
 * passed: reminders and expiry fall due, the digest's hour comes, CloudWatch windows move along.
 * Only the real waits (leases, TTLs in the store, pacing, Slack's signature window) stay on real
 * time: they measure elapsed time, and the sandbox does not make real seconds pass faster.
 */
export interface SandboxClock extends Clock {
  /** How far the page skipped ahead since the start (or the last reset), in ms. */
  skippedMs(): number;
  /** Moves the sandbox's time forward by `ms` (> 0). */
  advance(ms: number): Date;
  /** Back to where it started (reset). */
  reset(): void;
}

/** `startAt`: the sandbox's time at start (tests pin the time of day); default the real time. */
export function createSandboxClock(startAt?: Date, realNow: () => number = Date.now): SandboxClock {
  const initial = startAt !== undefined ? startAt.getTime() - realNow() : 0;
  let offset = initial;
  return {
    now: () => new Date(realNow() + offset),
    skippedMs: () => offset - initial,
    advance(ms: number) {
      if (!(ms > 0)) throw new RangeError('the sandbox clock only moves forward');
      offset += ms;
      return new Date(realNow() + offset);
    },
    reset() {
      offset = initial;
    },
  };
}
