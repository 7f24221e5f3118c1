import { fork, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { ActionId } from '../src/slack/slack-ids';
import { slackHeaders } from '../test/kit/sign-requests';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../test/kit/test-secrets';
import { percentile, type BenchResult } from './bench-result';

/**
 * What the ack-latency benchmarks (ack-latency-bench.ts: slash commands; button-ack-bench.ts:
 * Deploy clicks) share: the three child processes (the real bot, a bare Bolt app that only acks,
 * the fake Slack + fake AWS), the signed-request sender and the table rows. The fakes and the
 * bare app run this file again as their own process (`tsx bench/ack-bench-kit.ts fakes|bare`),
 * so that no process measures itself. Not a `-bench.ts` file: run-all.ts does not run it.
 */
const ROOT = join(__dirname, '..');
/** Children load TypeScript through tsx, resolved from here (the bot's cwd is a temp dir). */
const TSX = ['--import', pathToFileURL(require.resolve('tsx')).href];

export interface Target {
  name: string;
  port: number;
  child: ChildProcess;
}

export interface Sample {
  latencies: number[];
  statuses: Map<number, number>;
  sent: number;
}

export interface FakeUrls {
  slackApiUrl: string;
  slackOrigin: string;
  awsUrl: string;
}

export interface FakeCounts {
  /** response_url posts the fake Slack has received so far. */
  responses: number;
  /** Lambda Invoke calls the fake AWS has received so far. */
  invokes: number;
}

export interface Fakes {
  child: ChildProcess;
  urls: FakeUrls;
  counts(): Promise<FakeCounts>;
}

/** What the bare Bolt app listens to: the `/mlops` slash command, or the Deploy button's action. */
export type BareListener = 'slash-command' | 'deploy-button';

/**
 * Alternating rounds, so that both apps see the same machine (it is shared and noisy): each round
 * measures the bot, then (when `waitForBotAnswers`) lets the bot's response_url answers, which
 * arrive after its acks, land before the bare app is measured. Returns both apps' samples merged
 * and the bot's answers delivered in the meantime (0 when not waited for).
 */
export async function alternateRounds(opts: {
  fakes: Fakes;
  bot: Target;
  bare: Target;
  rounds: number;
  waitForBotAnswers: boolean;
  measure: (target: Target) => Promise<Sample>;
}): Promise<{ bot: Sample; bare: Sample; delivered: number }> {
  const b: Sample[] = [];
  const base: Sample[] = [];
  let delivered = 0;
  for (let round = 0; round < opts.rounds; round++) {
    const before = (await opts.fakes.counts()).responses;
    const sample = await opts.measure(opts.bot);
    b.push(sample);
    if (opts.waitForBotAnswers) delivered += (await waitForAnswers(opts.fakes, 30_000, before + sample.sent)) - before;
    base.push(await opts.measure(opts.bare));
  }
  return { bot: mergeSamples(b), bare: mergeSamples(base), delivered };
}

/** One sample of several rounds' samples. */
function mergeSamples(samples: readonly Sample[]): Sample {
  const statuses = new Map<number, number>();
  for (const s of samples) for (const [k, v] of s.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
  return { latencies: samples.flatMap((s) => s.latencies), statuses, sent: samples.reduce((n, s) => n + s.sent, 0) };
}

/** The issue-10 target for ack p99 at concurrency 20: within 1.3x of the bare Bolt app. */
export const ACK_RATIO_TARGET = '<= 1.3x';
/** With Slack answering every call in 300 ms, the ack p99 must stay under this (ms). */
export const SLOW_SLACK_ACK_P99_MS = 50;
export const SLOW_SLACK_LATENCY_MS = 300;

/**
 * The p50 and p99 rows of one concurrency level: `ack p<P> <label> @ concurrency <N>`, the bot
 * beside the bare app; the p99 row carries the note (`notes` after the max, count and non-200s)
 * and the `target`, if any.
 */
export function ackRows(label: string, concurrency: number, bot: Sample, bare: Sample, notes: readonly string[], target: string | undefined): BenchResult[] {
  const ms = (s: Sample, p: number) => percentile(s.latencies, p);
  const errors = (s: Sample) => s.sent - (s.statuses.get(200) ?? 0);
  const note = [
    `max ${ms(bot, 100).toFixed(1)} vs ${ms(bare, 100).toFixed(1)} ms`,
    `${bot.sent} requests`,
    errors(bot) + errors(bare) > 0 ? `non-200: bot ${errors(bot)}, bare ${errors(bare)}` : 'all 200',
    ...notes,
  ].join('; ');
  return [50, 99].map((p) => ({
    name: `ack p${p} ${label} @ concurrency ${concurrency}`,
    value: ms(bot, p),
    unit: 'ms',
    baselineName: 'Bolt app that only acks',
    baseline: ms(bare, p),
    ratio: ms(bot, p) / ms(bare, p),
    ...(p === 99 && target !== undefined ? { target } : {}),
    ...(p === 99 ? { note } : {}),
  }));
}

/** The headers of a form-encoded body signed as Slack signs it. */
export function signedFormHeaders(body: string): Record<string, string> {
  return { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...slackHeaders(TEST_SIGNING_SECRET, body) };
}

/**
 * Closed loop: sends `total` signed requests (the n-th body from `bodyAt(n)`) with `concurrency`
 * in flight, until `deadlineMs` has passed; latency = write to last byte.
 */
export async function measureClosedLoop(
  target: Target,
  total: number,
  concurrency: number,
  deadlineMs: number,
  bodyAt: (n: number) => string,
): Promise<Sample> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const deadline = Date.now() + deadlineMs;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total && Date.now() < deadline) {
          const body = bodyAt(next++);
          const headers = signedFormHeaders(body);
          const started = process.hrtime.bigint();
          const status = await postSlackEvent(agent, target.port, body, headers);
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

/** POSTs `body` to the app's /slack/events on loopback; resolves with the status (0 on a network error). */
export function postSlackEvent(agent: Agent, port: number, body: string, headers: Record<string, string>): Promise<number> {
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

/**
 * The fake Slack + fake AWS in a child process of their own; `counts()` asks it over IPC.
 * `slackLatencyMs` holds every fake Slack answer (Web API and response_url) that long.
 */
export async function startFakes(opts: { slackLatencyMs?: number } = {}): Promise<Fakes> {
  const child = fork(__filename, ['fakes', String(opts.slackLatencyMs ?? 0)], { execArgv: TSX, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const urls = await new Promise<FakeUrls>((resolve, reject) => {
    child.once('message', (m) => resolve(m as FakeUrls));
    child.once('exit', (code) => reject(new Error(`fakes exited with ${code}`)));
  });
  let seq = 0;
  return {
    child,
    urls,
    counts: () =>
      new Promise<FakeCounts>((resolve) => {
        const id = ++seq;
        const onMessage = (m: unknown) => {
          const reply = m as { id?: number } & Partial<FakeCounts>;
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
export async function waitForAnswers(fakes: Fakes, timeoutMs: number, expected = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const { responses } = await fakes.counts();
    if ((expected > 0 && responses >= expected) || (expected === 0 && responses === last) || Date.now() > deadline) return responses;
    last = responses;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The real bot, started by its real entry point (`src/main.ts`, LOG_LEVEL info) with `config`
 * written to a config file in `dir` (its cwd), the loopback fakes and the Redis at `redisUrl`.
 */
export async function startBot(dir: string, urls: FakeUrls, config: object, redisUrl: string): Promise<Target> {
  const configPath = join(dir, 'mlops.config.yml');
  writeFileSync(configPath, stringify(config));
  const child = spawn(process.execPath, [...TSX, join(ROOT, 'src', 'main.ts')], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      PIPELINE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      SLACK_API_URL: urls.slackApiUrl,
      MLOPS_CONFIG: configPath,
      REDIS_URL: redisUrl,
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
  return {
    name: 'bot',
    child,
    port: await portFromStdout(child, (line) => (line.includes('is listening') ? (JSON.parse(line) as { port?: number }).port : undefined)),
  };
}

/**
 * The baseline: Bolt with the bot's receiver settings and one listener (`listener`) that only acks.
 * It is given the bot's ids (as the bot gives them, after its one startup auth.test), so that it
 * makes no Slack call per request either: a Bolt app set up well, not one paying auth.test per request.
 */
export async function startBareBolt(slackApiUrl: string, listener: BareListener): Promise<Target> {
  const child = spawn(process.execPath, [...TSX, __filename, 'bare', slackApiUrl, listener], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
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
        port = undefined; // not JSON: some other output
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

// ---- child entry points: `tsx bench/ack-bench-kit.ts fakes | bare <slackApiUrl> <listener>` ----

async function serveFakes(): Promise<void> {
  const { startFakeSlack } = await import('../test/kit/fake-slack-server');
  const { startFakeAws } = await import('../test/kit/fake-aws-server');
  const latencyMs = Number(process.argv[3] ?? 0);
  const slack = await startFakeSlack(latencyMs > 0 ? { latencyMs } : {});
  const aws = await startFakeAws();
  process.on('message', (m: { id: number }) =>
    process.send?.({ id: m.id, responses: slack.responses.length, invokes: aws.callsTo('lambda', 'Invoke').length } satisfies { id: number } & FakeCounts),
  );
  process.send?.({ slackApiUrl: slack.apiUrl, slackOrigin: slack.origin, awsUrl: aws.url } satisfies FakeUrls);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

async function serveBareBolt(): Promise<void> {
  const slackApiUrl = process.argv[3];
  const listener = process.argv[4] as BareListener | undefined;
  if (listener !== 'slash-command' && listener !== 'deploy-button') throw new Error(`bare: unknown listener ${String(listener)}`);
  const { App, HTTPReceiver, LogLevel } = await import('@slack/bolt');
  const receiver = new HTTPReceiver({
    signingSecret: TEST_SIGNING_SECRET,
    endpoints: ['/slack/events'],
    processBeforeResponse: false,
    unhandledRequestTimeoutMillis: 3001,
  });
  const app = new App({
    receiver,
    token: TEST_BOT_TOKEN,
    botId: 'BBOT',
    botUserId: 'UBOT',
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
    ...(slackApiUrl !== undefined ? { clientOptions: { slackApiUrl } } : {}),
  });
  if (listener === 'slash-command') {
    app.command('/mlops', async ({ ack }) => {
      await ack();
    });
  } else {
    app.action(ActionId.Deploy, async ({ ack }) => {
      await ack();
    });
  }
  const server = await receiver.start({ port: 0, host: '127.0.0.1' });
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ barePort: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) {
  const mode = process.argv[2];
  const serve = mode === 'fakes' ? serveFakes : mode === 'bare' ? serveBareBolt : undefined;
  if (serve === undefined) {
    process.stderr.write(
      'usage: tsx bench/ack-bench-kit.ts fakes | bare <slackApiUrl> slash-command|deploy-button (the benches start these; run them through bench/run-all.ts)\n',
    );
    process.exit(2);
  }
  serve().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
