import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateIdFor } from '../src/core/candidate';
import type { DeploymentCandidate } from '../src/core/candidate-state-machine';
import { createCandidateRepository } from '../src/deployments';
import { ActionId } from '../src/slack/slack-ids';
import { RedisStore } from '../src/store/redis-store';
import { DEFAULT_KEY_PREFIX, storeKeys } from '../src/store/store-keys';
import { blockActionPayload, interactionBody } from '../test/kit/sign-requests';
import { TEST_REDIS_URL } from '../test/kit/test-secrets';
import {
  ACK_RATIO_TARGET,
  ackRows,
  alternateRounds,
  measureClosedLoop,
  SLOW_SLACK_ACK_P99_MS,
  SLOW_SLACK_LATENCY_MS,
  startBareBolt,
  startBot,
  startFakes,
  waitForAnswers,
  type Fakes,
  type Sample,
  type Target,
} from './ack-bench-kit';
import type { BenchResult } from './bench-result';

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
 * production starts it, LOG_LEVEL info, Redis), the bare Bolt app, and the fake Slack + fake AWS
 * (all three started by ack-bench-kit.ts). This process only seeds and sends. REQUESTS per level
 * in ROUNDS alternating rounds.
 */
const LEVELS = [1, 20, 100] as const;
const REQUESTS = Number(process.env['BUTTON_BENCH_REQUESTS'] ?? 2000);
/** The slow-Slack level (concurrency 20, every Slack answer 300 ms): fewer requests, the answers are slow to land. */
const SLOW_REQUESTS = Math.min(REQUESTS, 1000);
const WARMUP = 300;
const ROUNDS = 5;
const LEVEL_DEADLINE_MS = 60_000;
const CANDIDATES = 50;
const MODEL = 'fraud-detector';
const CHANNEL = 'C0FRAUD';
const APPROVER = 'U0ALICE';
/** A Redis database of this benchmark's own (the slash-command bench uses /10). */
const BENCH_REDIS_URL = TEST_REDIS_URL.replace(/\/\d+$/, '') + '/11';
const PATH_NOTE = 'path: approver clicks Deploy on an already-deployed candidate (refused, answered via response_url; no DAG)';
const BOT_CONFIG = {
  slack: { defaultChannel: 'C0DEFAULT', alertChannel: 'C0ALERTS' },
  approvers: { users: [APPROVER], usergroups: [] },
  trigger: { kind: 'lambda', functionName: 'mlops-dag-trigger' },
  watchdog: { enabled: false },
  models: {
    [MODEL]: {
      channel: CHANNEL,
      trainingDag: 'fraud_detector_training',
      deploymentDag: 'fraud_detector_deployment',
      endpoint: 'fraud-detector-prod',
      primaryMetric: 'f1',
      metrics: { f1: 'maximize' },
    },
  },
};

export async function run(): Promise<BenchResult[]> {
  const store = new RedisStore({ url: BENCH_REDIS_URL, keyPrefix: DEFAULT_KEY_PREFIX });
  const fakes = await startFakes();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-button-bench-'));
  let bot: Target | undefined;
  let bare: Target | undefined;
  const results: BenchResult[] = [];
  const ids = await seedDeployedCandidates(store);
  try {
    bot = await startBot(dir, fakes.urls, BOT_CONFIG, BENCH_REDIS_URL);
    bare = await startBareBolt(fakes.urls.slackApiUrl, 'deploy-button');
    const responseUrl = `${fakes.urls.slackOrigin}/response/button-bench`;
    for (const target of [bot, bare]) await measure(target, ids, WARMUP, 20, responseUrl);
    await waitForAnswers(fakes, 10_000);
    for (const concurrency of LEVELS) {
      const measured = await alternateRounds({
        fakes,
        bot,
        bare,
        rounds: ROUNDS,
        waitForBotAnswers: true,
        measure: (target) => measure(target, ids, REQUESTS / ROUNDS, concurrency, responseUrl),
      });
      results.push(...rows(concurrency, measured.bot, measured.bare, measured.delivered));
    }
    const { invokes } = await fakes.counts();
    if (invokes !== 0) throw new Error(`the benchmark's clicks triggered ${invokes} Lambda Invokes: the measured path is not the refused one`);
    results.push(...(await slowSlackRows(ids, dir)));
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

function rows(concurrency: number, bot: Sample, bare: Sample, delivered: number): BenchResult[] {
  return ackRows(
    'Deploy button',
    concurrency,
    bot,
    bare,
    [`${delivered}/${bot.sent} refusals delivered via response_url`, PATH_NOTE],
    concurrency === 20 ? ACK_RATIO_TARGET : undefined,
  );
}

/** Concurrency 20 with a fake Slack that answers every call (response_url included) in 300 ms: bot and baseline against it. */
async function slowSlackRows(ids: readonly string[], dir: string): Promise<BenchResult[]> {
  let fakes: Fakes | undefined;
  let bot: Target | undefined;
  let bare: Target | undefined;
  try {
    fakes = await startFakes({ slackLatencyMs: SLOW_SLACK_LATENCY_MS });
    const slow = fakes;
    bot = await startBot(dir, slow.urls, BOT_CONFIG, BENCH_REDIS_URL);
    bare = await startBareBolt(slow.urls.slackApiUrl, 'deploy-button');
    const responseUrl = `${slow.urls.slackOrigin}/response/button-bench-slow`;
    const before = (await slow.counts()).responses;
    for (const target of [bot, bare]) await measure(target, ids, 100, 20, responseUrl);
    // The bot's 100 warm-up refusals land 300 ms late: wait for exactly those.
    await waitForAnswers(slow, 60_000, before + 100);
    const measured = await alternateRounds({
      fakes: slow,
      bot,
      bare,
      rounds: ROUNDS,
      waitForBotAnswers: true,
      measure: (target) => measure(target, ids, SLOW_REQUESTS / ROUNDS, 20, responseUrl),
    });
    const notes = [
      `${measured.delivered}/${measured.bot.sent} refusals delivered via response_url`,
      `Slack (Web API and response_url) answers every call in ${SLOW_SLACK_LATENCY_MS} ms`,
    ];
    return ackRows(`Deploy button, Slack at ${SLOW_SLACK_LATENCY_MS} ms`, 20, measured.bot, measured.bare, notes, `< ${SLOW_SLACK_ACK_P99_MS} ms`);
  } finally {
    for (const target of [bot, bare]) target?.child.kill('SIGTERM');
    fakes?.child.kill('SIGTERM');
  }
}

/** Sends `total` signed Deploy clicks (cycling over `ids`) with `concurrency` in flight; latency = write to last byte. */
function measure(target: Target, ids: readonly string[], total: number, concurrency: number, responseUrl: string): Promise<Sample> {
  return measureClosedLoop(target, total, concurrency, LEVEL_DEADLINE_MS, (n) => {
    const id = ids[n % ids.length] ?? '';
    return interactionBody(
      blockActionPayload({ actionId: ActionId.Deploy, value: id, userId: APPROVER, channelId: CHANNEL, messageTs: '1795000000.000001', responseUrl }),
    );
  });
}
