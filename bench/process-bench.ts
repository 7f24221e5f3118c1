import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { evaluationCompleted } from '../test/fixtures/pipeline-events';
import { startFakeSlack } from '../test/kit/fake-slack-server';
import { pipelineHeaders } from '../test/kit/sign-requests';
import { TEST_REDIS_URL, TEST_WEBHOOK_SECRET } from '../test/kit/test-secrets';
import type { BenchResult } from './bench-result';
import { ROOT, spawnBareNode, spawnBot } from './spawn-bot';

const STARTUP_RUNS = 3;
const BURST_EVENTS = 1000;
const THROUGHPUT_EVENTS = 3000;
const CONCURRENCY = 32;
/** A Redis database of the benchmark's own, flushed before each replica measurement. */
const BENCH_REDIS_URL = TEST_REDIS_URL.replace(/\/\d+$/, '') + '/9';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const mb = (bytes: number) => bytes / 2 ** 20;

async function sendEvents(urls: string[], count: number): Promise<{ seconds: number; statuses: Map<number, number> }> {
  const statuses = new Map<number, number>();
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const body = JSON.stringify(evaluationCompleted({ model: i % 2 === 0 ? 'fraud-detector' : 'churn-predictor', version: `1.${i}.0` }));
        const url = urls[(i + worker) % urls.length] ?? '';
        const res = await fetch(`${url}/hooks/pipeline`, { method: 'POST', headers: pipelineHeaders(TEST_WEBHOOK_SECRET, body), body });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, statuses };
}

async function flushBenchDb(): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
}

/** Startup to /readyz 200, memory idle and after a burst, and hook throughput of 1 vs 2 replicas on one Redis. */
export async function run(): Promise<BenchResult[]> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const slack = await startFakeSlack();
  const results: BenchResult[] = [];
  try {
    const botStarts: number[] = [];
    const bareStarts: number[] = [];
    for (let i = 0; i < STARTUP_RUNS; i++) {
      const bot = await spawnBot({ slackApiUrl: slack.apiUrl });
      botStarts.push(bot.startupMs);
      await bot.stop();
      const bare = await spawnBareNode();
      bareStarts.push(bare.startupMs);
      await bare.stop();
    }
    results.push({
      name: 'startup to /readyz 200 (median of 3)',
      value: median(botStarts),
      unit: 'ms',
      baselineName: 'bare node http server',
      baseline: median(bareStarts),
      ratio: median(botStarts) / median(bareStarts),
    });

    const bot = await spawnBot({ slackApiUrl: slack.apiUrl });
    const bare = await spawnBareNode();
    await new Promise((r) => setTimeout(r, 2000));
    const idle = bot.rssBytes();
    const bareIdle = bare.rssBytes();
    results.push({
      name: 'RSS idle (memory store)',
      value: mb(idle),
      unit: 'MB',
      baselineName: 'bare node http server',
      baseline: mb(bareIdle),
      ratio: idle / bareIdle,
      target: '< 150 MB',
    });
    const burst = await sendEvents([bot.url], BURST_EVENTS);
    await new Promise((r) => setTimeout(r, 1000));
    const after = bot.rssBytes();
    results.push({
      name: `RSS after ${BURST_EVENTS} hook events`,
      value: mb(after),
      unit: 'MB',
      baselineName: 'bare node http server',
      baseline: mb(bareIdle),
      ratio: after / bareIdle,
      target: '< 150 MB',
      note: `answers: ${[...burst.statuses].map(([s, n]) => `${n}x${s}`).join(', ')}`,
    });
    await bot.stop();
    await bare.stop();

    await flushBenchDb();
    const one = await spawnBot({ slackApiUrl: slack.apiUrl, redisUrl: BENCH_REDIS_URL });
    const single = await sendEvents([one.url], THROUGHPUT_EVENTS);
    await one.stop();
    await flushBenchDb();
    const a = await spawnBot({ slackApiUrl: slack.apiUrl, redisUrl: BENCH_REDIS_URL });
    const b = await spawnBot({ slackApiUrl: slack.apiUrl, redisUrl: BENCH_REDIS_URL });
    const pair = await sendEvents([a.url, b.url], THROUGHPUT_EVENTS);
    await Promise.all([a.stop(), b.stop()]);
    const rate1 = THROUGHPUT_EVENTS / single.seconds;
    const rate2 = THROUGHPUT_EVENTS / pair.seconds;
    results.push({
      name: `signed hook events/s, 2 replicas on one Redis (${THROUGHPUT_EVENTS} events, ${CONCURRENCY} concurrent)`,
      value: rate2,
      unit: 'ev/s',
      baselineName: '1 replica',
      baseline: rate1,
      ratio: rate2 / rate1,
      higherIsBetter: true,
      note: `2 cores shared by load generator, bots and Redis; answers 1: ${[...single.statuses].map(([s, n]) => `${n}x${s}`).join(', ')}; 2: ${[...pair.statuses].map(([s, n]) => `${n}x${s}`).join(', ')}`,
    });
    await flushBenchDb();
  } finally {
    await slack.close();
  }
  return results;
}
