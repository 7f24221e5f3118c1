import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { slackHeaders, slashCommandBody } from '../test/kit/sign-requests';
import { TEST_BOT_TOKEN, TEST_REDIS_URL, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../test/kit/test-secrets';
import { percentile, type BenchResult } from './bench-result';

/**
 * Slash-command ack latency of the real bot beside a minimal Bolt app that only acks (same
 * @slack/bolt, HTTPReceiver, same machine, same run), at concurrency 1, 20 and 100, with signed
 * requests over loopback. Three child processes so that no process measures itself: the bot
 * (`src/main.ts`, as production starts it, LOG_LEVEL info, Redis), the bare Bolt app, and the
 * fake Slack + fake AWS the bot's `status` work talks to after its ack. This process only sends.
 * Bounded: REQUESTS per level and command (in ROUNDS alternating rounds), each round stops after
 * LEVEL_DEADLINE_MS.
 */
const LEVELS = [1, 20, 100] as const;
/** Per level and command; ACK_BENCH_REQUESTS overrides it for a quick look. */
const REQUESTS = Number(process.env['ACK_BENCH_REQUESTS'] ?? 2000);
const WARMUP = 300;
/** Each level alternates bot and baseline in this many rounds of REQUESTS / ROUNDS. */
const ROUNDS = 5;
const LEVEL_DEADLINE_MS = 60_000;
const COMMANDS = ['help', 'status fraud-detector'] as const;
/**
 * Open loop: requests arrive at a fixed rate whatever the answers, as Slack's traffic does.
 * The closed loops above saturate the machine, so they measure throughput as much as ack
 * latency; at a rate both apps sustain, the ratio isolates what the ack path costs.
 */
const OPEN_LOOP_RATES = [50, 200] as const;
const OPEN_LOOP_REQUESTS = 1000;
const ROOT = join(__dirname, '..');
/** Children load TypeScript through tsx, resolved from here (the bot's cwd is a temp dir). */
const TSX = ['--import', pathToFileURL(require.resolve('tsx')).href];
/** A Redis database of this benchmark's own; the bot only reads there. */
const BENCH_REDIS_URL = TEST_REDIS_URL.replace(/\/\d+$/, '') + '/10';

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

export async function run(): Promise<BenchResult[]> {
  const fakes = await startFakes();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-ack-bench-'));
  let bot: Target | undefined;
  let bare: Target | undefined;
  const results: BenchResult[] = [];
  try {
    bot = await startBot(dir, fakes.urls);
    bare = await startBareBolt(fakes.urls.slackApiUrl);
    const responseUrl = `${fakes.urls.slackOrigin}/response/bench`;
    for (const target of [bot, bare]) {
      for (const text of COMMANDS) await measure(target, text, WARMUP, 20, responseUrl);
    }
    await waitForAnswers(fakes, 10_000);
    for (const concurrency of LEVELS) {
      for (const text of COMMANDS) {
        // Alternating rounds, so that both apps see the same machine (it is shared and noisy).
        const b: Sample[] = [];
        const base: Sample[] = [];
        let delivered = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const before = await fakes.responses();
          const sample = await measure(bot, text, REQUESTS / ROUNDS, concurrency, responseUrl);
          b.push(sample);
          // The bot's status answers arrive after its acks: let them land before the other app runs.
          if (text.startsWith('status')) delivered += (await waitForAnswers(fakes, 30_000, before + sample.sent)) - before;
          base.push(await measure(bare, text, REQUESTS / ROUNDS, concurrency, responseUrl));
        }
        results.push(...rows(text, concurrency, merge(b), merge(base), text.startsWith('status') ? delivered : undefined));
      }
    }
    for (const rate of OPEN_LOOP_RATES) {
      const text = 'status fraud-detector';
      const before = await fakes.responses();
      const b = await measureOpenLoop(bot, text, OPEN_LOOP_REQUESTS, rate, responseUrl);
      const delivered = (await waitForAnswers(fakes, 30_000, before + b.sent)) - before;
      const base = await measureOpenLoop(bare, text, OPEN_LOOP_REQUESTS, rate, responseUrl);
      for (const p of [50, 99]) {
        results.push({
          name: `ack p${p} /mlops status, open loop at ${rate} req/s`,
          value: percentile(b.latencies, p),
          unit: 'ms',
          baselineName: 'Bolt app that only acks',
          baseline: percentile(base.latencies, p),
          ratio: percentile(b.latencies, p) / percentile(base.latencies, p),
          ...(p === 99
            ? {
                target: '<= 1.5x',
                note: `max ${percentile(b.latencies, 100).toFixed(1)} vs ${percentile(base.latencies, 100).toFixed(1)} ms; ${b.sent} requests; ${b.statuses.get(200) ?? 0}/${b.sent} bot 200s; ${delivered}/${b.sent} answers delivered`,
              }
            : {}),
        });
      }
    }
  } finally {
    for (const target of [bot, bare]) target?.child.kill('SIGTERM');
    fakes.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function merge(samples: readonly Sample[]): Sample {
  const statuses = new Map<number, number>();
  for (const s of samples) for (const [k, v] of s.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
  return { latencies: samples.flatMap((s) => s.latencies), statuses, sent: samples.reduce((n, s) => n + s.sent, 0) };
}

function rows(text: string, concurrency: number, bot: Sample, bare: Sample, delivered: number | undefined): BenchResult[] {
  const command = `/mlops ${text.split(' ')[0]}`;
  const ms = (s: Sample, p: number) => percentile(s.latencies, p);
  const errors = (s: Sample) => s.sent - (s.statuses.get(200) ?? 0);
  const note = [
    `max ${ms(bot, 100).toFixed(1)} vs ${ms(bare, 100).toFixed(1)} ms`,
    `${bot.sent} requests`,
    errors(bot) + errors(bare) > 0 ? `non-200: bot ${errors(bot)}, bare ${errors(bare)}` : 'all 200',
    ...(delivered !== undefined ? [`${delivered}/${bot.sent} answers delivered via response_url`] : []),
  ].join('; ');
  return [50, 99].map((p) => ({
    name: `ack p${p} ${command} @ concurrency ${concurrency}`,
    value: ms(bot, p),
    unit: 'ms',
    baselineName: 'Bolt app that only acks',
    baseline: ms(bare, p),
    ratio: ms(bot, p) / ms(bare, p),
    ...(p === 99 && concurrency === 20 ? { target: '<= 1.5x' } : {}),
    ...(p === 99 ? { note } : {}),
  }));
}

/** Sends `total` signed `/mlops <text>` requests with `concurrency` in flight; latency = write to last byte. */
async function measure(target: Target, text: string, total: number, concurrency: number, responseUrl: string): Promise<Sample> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const deadline = Date.now() + LEVEL_DEADLINE_MS;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total && Date.now() < deadline) {
          next++;
          const body = slashCommandBody({ text, responseUrl, channelId: 'C0FRAUD', userId: 'U0ALICE' });
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

/** Sends `total` requests at `ratePerSecond`, each on schedule whether or not earlier ones were answered. */
async function measureOpenLoop(target: Target, text: string, total: number, ratePerSecond: number, responseUrl: string): Promise<Sample> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / ratePerSecond;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = slashCommandBody({ text, responseUrl, channelId: 'C0FRAUD', userId: 'U0ALICE' });
      const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...slackHeaders(TEST_SIGNING_SECRET, body) };
      const sentAt = process.hrtime.bigint();
      inFlight.push(
        post(agent, target.port, body, headers).then((status) => {
          latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }),
      );
    }
    await Promise.all(inFlight);
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

interface FakeUrls {
  slackApiUrl: string;
  slackOrigin: string;
  awsUrl: string;
}

interface Fakes {
  child: ChildProcess;
  urls: FakeUrls;
  /** response_url posts the fake Slack has received so far. */
  responses(): Promise<number>;
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
    responses: () =>
      new Promise<number>((resolve) => {
        const id = ++seq;
        const onMessage = (m: unknown) => {
          const reply = m as { id?: number; responses?: number };
          if (reply.id !== id) return;
          child.off('message', onMessage);
          resolve(reply.responses ?? 0);
        };
        child.on('message', onMessage);
        child.send({ id });
      }),
  };
}

/** Waits until the fake Slack has `expected` response_url posts (or `timeoutMs`); returns the count. */
async function waitForAnswers(fakes: Fakes, timeoutMs: number, expected = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const count = await fakes.responses();
    if ((expected > 0 && count >= expected) || (expected === 0 && count === last) || Date.now() > deadline) return count;
    last = count;
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
      trigger: { kind: 'lambda', functionName: 'mlops-dag-trigger' },
      models: { 'fraud-detector': { channel: 'C0FRAUD', trainingDag: 'fraud_detector_training', endpoint: 'fraud-detector-prod', primaryMetric: 'f1', metrics: { f1: 'maximize' } } },
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

/** Bolt resolves the bot identity (auth.test) on the first request: it asks the same fake Slack as the bot. */
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

// ---- child entry points: `tsx bench/ack-latency-bench.ts fakes|bare` --------------------------

async function serveFakes(): Promise<void> {
  const { startFakeSlack } = await import('../test/kit/fake-slack-server');
  const { startFakeAws } = await import('../test/kit/fake-aws-server');
  const slack = await startFakeSlack();
  const aws = await startFakeAws();
  process.on('message', (m: { id: number }) => process.send?.({ id: m.id, responses: slack.responses.length }));
  process.send?.({ slackApiUrl: slack.apiUrl, slackOrigin: slack.origin, awsUrl: aws.url } satisfies FakeUrls);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

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
  app.command('/mlops', async ({ ack }) => {
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
    process.stderr.write('usage: tsx bench/ack-latency-bench.ts fakes|bare (or run it through bench/run-all.ts)\n');
    process.exit(2);
  }
  serve().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
