/**
 * Stops the suite's private Redis; when the developer's own Redis was used (TEST_REDIS_URL), removes
 * the keys this run wrote there (prefix `test:<run id>:`, see test-key-prefix.ts), so a run leaves
 * nothing behind and never touches another run's or the developer's own keys.
 */
import Redis from 'ioredis';
import { stopSuiteRedis } from './jest-global-setup';

export async function removeKeysUnder(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    await redis.connect();
    // SCAN's MATCH is a glob: escape its metacharacters so the prefix matches literally.
    const match = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

export default async function globalTeardown(): Promise<void> {
  if (globalThis.__MLOPS_SUITE_REDIS__ !== undefined) {
    await stopSuiteRedis();
    return;
  }
  const url = process.env['TEST_REDIS_URL'];
  const runId = process.env['MLOPS_TEST_RUN_ID'];
  if (url !== undefined && url !== '' && runId !== undefined) await removeKeysUnder(url, `test:${runId}:`);
}
