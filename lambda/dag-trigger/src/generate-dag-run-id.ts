import { randomBytes } from 'node:crypto';

/**
 * A run id for callers that sent none (e.g. a manual `aws lambda invoke`). Shaped like Airflow's own
 * `manual__<timestamp>` ids, plus a random suffix so two calls in the same millisecond differ.
 * Callers that may retry should send their own deterministic id instead: that is what makes a
 * retried trigger answer `already_triggered` rather than start a second run.
 */
export function generateDagRunId(now: Date = new Date(), suffix: string = randomBytes(4).toString('hex')): string {
  return `mlops__${now.toISOString()}__${suffix}`;
}
