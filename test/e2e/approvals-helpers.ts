/**
 * Helpers of the approvals end-to-end tests (issue 4). Candidates are seeded straight through the
 * bot's own repository and their message posted through the fake Slack, so these tests do not
 * depend on the delivery worker; approvals-from-evaluation.test.ts covers the full path.
 */
import { randomUUID } from 'node:crypto';
import { candidateIdFor } from '../../src/core/candidate';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { parsePipelineEvent } from '../../src/core/pipeline-event';
import { ActionId } from '../../src/slack/slack-ids';
import { storeKeys } from '../../src/store/store-keys';
import { candidateMessageView } from '../../views/candidate-message-view';
import { startFakeAws, type FakeAws, type FakeAwsCall } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import type { AwsClientsOptions } from '../../src/aws/aws-clients';

/** Approvers: Alice, Bob and Carol by id, plus the S0MLOPS group; fraud-detector needs 1 approval, churn-predictor 2. */
export const APPROVALS_CONFIG = {
  ...SAMPLE_CONFIG,
  approvers: { users: ['U0ALICE', 'U0BOB', 'U0CAROL'], usergroups: ['S0MLOPS'] },
  models: {
    'fraud-detector': { ...SAMPLE_CONFIG.models['fraud-detector'], requiredApprovals: 1 },
    'churn-predictor': { ...SAMPLE_CONFIG.models['churn-predictor'], requiredApprovals: 2 },
  },
};

export const FRAUD = { model: 'fraud-detector', channel: 'C0FRAUD', endpoint: 'fraud-detector-prod', dag: 'fraud_detector_deployment' } as const;
export const CHURN = { model: 'churn-predictor', channel: 'C0CHURN', endpoint: 'churn-predictor-prod', dag: 'churn_predictor_deployment' } as const;

/**
 * The setup of an approvals suite; call it inside `describe`. One fake Slack and one fake AWS for
 * the file, reset before each test, and a fresh bot per test (a fresh key prefix: locks and
 * candidates never leak between tests), handed to `use` before the test and stopped after it.
 * The fakes are the bot's `t.slack` and `t.aws`.
 */
export function approvalsBotPerTest(
  use: (t: TestBot) => void,
  fileConfig: Record<string, unknown> = APPROVALS_CONFIG,
  opts: { slackLatencyMs?: number; aws?: Omit<AwsClientsOptions, 'endpoint'> } = {},
): void {
  let slack: FakeSlack;
  let aws: FakeAws;
  let t: TestBot;
  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });
  beforeEach(async () => {
    slack.reset();
    aws.reset();
    if (opts.slackLatencyMs !== undefined) slack.setLatency(opts.slackLatencyMs);
    t = await startTestBot({ fileConfig, slack, aws, ...(opts.aws !== undefined ? { overrides: { aws: { ...opts.aws, endpoint: aws.url } } } : {}) });
    use(t);
  });
  afterEach(async () => {
    await t.stop();
  });
}

export interface Seeded {
  id: string;
  channel: string;
  ts: string;
}

/** An evaluation candidate, stored and shown in its channel as the delivery worker would. */
export async function seedCandidate(t: TestBot, overrides: Partial<DeploymentCandidate> = {}): Promise<Seeded> {
  const model = overrides.model ?? FRAUD.model;
  const cfg = APPROVALS_CONFIG.models[model as keyof typeof APPROVALS_CONFIG.models];
  const version = overrides.version ?? '1.4.0';
  const at = new Date().toISOString();
  const candidate: DeploymentCandidate = {
    id: candidateIdFor(model, version, randomUUID()),
    model,
    version,
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1: 0.91, precision: 0.93, recall: 0.89, mse: 0.041 },
    endpoint: cfg.endpoint,
    run: { dagId: cfg.trainingDag, runId: `manual__${randomUUID().slice(0, 8)}` },
    evaluatedAt: at,
    requiredApprovals: cfg.requiredApprovals,
    approvals: [],
    attempt: 0,
    createdAt: at,
    updatedAt: at,
    rev: 0,
    ...overrides,
  };
  const channel = cfg.channel;
  const view = candidateMessageView({
    candidate,
    metricDirections: cfg.metrics as Record<string, 'maximize' | 'minimize'>,
    primaryMetric: cfg.primaryMetric,
    deploymentDag: cfg.deploymentDag,
  });
  const posted = await t.bot.deps.slack.chat.postMessage({ channel, text: view.text, blocks: view.blocks });
  const ts = posted.ts ?? '';
  if (!(await t.bot.deps.candidates.create({ ...candidate, message: { channel, ts } }))) throw new Error('seed: candidate exists');
  return { id: candidate.id, channel, ts };
}

export async function getCandidate(t: TestBot, id: string): Promise<DeploymentCandidate> {
  const c = await t.bot.deps.candidates.get(id);
  if (c === undefined) throw new Error(`candidate ${id} not found`);
  return c;
}

/** Polls until `check` returns a value other than undefined/false. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lambda Invoke calls that start a DAG run (not the watchdog's status reads). */
export function triggerInvokes(t: Pick<TestBot, 'aws'>): (FakeAwsCall & { body: { dag_name: string; dag_run_id: string; conf: Record<string, unknown> } })[] {
  return t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { action?: string }).action === undefined) as never;
}

export function invokesFor(t: Pick<TestBot, 'aws'>, candidateId: string) {
  return triggerInvokes(t).filter((c) => c.body.conf['candidate_id'] === candidateId);
}

/** A signed click of a candidate button; the response_url id identifies this click's ephemeral answers. */
export async function click(t: TestBot, actionId: string, seeded: Seeded, userId: string, responseId = `r-${randomUUID()}`): Promise<string> {
  const res = await t.click({
    actionId,
    value: seeded.id,
    userId,
    channelId: seeded.channel,
    messageTs: seeded.ts,
    responseUrl: t.slack.responseUrl(responseId),
  });
  if (res.status !== 200) throw new Error(`click answered ${res.status}`);
  await res.text();
  return responseId;
}

export const deployClick = (t: TestBot, seeded: Seeded, userId: string, responseId?: string) => click(t, ActionId.Deploy, seeded, userId, responseId);

/** A Deploy click, waiting until its listener has finished everything (trigger, audit, message). */
export async function deployClickSettled(t: TestBot, seeded: Seeded, userId: string): Promise<string> {
  const before = await handledClicks(t, 'deploy');
  const responseId = await deployClick(t, seeded, userId);
  await waitFor(async () => (await handledClicks(t, 'deploy')) > before, 'the Deploy click to be fully handled');
  return responseId;
}

/** The ephemeral answers sent to one click's response_url. */
export function answers(t: TestBot, responseId: string): string[] {
  return t.slack.responses.filter((r) => r.id === responseId).map((r) => `${r.text ?? ''} ${JSON.stringify(r.blocks ?? [])}`);
}

export async function waitForAnswer(t: TestBot, responseId: string, what = 'an ephemeral answer'): Promise<string> {
  return waitFor(() => answers(t, responseId)[0], what);
}

/** How many clicks of an action finished (the listener's last step records this metric). */
export async function handledClicks(t: TestBot, name: string): Promise<number> {
  const metric = await t.bot.deps.metrics.slackRequests.get();
  return metric.values.filter((v) => v.labels.kind === 'action' && v.labels.name === name).reduce((sum, v) => sum + v.value, 0);
}

export async function counterValue(t: TestBot, counter: 'dagTriggers' | 'approvals', labels: Record<string, string>): Promise<number> {
  const metric = await t.bot.deps.metrics[counter].get();
  return metric.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, string | number | undefined>)[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/** The current text and blocks of a seeded message in the fake Slack. */
export function messageOf(
  t: TestBot,
  seeded: Pick<Seeded, 'channel' | 'ts'>,
): { text: string; blocks: string; actions: { action_id: string; value?: string; text: { text: string } }[] } {
  const m = t.slack.message(seeded.channel, seeded.ts);
  if (m === undefined) throw new Error('message not found');
  const blocks = (m.blocks ?? []) as { type: string; elements?: { action_id: string; value?: string; text: { text: string } }[] }[];
  return { text: m.text, blocks: JSON.stringify(blocks), actions: blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []) };
}

/**
 * Applies a deployment event to the bot's deployments feature exactly as the delivery planner
 * does (baseline, then the outcome), without depending on the delivery worker.
 */
export async function runPipelineHooks(t: TestBot, raw: Record<string, unknown>): Promise<void> {
  const parsed = parsePipelineEvent(raw);
  if (!parsed.ok) throw new Error(`bad event: ${parsed.problems.join('; ')}`);
  await t.bot.deps.deployments.applyPipelineEvent(parsed.value);
}

export function deploymentEvent(type: 'deployment.succeeded' | 'deployment.failed' | 'deployment.started', overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    type,
    model: FRAUD.model,
    version: '1.4.0',
    timestamp: new Date().toISOString(),
    endpoint: FRAUD.endpoint,
    run: { dagId: FRAUD.dag, runId: `deploy__${randomUUID().slice(0, 8)}` },
    ...(type === 'deployment.failed'
      ? { error: { task: 'update_endpoint', message: 'UpdateEndpoint failed: the new variant did not pass health checks' } }
      : {}),
    ...overrides,
  };
}

export async function lockHolder(t: TestBot, endpoint: string): Promise<{ candidateId: string; version: string; approvedBy: string[] } | undefined> {
  const raw = await t.bot.deps.store.get(storeKeys.endpointLock(endpoint));
  return raw === null ? undefined : (JSON.parse(raw) as { candidateId: string; version: string; approvedBy: string[] });
}

export async function auditActions(
  t: TestBot,
  model: string,
  candidateId?: string,
): Promise<{ action: string; actor: string; dagRunId?: string; detail?: string }[]> {
  const entries = await t.bot.deps.audit.recent(model, 100);
  return entries
    .filter((e) => candidateId === undefined || e.candidateId === candidateId)
    .reverse()
    .map((e) => ({
      action: e.action,
      actor: e.actor,
      ...(e.dagRunId !== undefined ? { dagRunId: e.dagRunId } : {}),
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    }));
}
