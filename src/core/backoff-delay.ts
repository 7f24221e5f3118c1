/** Exponential backoff with jitter, for every retry path of the background work (delivery, watchdog). */
export interface BackoffPolicy {
  /** The first retry waits about this long; each further one doubles it… */
  baseMs: number;
  /** …up to this cap. */
  maxMs: number;
}

/**
 * How long to wait before retry number `retry` (1 = the first retry): the doubled delay capped at
 * maxMs, with "equal jitter" (half fixed, half random), so that replicas and messages that failed
 * together do not retry in step, yet no retry comes sooner than half the nominal delay.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(retry, 40) - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
