import { randomUUID } from 'node:crypto';

/**
 * The one way tests name their Redis key prefixes: `test:<run id>:<label>:<uuid>:`. The run id comes
 * from the suite's global setup, so its teardown removes this run's keys and nobody else's.
 */
export function testRunId(): string {
  return process.env['MLOPS_TEST_RUN_ID'] ?? 'adhoc';
}

export function testKeyPrefix(label = 'bot'): string {
  return `test:${testRunId()}:${label}:${randomUUID()}:`;
}
