import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APPROVAL_TIMERS_JOB, type ApprovalTimers } from '../../src/approvals';
import { createAwsClients } from '../../src/aws/aws-clients';
import { createLambdaDagTrigger } from '../../src/aws/lambda-dag-trigger';
import { deploymentRunIdFor } from '../../src/core/candidate';
import type { DagTrigger, DagTriggerRequest } from '../../src/core/ports';
import type { DeployRecoveryJob } from '../../src/deployments/deploy-recovery';
import { ActionId } from '../../src/slack/slack-ids';
import { storeKeys } from '../../src/store/store-keys';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { blockActionPayload, interactionBody, slackHeaders } from '../kit/sign-requests';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { TEST_SIGNING_SECRET } from '../kit/test-secrets';
import {
  APPROVALS_CONFIG,
  FRAUD,
  auditActions,
  deployClick,
  deploymentEvent,
  getCandidate,
  invokesFor,
  lockHolder,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  sleep,
  triggerInvokes,
  waitFor,
} from './approvals-helpers';
import { testKeyPrefix } from '../kit/test-key-prefix';

/** The recovery job with a short grace, as a restarted replica would run it. */
/** The dying bot: its own recovery never acts, and its lease expires 0.3 s after it dies. */
const CRASHING_CONFIG = { ...APPROVALS_CONFIG, deployments: { recoveryGraceSeconds: 3600, recoveryIntervalSeconds: 0.1 } };
/** The restarted bot: its built-in recovery job acts quickly. */
const RECOVERING_CONFIG = { ...APPROVALS_CONFIG, deployments: { recoveryGraceSeconds: 0.3, recoveryIntervalSeconds: 0.1 } };

/** A trigger whose first call never returns (the process "dies" inside it); later calls are real. */
function dyingTrigger(aws: FakeAws, mode: 'before-invoke' | 'after-invoke'): { trigger: DagTrigger; called: Promise<DagTriggerRequest> } {
  const clients = createAwsClients({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-aws-secret' },
    maxAttempts: 2,
  });
  const real = createLambdaDagTrigger(clients.lambda, 'mlops-dag-trigger');
  let first = true;
  let announce: (r: DagTriggerRequest) => void = () => undefined;
  const called = new Promise<DagTriggerRequest>((resolve) => (announce = resolve));
  return {
    called,
    trigger: {
      kind: 'lambda',
      runState: (dagId, dagRunId) => real.runState(dagId, dagRunId),
      trigger: async (request) => {
        if (!first) return real.trigger(request);
        first = false;
        if (mode === 'after-invoke') await real.trigger(request); // the run started; the answer is lost
        announce(request);
        return new Promise(() => undefined);
      },
    },
  };
}

describe('CRASH: a process dying between the state change and the trigger is recovered with the same dag_run_id, never doubled', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  const running: { bots: TestBot[]; jobs: DeployRecoveryJob[]; children: ChildProcess[] } = { bots: [], jobs: [], children: [] };
  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });
  beforeEach(() => {
    slack.reset();
    aws.reset();
  });
  afterEach(async () => {
    for (const job of running.jobs.splice(0)) await job.stop();
    for (const bot of running.bots.splice(0)) await bot.stop();
    for (const child of running.children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  async function bot(keyPrefix: string, trigger?: DagTrigger, fileConfig: object = CRASHING_CONFIG): Promise<TestBot> {
    const t = await startTestBot({
      fileConfig: fileConfig as Record<string, unknown>,
      slack,
      aws,
      keyPrefix,
      ...(trigger !== undefined ? { overrides: { trigger } } : {}),
    });
    running.bots.push(t);
    return t;
  }

  /** A fresh bot on the same store: the recovery job it starts with finishes the deployment. */
  async function restartWithRecovery(keyPrefix: string): Promise<TestBot> {
    return bot(keyPrefix, undefined, RECOVERING_CONFIG);
  }

  async function stop(t: TestBot): Promise<void> {
    running.bots.splice(running.bots.indexOf(t), 1);
    await t.stop();
  }

  it('dies after persisting deploying + dag_run_id, before the Invoke: the restarted bot triggers exactly once', async () => {
    const keyPrefix = testKeyPrefix('crash');
    const dying = dyingTrigger(aws, 'before-invoke');
    const first = await bot(keyPrefix, dying.trigger);
    const seeded = await seedCandidate(first);
    await deployClick(first, seeded, 'U0ALICE');
    const request = await dying.called;
    const persisted = await getCandidate(first, seeded.id);
    expect(persisted).toMatchObject({ state: 'deploying', dagRunId: deploymentRunIdFor(seeded.id, 1) });
    expect(persisted.triggerConfirmedAt).toBeUndefined();
    expect(request.dagRunId).toBe(persisted.dagRunId);
    await stop(first); // the process is gone; its trigger call never happened
    expect(triggerInvokes({ aws })).toHaveLength(0);

    const second = await restartWithRecovery(keyPrefix);
    await waitFor(async () => (await getCandidate(second, seeded.id)).triggerConfirmedAt !== undefined, 'the recovered trigger');
    await sleep(600); // several more recovery scans: nothing more happens
    const invokes = invokesFor({ aws }, seeded.id);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]?.body).toEqual({
      dag_name: FRAUD.dag,
      dag_run_id: deploymentRunIdFor(seeded.id, 1),
      conf: {
        model: FRAUD.model,
        version: '1.4.0',
        endpoint: FRAUD.endpoint,
        approved_by: ['U0ALICE'],
        candidate_id: seeded.id,
        strategy: { type: 'all-at-once' },
      },
    });
    expect(await lockHolder(second, FRAUD.endpoint)).toMatchObject({ candidateId: seeded.id });
    expect(await auditActions(second, FRAUD.model, seeded.id)).toEqual([
      { action: 'approved', actor: 'U0ALICE', detail: '1 of 1 approvals' },
      { action: 'deploy_triggered', actor: 'recovery', dagRunId: deploymentRunIdFor(seeded.id, 1) },
    ]);
  });

  it('dies after the Invoke started the run, before recording it: the retry reuses the dag_run_id and the pipeline keeps one run', async () => {
    const keyPrefix = testKeyPrefix('crash');
    const dying = dyingTrigger(aws, 'after-invoke');
    const first = await bot(keyPrefix, dying.trigger);
    const seeded = await seedCandidate(first);
    await deployClick(first, seeded, 'U0ALICE');
    await dying.called;
    await stop(first);
    expect(aws.lambda.runs()).toHaveLength(1);

    const second = await restartWithRecovery(keyPrefix);
    await waitFor(async () => (await getCandidate(second, seeded.id)).triggerConfirmedAt !== undefined, 'the recovered trigger');
    await sleep(400);
    const ids = invokesFor({ aws }, seeded.id).map((i) => i.body.dag_run_id);
    expect(ids).toEqual([deploymentRunIdFor(seeded.id, 1), deploymentRunIdFor(seeded.id, 1)]);
    expect(aws.lambda.runs().map((r) => r.dagRunId)).toEqual([deploymentRunIdFor(seeded.id, 1)]);
    expect((await auditActions(second, FRAUD.model, seeded.id)).find((a) => a.action === 'deploy_triggered')?.detail).toBe(
      'the run already existed (retry of the same attempt)',
    );
  });

  it('deployment.started from the pipeline confirms the run, so a restarted bot does not re-send it', async () => {
    const keyPrefix = testKeyPrefix('crash');
    const dying = dyingTrigger(aws, 'after-invoke');
    const first = await bot(keyPrefix, dying.trigger);
    const seeded = await seedCandidate(first);
    await deployClick(first, seeded, 'U0ALICE');
    await dying.called;
    await runPipelineHooks(first, deploymentEvent('deployment.started', { run: { dagId: FRAUD.dag, runId: deploymentRunIdFor(seeded.id, 1) } }));
    expect((await getCandidate(first, seeded.id)).triggerConfirmedAt).toBeDefined();
    await stop(first);
    await restartWithRecovery(keyPrefix);
    await sleep(700);
    expect(invokesFor({ aws }, seeded.id)).toHaveLength(1);
  });

  it('dies after the last approval, before taking the lock (left in "approved"): recovery continues to one trigger', async () => {
    const keyPrefix = testKeyPrefix('crash');
    const first = await bot(keyPrefix);
    const longAgo = new Date(Date.now() - 60_000).toISOString();
    const seeded = await seedCandidate(first, {
      state: 'approved',
      approvals: [{ userId: 'U0BOB', at: longAgo }],
      decidedBy: 'U0BOB',
      decidedAt: longAgo,
      updatedAt: longAgo,
    });
    await stop(first);
    const second = await restartWithRecovery(keyPrefix);
    await waitFor(async () => (await getCandidate(second, seeded.id)).triggerConfirmedAt !== undefined, 'the recovered deployment');
    await sleep(400);
    expect(invokesFor({ aws }, seeded.id).map((i) => i.body.dag_run_id)).toEqual([deploymentRunIdFor(seeded.id, 1)]);
  });

  it('two restarted replicas recover together: the lease and the dag_run_id keep it to one trigger', async () => {
    const keyPrefix = testKeyPrefix('crash');
    const dying = dyingTrigger(aws, 'before-invoke');
    const first = await bot(keyPrefix, dying.trigger);
    const seeded = await seedCandidate(first);
    await deployClick(first, seeded, 'U0ALICE');
    await dying.called;
    await stop(first);
    const [x] = await Promise.all([restartWithRecovery(keyPrefix), restartWithRecovery(keyPrefix)]);
    await waitFor(async () => (await getCandidate(x, seeded.id)).triggerConfirmedAt !== undefined, 'the recovered trigger');
    await sleep(600);
    expect(invokesFor({ aws }, seeded.id)).toHaveLength(1);
  });

  it('SIGKILL: a bot process killed inside the trigger call is recovered by a fresh bot with exactly one trigger', async () => {
    const keyPrefix = testKeyPrefix('crash');
    const child = spawn(
      process.execPath,
      // tsx as a loader in ONE process (its CLI would run the bot in a grandchild that SIGKILL misses).
      [
        '--import',
        pathToFileURL(require.resolve('tsx')).href,
        path.join(__dirname, 'fixtures', 'crash-child.ts'),
        slack.apiUrl,
        aws.url,
        keyPrefix,
        JSON.stringify(CRASHING_CONFIG),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const port = await waitFor(() => /PORT (\d+)/.exec(out)?.[1], `the child bot to start (stderr: ${err})`, 25_000);

    // Seed through an in-process bot on the same store prefix (it plays no further part).
    const seeder = await bot(keyPrefix);
    const seeded = await seedCandidate(seeder);
    await stop(seeder);

    const body = interactionBody(
      blockActionPayload({
        actionId: ActionId.Deploy,
        value: seeded.id,
        userId: 'U0ALICE',
        channelId: seeded.channel,
        messageTs: seeded.ts,
        responseUrl: slack.responseUrl(),
      }),
    );
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackHeaders(TEST_SIGNING_SECRET, body) },
      body,
    });
    expect(res.status).toBe(200);
    const announced = await waitFor(() => /TRIGGER (\S+)/.exec(out)?.[1], 'the child to reach the trigger', 10_000);
    expect(announced).toBe(deploymentRunIdFor(seeded.id, 1));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(triggerInvokes({ aws })).toHaveLength(0);

    const second = await restartWithRecovery(keyPrefix);
    await waitFor(async () => (await getCandidate(second, seeded.id)).triggerConfirmedAt !== undefined, 'the recovered trigger');
    await sleep(600);
    const invokes = invokesFor({ aws }, seeded.id);
    expect(invokes.map((i) => i.body.dag_run_id)).toEqual([deploymentRunIdFor(seeded.id, 1)]);
  }, 60_000);
});

describe('CRASH: a process dying between expiring a candidate and refreshing its card', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  const bots: TestBot[] = [];
  let child: ChildProcess | undefined;
  /** Expiry a day after the card; the candidate below was created two days ago (real clock). */
  const EXPIRING_CONFIG = { ...APPROVALS_CONFIG, approvals: { expireAfterHours: 24 } };

  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });
  afterEach(async () => {
    while (bots.length > 0) await bots.pop()?.stop();
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const cardUpdates = (ts: string) => slack.calls.filter((c) => c.method === 'chat.update' && c.args.ts === ts);

  it('SIGKILL after the expiry is stored: the restarted bot re-renders the card once, without buttons', async () => {
    const keyPrefix = testKeyPrefix('crash');
    // Seeded by an in-process bot without timers (it plays no further part).
    const seeder = await startTestBot({ fileConfig: APPROVALS_CONFIG, slack, aws, keyPrefix });
    const seeded = await seedCandidate(seeder, { createdAt: new Date(Date.now() - 48 * 3600_000).toISOString() });
    await seeder.stop();

    child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(require.resolve('tsx')).href,
        path.join(__dirname, 'fixtures', 'expiry-crash-child.ts'),
        slack.apiUrl,
        aws.url,
        keyPrefix,
        JSON.stringify(EXPIRING_CONFIG),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exited = await new Promise<NodeJS.Signals | null>((resolve) => child?.once('exit', (_code, signal) => resolve(signal)));
    expect({ signal: exited, failed: /expiry-crash-child failed/.exec(err)?.[0] }).toEqual({ signal: 'SIGKILL', failed: undefined });

    // The restarted bot: the candidate is expired (and audited) but its card still offers Deploy.
    const restarted = await startTestBot({ fileConfig: EXPIRING_CONFIG, slack, aws, keyPrefix });
    bots.push(restarted);
    const timers = restarted.bot.jobs.find((j) => j.name === APPROVAL_TIMERS_JOB) as ApprovalTimers;
    expect((await getCandidate(restarted, seeded.id)).state).toBe('expired');
    expect((await auditActions(restarted, FRAUD.model, seeded.id)).map((a) => a.action)).toEqual(['expired']);

    // The dead process still holds its jobs' leases (the timers', the outbox's) until their TTL (15 s
    // to 3 min) runs out; end them as Redis would. The restarted bot takes them at its next pass.
    for (const job of restarted.bot.jobs) await restarted.bot.deps.store.delete(storeKeys.lease(job.name));
    expect(await timers.runOnce()).toMatchObject({ leader: true, expired: 0, refreshed: 1 });
    await waitFor(() => messageOf(restarted, seeded).text.includes('Expired'), 'the card to say it expired');
    expect(messageOf(restarted, seeded).actions).toEqual([]);
    expect(messageOf(restarted, seeded).blocks).toContain('/mlops deploy fraud-detector 1.4.0');
    expect(await timers.runOnce()).toMatchObject({ expired: 0, refreshed: 0 });
    await sleep(300);
    expect(cardUpdates(seeded.ts)).toHaveLength(1);
    expect((await auditActions(restarted, FRAUD.model, seeded.id)).map((a) => a.action)).toEqual(['expired']);
  }, 40_000);
});
