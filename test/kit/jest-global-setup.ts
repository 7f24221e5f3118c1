/**
 * Gives the suite a Redis without asking the developer to run one: unless TEST_REDIS_URL points
 * at a server, start a private redis-server (from PATH or REDIS_SERVER_BIN) on a free loopback
 * port in a temp dir. Workers inherit TEST_REDIS_URL because jest forks them after this runs.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersPing, freePort } from './private-redis';

const INSTALL_HINT =
  'redis-server was not found: the tests need it on PATH (or REDIS_SERVER_BIN=/path/to/redis-server, or TEST_REDIS_URL=redis://… of a running server). ' +
  'Install it with `sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).';

interface SuiteRedis {
  child: ChildProcess;
  dir: string;
}

declare global {
  // Handed from globalSetup to globalTeardown (same process).
  var __MLOPS_SUITE_REDIS__: SuiteRedis | undefined;
}

function redisServerBinary(): string | undefined {
  const configured = process.env['REDIS_SERVER_BIN'];
  if (configured !== undefined && configured !== '') return configured;
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

function fail(line: string): never {
  process.stderr.write(`\n${line}\n\n`);
  process.exit(1);
}

export default async function globalSetup(): Promise<void> {
  // Every key prefix of this run starts with test:<run id>: (test/kit/test-key-prefix.ts), so the
  // teardown can remove exactly this run's keys from a developer's Redis, even with other runs going on.
  process.env['MLOPS_TEST_RUN_ID'] ??= randomUUID();
  const given = process.env['TEST_REDIS_URL'];
  if (given !== undefined && given !== '') return;
  const bin = redisServerBinary();
  if (bin === undefined) fail(INSTALL_HINT);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-redis-'));
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed !== undefined) fail(`${bin} could not be started (${failed.message}). ${INSTALL_HINT}`);
    if (child.exitCode !== null) fail(`${bin} exited with code ${child.exitCode} before answering on 127.0.0.1:${port}.`);
    if (await answersPing(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      fail(`${bin} did not answer PING on 127.0.0.1:${port} within 10 s.`);
    }
  }
  globalThis.__MLOPS_SUITE_REDIS__ = { child, dir };
  process.env['TEST_REDIS_URL'] = `redis://127.0.0.1:${port}/0`;
}

export async function stopSuiteRedis(): Promise<void> {
  const own = globalThis.__MLOPS_SUITE_REDIS__;
  if (own === undefined) return;
  globalThis.__MLOPS_SUITE_REDIS__ = undefined;
  if (own.child.exitCode === null && own.child.signalCode === null) {
    const exited = new Promise<void>((resolve) => own.child.once('exit', () => resolve()));
    own.child.kill('SIGTERM');
    await exited;
  }
  rmSync(own.dir, { recursive: true, force: true });
}
