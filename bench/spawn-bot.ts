import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SAMPLE_CONFIG } from '../test/kit/start-test-bot';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../test/kit/test-secrets';

export const ROOT = join(__dirname, '..');

export interface SpawnedBot {
  child: ChildProcess;
  port: number;
  url: string;
  startupMs: number;
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Resident set size of a process, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return kb * 1024;
}

/** Starts the built bot (`node dist/src/main.js`) as production would, and waits until /readyz is 200. */
export async function spawnBot(opts: { slackApiUrl: string; redisUrl?: string; keyPrefix?: string; config?: object }): Promise<SpawnedBot> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
  const configPath = join(dir, 'mlops.config.yml');
  writeFileSync(configPath, stringify(opts.config ?? SAMPLE_CONFIG));
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: dir,
    env: botEnv({ slackApiUrl: opts.slackApiUrl, configPath, logLevel: 'warn', redisUrl: opts.redisUrl }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return whenServing(child, started, '/readyz');
}

/** The environment the bot is started with: the test kit's secrets, a free loopback port, fake AWS credentials. */
export function botEnv(opts: { slackApiUrl: string; configPath: string; logLevel: string; redisUrl?: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    PIPELINE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    SLACK_API_URL: opts.slackApiUrl,
    MLOPS_CONFIG: opts.configPath,
    ...(opts.redisUrl !== undefined ? { REDIS_URL: opts.redisUrl } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: opts.logLevel,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** SIGTERM, then waits for the exit (at once when the process has exited already). */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Waits until the child listens (the port is found from its sockets: the bot's LOG_LEVEL warn hides
 * the "listening" line) and `path` answers 200; `started` is when it was spawned.
 */
async function whenServing(child: ChildProcess, started: bigint, path: string): Promise<SpawnedBot> {
  const port = await waitForListeningPort(child);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const ok = await fetch(`${url}${path}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { child, port, url, startupMs, rssBytes: () => rssOf(child.pid ?? 0), stop: () => terminate(child) };
}

async function waitForListeningPort(child: ChildProcess): Promise<number> {
  const deadline = Date.now() + 30_000;
  const pid = child.pid ?? 0;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bot exited with ${child.exitCode}`);
    const port = listeningPortOf(pid);
    if (port !== undefined) return port;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('bot did not listen within 30 s');
}

/** The TCP port a process listens on, from /proc/net/tcp and its socket inodes. */
function listeningPortOf(pid: number): number | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .filter((l) => l.startsWith('socket:['))
        .map((l) => l.slice(8, -1)),
    );
  } catch {
    return undefined;
  }
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // st 0A = LISTEN
    if (cols[3] === '0A' && inodes.has(cols[9] ?? '')) return parseInt((cols[1] ?? ':0').split(':')[1] ?? '0', 16);
  }
  return undefined;
}

/** A bare Node HTTP server in its own process: the baseline for startup and memory. */
export async function spawnBareNode(): Promise<SpawnedBot> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', "require('node:http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1')"], { stdio: 'ignore' });
  return whenServing(child, started, '/');
}
