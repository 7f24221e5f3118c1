import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Redis from 'ioredis';
import { stringify } from 'yaml';
import { startFakeSlack, type FakeSlack } from '../test/kit/fake-slack-server';
import { pipelineHeaders } from '../test/kit/sign-requests';
import { TEST_BOT_TOKEN, TEST_REDIS_URL, TEST_WEBHOOK_SECRET } from '../test/kit/test-secrets';
import { percentile, type BenchResult } from './bench-result';
import { ROOT, botEnv, terminate } from './spawn-bot';

/**
 * Delivery of pipeline events to Slack, end to end: the real bot (src/main.ts in its own
 * process, Redis, LOG_LEVEL info) receives signed hook events; the fake Slack in this process
 * records the calls.
 * 1. Latency, event to first Slack call, for single events (each its own run, so one
 *    chat.postMessage each), beside a bare HTTP round trip to the same loopback fake Slack.
 *    Events rotate over 20 channels and are spaced so that no channel's 1/s pace is involved.
 * 2. Bursts (500 events over 10 channels, 1,000 over 20) against a fake Slack that enforces
 *    1 message per second per channel: time until the last post beside the theoretical minimum
 *    ((per-channel count − 1) seconds), with 429s provoked, events lost and duplicated.
 * Bounded: each burst stops waiting after BURST_DEADLINE_MS; the bot is stopped with SIGTERM.
 */
const LATENCY_SAMPLES = 200;
const LATENCY_WARMUP = 20;
const SAMPLE_SPACING_MS = 60;
const BURST_DEADLINE_MS = 150_000;
const CHANNELS = Array.from({ length: 20 }, (_, i) => `C0BENCH${String(i).padStart(2, '0')}`);
const TSX = ['--import', pathToFileURL(require.resolve('tsx')).href];
/** A Redis database of this benchmark's own, emptied of the bot's keys before each bot starts. */
const BENCH_REDIS_URL = TEST_REDIS_URL.replace(/\/\d+$/, '') + '/11';

interface Bot {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  results.push(...(await latency()));
  results.push(await burst(500, 10));
  results.push(await burst(1000, 20));
  return results;
}

async function latency(): Promise<BenchResult[]> {
  const slack = await startFakeSlack();
  const bot = await startBot(slack);
  try {
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_WARMUP + LATENCY_SAMPLES; i++) {
      const channelIndex = i % CHANNELS.length;
      const before = slack.callsTo('chat.postMessage').length;
      const started = performance.now();
      const res = await hook(bot, event(channelIndex));
      if (res.status !== 202) throw new Error(`hook answered ${res.status}`);
      await slack.waitForCalls('chat.postMessage', before + 1, 10_000);
      const ms = performance.now() - started;
      if (i >= LATENCY_WARMUP) samples.push(ms);
      await sleep(SAMPLE_SPACING_MS);
    }
    const baseline: number[] = [];
    for (let i = 0; i < LATENCY_WARMUP + LATENCY_SAMPLES; i++) {
      const started = performance.now();
      const res = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${TEST_BOT_TOKEN}` } });
      await res.arrayBuffer();
      if (i >= LATENCY_WARMUP) baseline.push(performance.now() - started);
    }
    const row = (p: number): BenchResult => {
      const value = percentile(samples, p);
      const base = percentile(baseline, p);
      return {
        name: `delivery: event → first Slack call, p${p} (${LATENCY_SAMPLES} single events)`,
        value,
        unit: 'ms',
        baselineName: 'bare HTTP round trip to the fake Slack',
        baseline: base,
        ratio: value / base,
        note: 'signed hook (202 after Redis) → outbox → chat.postMessage arrives',
      };
    };
    return [row(50), row(99)];
  } finally {
    await bot.stop();
    await slack.close();
  }
}

async function burst(events: number, channels: number): Promise<BenchResult> {
  const slack = await startFakeSlack({ perChannelRatePerSecond: 1 });
  const bot = await startBot(slack);
  try {
    const ids = Array.from({ length: events }, (_, i) => ({ i, runId: `bench-${i}-${randomUUID().slice(0, 8)}` }));
    const started = performance.now();
    const startedEpoch = Date.now();
    // Sent as fast as the bot takes them, 20 at a time.
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ids.length) {
          const item = ids[next++];
          if (item === undefined) break;
          const res = await hook(bot, event(item.i % channels, item.runId));
          if (res.status !== 202) throw new Error(`hook answered ${res.status}`);
        }
      }),
    );
    const recordedMs = performance.now() - started;
    const deadline = Date.now() + BURST_DEADLINE_MS;
    const posted = () => CHANNELS.slice(0, channels).flatMap((c) => slack.messages(c));
    while (Date.now() < deadline && new Set(posted().map((m) => m.text)).size < events) await sleep(100);
    // Anything late (a duplicate) shows up within a second or two.
    await sleep(2000);
    const messages = posted();
    const lastPost = Math.max(...CHANNELS.slice(0, channels).flatMap((c) => slack.postTimes(c)));
    const totalS = (lastPost - startedEpoch) / 1000;
    const seen = new Map<string, number>();
    for (const m of messages) {
      const id = ids.find((x) => m.text.includes(x.runId))?.runId ?? m.text;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const delivered = ids.filter((x) => seen.has(x.runId)).length;
    const duplicated = [...seen.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    const minimumS = events / channels - 1;
    return {
      name: `delivery: burst of ${events} events over ${channels} channels, Slack at 1 msg/s/channel`,
      value: totalS,
      unit: 's',
      baselineName: `theoretical minimum (${events / channels} posts per channel at 1/s)`,
      baseline: minimumS,
      ratio: totalS / minimumS,
      note: `429s provoked: ${slack.rateLimitedCount}; lost: ${events - delivered}; duplicated: ${duplicated}; all recorded (202) after ${(recordedMs / 1000).toFixed(1)} s`,
    };
  } finally {
    await bot.stop();
    await slack.close();
  }
}

function event(channelIndex: number, runId = `lat-${randomUUID()}`) {
  return {
    id: randomUUID(),
    type: 'training.started',
    model: `bench-model-${String(channelIndex).padStart(2, '0')}`,
    timestamp: new Date().toISOString(),
    run: { dagId: 'bench_training', runId },
  };
}

function hook(bot: Bot, body: object): Promise<Response> {
  const text = JSON.stringify(body);
  return fetch(`${bot.url}/hooks/pipeline`, { method: 'POST', headers: pipelineHeaders(TEST_WEBHOOK_SECRET, text), body: text }).then(async (res) => {
    await res.arrayBuffer();
    return res;
  });
}

/** Empties the bot's keys in the bench database, so no earlier run's outbox is delivered again. */
async function cleanRedis(): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', 'mlops:*', 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The real bot, by its real entry point, with one model per bench channel. */
async function startBot(slack: FakeSlack): Promise<Bot> {
  await cleanRedis();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-delivery-bench-'));
  const configPath = join(dir, 'mlops.config.yml');
  writeFileSync(
    configPath,
    stringify({
      slack: { defaultChannel: 'C0DEFAULT', alertChannel: 'C0ALERTS' },
      models: Object.fromEntries(CHANNELS.map((channel, i) => [`bench-model-${String(i).padStart(2, '0')}`, { channel, trainingDag: 'bench_training' }])),
    }),
  );
  const child = spawn(process.execPath, [...TSX, join(ROOT, 'src', 'main.ts')], {
    cwd: dir,
    env: botEnv({ slackApiUrl: slack.apiUrl, configPath, logLevel: 'info', redisUrl: BENCH_REDIS_URL }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bot did not listen within 30 s')), 30_000);
    let found = false;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (found || !line.includes('is listening')) return;
      found = true;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`bot exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
