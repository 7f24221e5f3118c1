import { spawn, fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { candidateIdFor } from '../src/core/candidate';
import type { DeploymentCandidate } from '../src/core/candidate-state-machine';
import { createCandidateRepository } from '../src/services/candidate-repository';
import { ActionId } from '../src/slack/slack-ids';
import { RedisStore } from '../src/store/redis-store';
import { DEFAULT_KEY_PREFIX, storeKeys } from '../src/store/store-keys';
import { blockActionPayload, interactionBody, slackHeaders } from '../test/kit/sign-requests';
import { TEST_BOT_TOKEN, TEST_REDIS_URL, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../test/kit/test-secrets';
import { percentile, type BenchResult } from './bench-result';

/**
 * Deploy-button ack latency of the real bot beside a minimal Bolt app that only acks a
 * block_actions request (same @slack/bolt, HTTPReceiver, same machine, same run), at
 * concurrency 1, 20 and 100, with signed block_actions requests over loopback.
 *
 * The path measured: an approver (U0ALICE) clicks Deploy on a candidate that is already
 * deployed. The bot acks at once, then (after the ack, competing for the same event loop) reads
 * the candidate from Redis, checks the approver list, asks the state machine (a compare-and-set
 * read that refuses: already deployed) and answers the user ephemerally through response_url.
 * No DAG is triggered (the fake Lambda's Invoke count is checked). Candidates are seeded in a
 * Redis database of this benchmark's own.
 *
 * Three child processes, so that no process measures itself: the bot (`src/main.ts`, as
 * production starts it, LOG_LEVEL info, Redis), the bare Bolt app, and the fake Slack + fake AWS.
 * This process only seeds and sends. REQUESTS per level in ROUNDS alternating rounds.
 */
const LEVELS = [1, 20, 100] as const;
const REQUESTS = Number(process.env['BUTTON_BENCH_REQUESTS'] ?? 2000);
const WARMUP = 300;
const ROUNDS = 5;
const LEVEL_DEADLINE_MS = 60_000;
const CANDIDATES = 50;
const MODEL = 'fraud-detector';
const CHANNEL = 'C0FRAUD';
const APPROVER = 'U0ALICE';
const ROOT = join(__dirname, '..');
const TSX = ['--import', pathToFileURL(require.resolve('tsx')).href];
/** A Redis database of this benchmark's own (the slash-command bench uses /10). */
const BENCH_REDIS_URL = TEST_REDIS_URL.replace(/\/\d+$/, '') + '/11';
const PATH_NOTE = 'path: approver clicks Deploy on an already-deployed candidate (refused, answered via response_url; no DAG)';

interface Target {
  name: string;
  port: number;
  child: ChildProcess;
}

interface Sample {
  latencies: number[];
  statuses: Map<number, number>;
  sent: number;
}

interface FakeUrls {
  slackApiUrl: string;
  slackOrigin: string;
  awsUrl: string;
}

interface Counts {
  responses: number;
  invokes: number;
}

export async function run(): Promise<BenchResult[]> {
  const store = new RedisStore({ url: BENCH_REDIS_URL, keyPrefix: DEFAULT_KEY_PREFIX });
  const fakes = await startFakes();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-button-bench-'));
  let bot: Target | undefined;
  let bare: Target | undefined;
  const results: BenchResult[] = [];
  const ids = await seedDeployedCandidates(store);
  try {
    bot = await startBot(dir, fakes.urls);
    bare = await startBareBolt(fakes.urls.slackApiUrl);
    const responseUrl = `${fakes.urls.slackOrigin}/response/button-bench`;
    for (const target of [bot, bare]) await measure(target, ids, WARMUP, 20, responseUrl);
    await waitForAnswers(fakes, 10_000);
    for (const concurrency of LEVELS) {
      const b: Sample[] = [];
      const base: Sample[] = [];
      let delivered = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const before = (await fakes.counts()).responses;
        const sample = await measure(bot, ids, REQUESTS / ROUNDS, concurrency, responseUrl);
        b.push(sample);
        // The bot's answers come after its acks: let them land before the other app runs.
        delivered += (await waitForAnswers(fakes, 30_000, before + sample.sent)) - before;
        base.push(await measure(bare, ids, REQUESTS / ROUNDS, concurrency, responseUrl));
      }
      results.push(...rows(concurrency, merge(b), merge(base), delivered));
    }
    const { invokes } = await fakes.counts();
    if (invokes !== 0) throw new Error(`the benchmark's clicks triggered ${invokes} Lambda Invokes: the measured path is not the refused one`);
  } finally {
    for (const target of [bot, bare]) target?.child.kill('SIGTERM');
    fakes.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    for (const id of ids) await store.delete(storeKeys.candidate(id)).catch(() => undefined);
    await store.delete(storeKeys.modelCandidates(MODEL)).catch(() => undefined);
    await store.close();
  }
  return results;
}

/** Already-deployed candidates (the Deploy click is refused: nothing to deploy). */
async function seedDeployedCandidates(store: RedisStore): Promise<string[]> {
  const repo = createCandidateRepository(store);
  const at = new Date().toISOString();
  const ids: string[] = [];
  for (let i = 0; i < CANDIDATES; i++) {
    const version = `1.${i}.0`;
    const id = candidateIdFor(MODEL, version, `button-bench:${randomUUID()}`);
    const candidate: DeploymentCandidate = {
      id,
      model: MODEL,
      version,
      state: 'deployed',
      origin: 'evaluation',
      metrics: { f1: 0.9 },
      endpoint: 'fraud-detector-prod',
      message: { channel: CHANNEL, ts: `1795000000.${String(i).padStart(6, '0')}` },
      requiredApprovals: 1,
      approvals: [{ userId: 'U0BOB', at }],
      decidedBy: 'U0BOB',
      decidedAt: at,
      attempt: 1,
      dagRunId: `mlops_deploy__${id}__1`,
      triggerConfirmedAt: at,
      deployedAt: at,
      createdAt: at,
      updatedAt: at,
      rev: 3,
    };
    if (!(await repo.create(candidate))) throw new Error('button bench: could not seed a candidate');
    ids.push(id);
  }
  return ids;
}

function merge(samples: readonly Sample[]): Sample {
  const statuses = new Map<number, number>();
  for (const s of samples) for (const [k, v] of s.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
  return { latencies: samples.flatMap((s) => s.latencies), statuses, sent: samples.reduce((n, s) => n + s.sent, 0) };
}

function rows(concurrency: number, bot: Sample, bare: Sample, delivered: number): BenchResult[] {
  const ms = (s: Sample, p: number) => percentile(s.latencies, p);
  const errors = (s: Sample) => s.sent - (s.statuses.get(200) ?? 0);
  const note = [
    `max ${ms(bot, 100).toFixed(1)} vs ${ms(bare, 100).toFixed(1)} ms`,
    `${bot.sent} requests`,
    errors(bot) + errors(bare) > 0 ? `non-200: bot ${errors(bot)}, bare ${errors(bare)}` : 'all 200',
    `${delivered}/${bot.sent} refusals delivered via response_url`,
    PATH_NOTE,
  ].join('; ');
  return [50, 99].map((p) => ({
    name: `ack p${p} Deploy button @ concurrency ${concurrency}`,
    value: ms(bot, p),
    unit: 'ms',
    baselineName: 'Bolt app that only acks',
    baseline: ms(bare, p),
    ratio: ms(bot, p) / ms(bare, p),
    ...(p === 99 ? { target: '<= 1.5x' } : {}),
    ...(p === 99 ? { note } : {}),
  }));
}

/** Sends `total` signed Deploy clicks (cycling over `ids`) with `concurrency` in flight; latency = write to last byte. */
async function measure(target: Target, ids: readonly string[], total: number, concurrency: number, responseUrl: string): Promise<Sample> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const deadline = Date.now() + LEVEL_DEADLINE_MS;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total && Date.now() < deadline) {
          const id = ids[next++ % ids.length] ?? '';
          const body = interactionBody(blockActionPayload({ actionId: ActionId.Deploy, value: id, userId: APPROVER, channelId: CHANNEL, messageTs: '1795000000.000001', responseUrl }));
          const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...slackHeaders(TEST_SIGNING_SECRET, body) };
          const started = process.hrtime.bigint();
          const status = await post(agent, target.port, body, headers);
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { latencies, statuses, sent: latencies.length };
}

function post(agent: Agent, port: number, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

// ---- child processes ---------------------------------------------------------------------------

interface Fakes {
  child: ChildProcess;
  urls: FakeUrls;
  counts(): Promise<Counts>;
}

async function startFakes(): Promise<Fakes> {
  const child = fork(__filename, ['fakes'], { execArgv: TSX, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const urls = await new Promise<FakeUrls>((resolve, reject) => {
    child.once('message', (m) => resolve(m as FakeUrls));
    child.once('exit', (code) => reject(new Error(`fakes exited with ${code}`)));
  });
  let seq = 0;
  return {
    child,
    urls,
    counts: () =>
      new Promise<Counts>((resolve) => {
        const id = ++seq;
        const onMessage = (m: unknown) => {
          const reply = m as { id?: number } & Partial<Counts>;
          if (reply.id !== id) return;
          child.off('message', onMessage);
          resolve({ responses: reply.responses ?? 0, invokes: reply.invokes ?? 0 });
        };
        child.on('message', onMessage);
        child.send({ id });
      }),
  };
}

/** Waits until the fake Slack has `expected` response_url posts (or `timeoutMs`, or no change when 0); returns the count. */
async function waitForAnswers(fakes: Fakes, timeoutMs: number, expected = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const { responses } = await fakes.counts();
    if ((expected > 0 && responses >= expected) || (expected === 0 && responses === last) || Date.now() > deadline) return responses;
    last = responses;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The real bot, started by its real entry point with a config file and the loopback fakes. */
async function startBot(dir: string, urls: FakeUrls): Promise<Target> {
  const configPath = join(dir, 'mlops.config.yml');
  writeFileSync(
    configPath,
    stringify({
      slack: { defaultChannel: 'C0DEFAULT', alertChannel: 'C0ALERTS' },
      approvers: { users: [APPROVER], usergroups: [] },
      trigger: { kind: 'lambda', functionName: 'mlops-dag-trigger' },
      watchdog: { enabled: false },
      models: {
        [MODEL]: { channel: CHANNEL, trainingDag: 'fraud_detector_training', deploymentDag: 'fraud_detector_deployment', endpoint: 'fraud-detector-prod', primaryMetric: 'f1', metrics: { f1: 'maximize' } },
      },
    }),
  );
  const child = spawn(process.execPath, [...TSX, join(ROOT, 'src', 'main.ts')], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      PIPELINE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      SLACK_API_URL: urls.slackApiUrl,
      MLOPS_CONFIG: configPath,
      REDIS_URL: BENCH_REDIS_URL,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      AWS_ENDPOINT_URL: urls.awsUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { name: 'bot', child, port: await portFromStdout(child, (line) => (line.includes('is listening') ? (JSON.parse(line) as { port?: number }).port : undefined)) };
}

async function startBareBolt(slackApiUrl: string): Promise<Target> {
  const child = spawn(process.execPath, [...TSX, __filename, 'bare', slackApiUrl], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return { name: 'bare', child, port: await portFromStdout(child, (line) => (JSON.parse(line) as { barePort?: number }).barePort) };
}

/** Reads the child's stdout until `parse` finds the port; keeps draining it afterwards (logs). */
function portFromStdout(child: ChildProcess, parse: (line: string) => number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not report its port within 30 s')), 30_000);
    let found = false;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (found) return;
      let port: number | undefined;
      try {
        port = parse(line);
      } catch {
        port = undefined;
      }
      if (port !== undefined) {
        found = true;
        clearTimeout(timer);
        resolve(port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`child exited with ${code} before listening`));
    });
  });
}

// ---- child entry points: `tsx bench/button-ack-bench.ts fakes|bare` ---------------------------

async function serveFakes(): Promise<void> {
  const { startFakeSlack } = await import('../test/kit/fake-slack-server');
  const { startFakeAws } = await import('../test/kit/fake-aws-server');
  const slack = await startFakeSlack();
  const aws = await startFakeAws();
  process.on('message', (m: { id: number }) => process.send?.({ id: m.id, responses: slack.responses.length, invokes: aws.callsTo('lambda', 'Invoke').length }));
  process.send?.({ slackApiUrl: slack.apiUrl, slackOrigin: slack.origin, awsUrl: aws.url } satisfies FakeUrls);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** The baseline: Bolt with the bot's receiver settings and one action listener that only acks. */
async function serveBareBolt(): Promise<void> {
  const { App, HTTPReceiver, LogLevel } = await import('@slack/bolt');
  const receiver = new HTTPReceiver({ signingSecret: TEST_SIGNING_SECRET, endpoints: ['/slack/events'], processBeforeResponse: false, unhandledRequestTimeoutMillis: 3001 });
  const slackApiUrl = process.argv[3];
  const app = new App({
    receiver,
    token: TEST_BOT_TOKEN,
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
    ...(slackApiUrl !== undefined ? { clientOptions: { slackApiUrl } } : {}),
  });
  app.action(ActionId.Deploy, async ({ ack }) => {
    await ack();
  });
  const server = await receiver.start({ port: 0, host: '127.0.0.1' });
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ barePort: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) {
  const mode = process.argv[2];
  const serve = mode === 'fakes' ? serveFakes : mode === 'bare' ? serveBareBolt : undefined;
  if (serve === undefined) {
    process.stderr.write('usage: tsx bench/button-ack-bench.ts fakes|bare (or run it through bench/run-all.ts)\n');
    process.exit(2);
  }
  serve().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
