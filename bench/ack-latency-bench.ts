import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slashCommandBody } from '../test/kit/sign-requests';
import { TEST_REDIS_URL } from '../test/kit/test-secrets';
import {
  ACK_RATIO_TARGET,
  ackRows,
  alternateRounds,
  measureClosedLoop,
  postSlackEvent,
  signedFormHeaders,
  startBareBolt,
  startBot,
  startFakes,
  SLOW_SLACK_ACK_P99_MS,
  SLOW_SLACK_LATENCY_MS,
  waitForAnswers,
  type Fakes,
  type Sample,
  type Target,
} from './ack-bench-kit';
import { percentile, type BenchResult } from './bench-result';

/**
 * Slash-command ack latency of the real bot beside a minimal Bolt app that only acks (same
 * @slack/bolt, HTTPReceiver, same machine, same run), at concurrency 1, 20 and 100, with signed
 * requests over loopback. Three child processes so that no process measures itself: the bot
 * (`src/main.ts`, as production starts it, LOG_LEVEL info, Redis), the bare Bolt app, and the
 * fake Slack + fake AWS the bot's `status` work talks to after its ack (all three started by
 * ack-bench-kit.ts). This process only sends. Bounded: REQUESTS per level and command (in ROUNDS
 * alternating rounds), each round stops after LEVEL_DEADLINE_MS.
 */
const LEVELS = [1, 20, 100] as const;
/** Per level and command; ACK_BENCH_REQUESTS overrides it for a quick look. */
const REQUESTS = Number(process.env['ACK_BENCH_REQUESTS'] ?? 2000);
/** The slow-Slack level (concurrency 20, every Slack answer 300 ms): fewer requests, the answers are slow to land. */
const SLOW_REQUESTS = Math.min(REQUESTS, 1000);
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
/** A Redis database of this benchmark's own; the bot only reads there. */
const BENCH_REDIS_URL = TEST_REDIS_URL.replace(/\/\d+$/, '') + '/10';
const BOT_CONFIG = {
  slack: { defaultChannel: 'C0DEFAULT', alertChannel: 'C0ALERTS' },
  trigger: { kind: 'lambda', functionName: 'mlops-dag-trigger' },
  models: {
    'fraud-detector': {
      channel: 'C0FRAUD',
      trainingDag: 'fraud_detector_training',
      endpoint: 'fraud-detector-prod',
      primaryMetric: 'f1',
      metrics: { f1: 'maximize' },
    },
  },
};

export async function run(): Promise<BenchResult[]> {
  const fakes = await startFakes();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-ack-bench-'));
  let bot: Target | undefined;
  let bare: Target | undefined;
  const results: BenchResult[] = [];
  try {
    bot = await startBot(dir, fakes.urls, BOT_CONFIG, BENCH_REDIS_URL);
    bare = await startBareBolt(fakes.urls.slackApiUrl, 'slash-command');
    const responseUrl = `${fakes.urls.slackOrigin}/response/bench`;
    for (const target of [bot, bare]) {
      for (const text of COMMANDS) await measure(target, text, WARMUP, 20, responseUrl);
    }
    await waitForAnswers(fakes, 10_000);
    for (const concurrency of LEVELS) {
      for (const text of COMMANDS) {
        // Only `status` answers through response_url (after its ack): `help` acks with the answer.
        const answered = text.startsWith('status');
        const measured = await alternateRounds({
          fakes,
          bot,
          bare,
          rounds: ROUNDS,
          waitForBotAnswers: answered,
          measure: (target) => measure(target, text, REQUESTS / ROUNDS, concurrency, responseUrl),
        });
        results.push(...rows(text, concurrency, measured.bot, measured.bare, answered ? measured.delivered : undefined));
      }
    }
    for (const rate of OPEN_LOOP_RATES) {
      const text = 'status fraud-detector';
      const before = (await fakes.counts()).responses;
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
                target: ACK_RATIO_TARGET,
                note: `max ${percentile(b.latencies, 100).toFixed(1)} vs ${percentile(base.latencies, 100).toFixed(1)} ms; ${b.sent} requests; ${b.statuses.get(200) ?? 0}/${b.sent} bot 200s; ${delivered}/${b.sent} answers delivered`,
              }
            : {}),
        });
      }
    }
    results.push(...(await slowSlackRows(dir)));
  } finally {
    for (const target of [bot, bare]) target?.child.kill('SIGTERM');
    fakes.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * Concurrency 20 with a fake Slack that answers every call (response_url included) in 300 ms,
 * bot and baseline against it: an ack that waited for any Slack call would show 300 ms here.
 */
async function slowSlackRows(dir: string): Promise<BenchResult[]> {
  let fakes: Fakes | undefined;
  let bot: Target | undefined;
  let bare: Target | undefined;
  const results: BenchResult[] = [];
  try {
    fakes = await startFakes({ slackLatencyMs: SLOW_SLACK_LATENCY_MS });
    const slow = fakes;
    bot = await startBot(dir, slow.urls, BOT_CONFIG, BENCH_REDIS_URL);
    bare = await startBareBolt(slow.urls.slackApiUrl, 'slash-command');
    const responseUrl = `${slow.urls.slackOrigin}/response/bench-slow`;
    const before = (await slow.counts()).responses;
    for (const target of [bot, bare]) for (const text of COMMANDS) await measure(target, text, 100, 20, responseUrl);
    // The bot's 100 warm-up `status` answers land 300 ms late: wait for exactly those.
    await waitForAnswers(slow, 60_000, before + 100);
    for (const text of COMMANDS) {
      const answered = text.startsWith('status');
      const measured = await alternateRounds({
        fakes: slow,
        bot,
        bare,
        rounds: ROUNDS,
        waitForBotAnswers: answered,
        measure: (target) => measure(target, text, SLOW_REQUESTS / ROUNDS, 20, responseUrl),
      });
      const notes = [
        ...(answered ? [`${measured.delivered}/${measured.bot.sent} answers delivered via response_url`] : []),
        `Slack (Web API and response_url) answers every call in ${SLOW_SLACK_LATENCY_MS} ms`,
      ];
      results.push(
        ...ackRows(
          `/mlops ${text.split(' ')[0]}, Slack at ${SLOW_SLACK_LATENCY_MS} ms`,
          20,
          measured.bot,
          measured.bare,
          notes,
          `< ${SLOW_SLACK_ACK_P99_MS} ms`,
        ),
      );
    }
  } finally {
    for (const target of [bot, bare]) target?.child.kill('SIGTERM');
    fakes?.child.kill('SIGTERM');
  }
  return results;
}

function rows(text: string, concurrency: number, bot: Sample, bare: Sample, delivered: number | undefined): BenchResult[] {
  const notes = delivered !== undefined ? [`${delivered}/${bot.sent} answers delivered via response_url`] : [];
  return ackRows(`/mlops ${text.split(' ')[0]}`, concurrency, bot, bare, notes, concurrency === 20 ? ACK_RATIO_TARGET : undefined);
}

/** Sends `total` signed `/mlops <text>` requests with `concurrency` in flight; latency = write to last byte. */
function measure(target: Target, text: string, total: number, concurrency: number, responseUrl: string): Promise<Sample> {
  return measureClosedLoop(target, total, concurrency, LEVEL_DEADLINE_MS, () =>
    slashCommandBody({ text, responseUrl, channelId: 'C0FRAUD', userId: 'U0ALICE' }),
  );
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
      const headers = signedFormHeaders(body);
      const sentAt = process.hrtime.bigint();
      inFlight.push(
        postSlackEvent(agent, target.port, body, headers).then((status) => {
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
