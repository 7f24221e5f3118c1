import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { removeKeysUnder } from './jest-global-teardown';
import { testKeyPrefix, testRunId } from './test-key-prefix';
import { TEST_REDIS_URL } from './test-secrets';

const ROOT = resolve(__dirname, '../..');

/** Runs the suite's global setup in a fresh process with the given environment. */
function runGlobalSetup(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const script = `require('./test/kit/jest-global-setup.ts').default().then(async () => { console.log('URL=' + process.env.TEST_REDIS_URL); await require('./test/kit/jest-global-setup.ts').stopSuiteRedis(); })`;
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const run = spawnSync(process.execPath, [tsx, '-e', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

describe('the suite Redis (npm test on a fresh machine)', () => {
  it('stops at once with one line on how to install redis-server when none is on PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'no-redis-path-'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const run = runGlobalSetup({ PATH: bin, HOME: tmpdir() });
    expect(run.status).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('redis-server was not found');
    expect(lines[0]).toContain('apt-get install redis-server');
    expect(lines[0]).toContain('brew install redis');
  });

  it('starts a private redis-server on a free loopback port when TEST_REDIS_URL is not set', () => {
    const run = runGlobalSetup({ PATH: process.env['PATH'] ?? '', HOME: tmpdir() });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const url = /URL=(redis:\/\/127\.0\.0\.1:\d+\/0)/.exec(run.stdout)?.[1];
    expect(url).toBeDefined();
    expect(url).not.toBe('redis://127.0.0.1:6379/0');
  });

  it("leaves a developer Redis as it found it: removes this run's keys only", async () => {
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    // A run of its own, so this test never removes keys of suites running beside it.
    const run = `test:${randomUUID()}:`;
    const ours = [`${run}bot:${randomUUID()}:event:1`, `${run}race:${randomUUID()}:lock:x`];
    const otherRun = `test:${randomUUID()}:bot:${randomUUID()}:event:1`;
    const developers = `dev-data:${randomUUID()}`;
    const globLike = `test:?${randomUUID()}`;
    try {
      await redis.mset(developers, 'keep', otherRun, 'keep', globLike, 'keep', ...ours.flatMap((k) => [k, 'v']));
      expect(await removeKeysUnder(TEST_REDIS_URL, run)).toBe(2);
      expect(await redis.exists(...ours)).toBe(0);
      expect(await redis.mget(developers, otherRun, globLike)).toEqual(['keep', 'keep', 'keep']);
      // A prefix with glob characters matches literally: `test:?` is not "any test key".
      expect(await removeKeysUnder(TEST_REDIS_URL, 'test:?')).toBe(1);
      expect(await redis.get(otherRun)).toBe('keep');
    } finally {
      await redis.del(developers, otherRun, globLike);
      redis.disconnect();
    }
  });

  it('names every test key prefix under the run id', () => {
    expect(testKeyPrefix('race')).toMatch(new RegExp(`^test:${testRunId()}:race:[0-9a-f-]{36}:$`));
    expect(testRunId()).not.toBe('adhoc');
  });
});
