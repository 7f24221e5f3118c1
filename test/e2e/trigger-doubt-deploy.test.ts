/**
 * Issue 10 item 2, end to end: a slow or silent trigger must never let two deployments run on one
 * endpoint. The real bot (Bolt receiver, signed clicks, real Redis, real Lambda client with a short
 * timeout) against a fake Slack answering in 300 ms and a fake AWS whose Lambda receives the Invoke
 * (and starts the run) but whose answer is lost, reset or refused in an unclear way.
 */
import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createMwaaDagTrigger } from '../../src/aws/mwaa-dag-trigger';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import type { FakeAwsRequest } from '../kit/fake-aws-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import {
  APPROVALS_CONFIG,
  approvalsBotPerTest,
  FRAUD,
  answers,
  auditActions,
  deployClickSettled,
  deploymentEvent,
  runPipelineHooks,
  getCandidate,
  invokesFor,
  lockHolder,
  messageOf,
  seedCandidate,
  triggerInvokes,
  waitFor,
} from './approvals-helpers';

/** Recovery scans every 0.2 s; its crash grace is long, so only the confirmation of a doubt acts. */
const CONFIG = { ...APPROVALS_CONFIG, deployments: { recoveryGraceSeconds: 3600, recoveryIntervalSeconds: 0.2 } };
/** The bot gives up on an AWS answer after 400 ms (2 attempts): the fake's Airflow is slower than that. */
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-aws-secret' }, maxAttempts: 2, requestTimeoutMs: 400 };

const isTrigger = (r: FakeAwsRequest) => (r.body as { action?: string } | undefined)?.action === undefined;
const isStatus = (r: FakeAwsRequest) => (r.body as { action?: string } | undefined)?.action === 'status';
const deploymentRuns = (t: TestBot) => t.aws.lambda.runs().filter((r) => r.dagId === FRAUD.dag);

describe('DOUBT: an unknown trigger outcome keeps the endpoint and the run id until the run state settles it', () => {
  let t: TestBot;
  // Slack from a cloud region on a bad day; the bot gives up on AWS after 400 ms.
  approvalsBotPerTest((bot) => (t = bot), CONFIG, { slackLatencyMs: 300, aws: AWS });

  it('answers lost after the Lambda started the run: a second approver cannot deploy beside it; the status confirms the first', async () => {
    const first = await seedCandidate(t, { version: '1.4.0' });
    const second = await seedCandidate(t, { version: '1.5.0' });
    // Airflow is slower than the bot's timeout: every Invoke is received and acted on, no answer comes back.
    t.aws.answerFate('lambda', 'Invoke', { fate: 'lost' });

    const r1 = await deployClickSettled(t, first, 'U0ALICE');
    const a = await getCandidate(t, first.id);
    expect(a.state).toBe('deploying');
    expect(a.triggerDoubt).toBeDefined();
    expect(a.triggerConfirmedAt).toBeUndefined();
    expect((await lockHolder(t, FRAUD.endpoint))?.candidateId).toBe(first.id);
    expect(answers(t, r1).join('\n')).toContain('confirming with Airflow');
    expect(answers(t, r1).join('\n')).toContain(a.dagRunId);
    expect(deploymentRuns(t)).toHaveLength(1); // the lost request did start the run
    const sentByTheClick = triggerInvokes(t).length; // the SDK's attempts of that one request
    await waitFor(() => messageOf(t, first).blocks.includes('Confirming the start'), 'the card to say the start is being confirmed');

    // Status reads are lost too: recovery keeps asking, the lock and run id stay.
    await waitFor(async () => ((await getCandidate(t, first.id)).triggerDoubt?.checks ?? 0) >= 1, 'a status check that could not decide');

    const r2 = await deployClickSettled(t, second, 'U0BOB');
    expect(answers(t, r2).join('\n')).toContain('is being confirmed');
    expect((await getCandidate(t, second.id)).state).toBe('pending');
    expect((await getCandidate(t, second.id)).approvals).toEqual([]);
    expect(invokesFor(t, second.id)).toHaveLength(0);
    expect((await lockHolder(t, FRAUD.endpoint))?.candidateId).toBe(first.id);

    // Another Deploy on the candidate in doubt itself changes nothing and says why.
    const r3 = await deployClickSettled(t, first, 'U0BOB');
    expect(answers(t, r3).join('\n')).toContain('confirming with Airflow');
    expect((await getCandidate(t, first.id)).approvals.map((x) => x.userId)).toEqual(['U0ALICE']);

    // Airflow answers again: the status finds the run and the first candidate is deploying, confirmed.
    t.aws.clearFates();
    const confirmed = await waitFor(async () => {
      const c = await getCandidate(t, first.id);
      return c.triggerConfirmedAt !== undefined ? c : undefined;
    }, 'the run state to confirm the deployment');
    expect(confirmed.state).toBe('deploying');
    expect(confirmed.triggerDoubt).toBeUndefined();
    expect(confirmed.dagRunId).toBe(a.dagRunId);
    expect(deploymentRuns(t)).toHaveLength(1);
    expect(new Set(triggerInvokes(t).map((c) => c.body.dag_run_id))).toEqual(new Set([a.dagRunId]));
    expect(invokesFor(t, second.id)).toHaveLength(0);
    expect(triggerInvokes(t)).toHaveLength(sentByTheClick); // confirming asked the status; it never triggered again
    expect((await auditActions(t, FRAUD.model, first.id)).map((e) => e.action)).toEqual(['approved', 'trigger_unclear', 'deploy_triggered']);
    await waitFor(() => !messageOf(t, first).blocks.includes('Confirming the start'), 'the card to drop the confirming notice');
  });

  it('a connection reset after the request was sent is confirmed the same way, with no second trigger', async () => {
    const first = await seedCandidate(t);
    t.aws.answerFate('lambda', 'Invoke', { fate: 'reset', when: isTrigger });
    const r1 = await deployClickSettled(t, first, 'U0ALICE');
    expect(answers(t, r1).join('\n')).toContain('confirming with Airflow');
    const confirmed = await waitFor(async () => {
      const c = await getCandidate(t, first.id);
      return c.triggerConfirmedAt !== undefined ? c : undefined;
    }, 'the run state to confirm the deployment');
    expect(confirmed.state).toBe('deploying');
    expect(deploymentRuns(t)).toHaveLength(1);
    expect(t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { action?: string }).action === 'status').length).toBeGreaterThanOrEqual(1);
    expect(new Set(triggerInvokes(t).map((c) => c.body.dag_run_id)).size).toBe(1);
  });

  it('a run proven absent (the function crashed before Airflow) is started again with the SAME dag_run_id, once', async () => {
    const first = await seedCandidate(t);
    let crashes = 1;
    t.aws.lambda.onInvoke((payload) => {
      const p = payload as { action?: string };
      if (p.action === undefined && crashes-- > 0)
        return { functionError: { errorMessage: 'Runtime exited with error: signal: killed', errorType: 'Runtime.ExitError' } };
      return undefined; // the default Lambda: status reads, later triggers
    });
    const r1 = await deployClickSettled(t, first, 'U0ALICE');
    expect(answers(t, r1).join('\n')).toContain('confirming with Airflow');
    const a = await getCandidate(t, first.id); // (recovery may already have settled it: it scans every 0.2 s)
    const confirmed = await waitFor(async () => {
      const c = await getCandidate(t, first.id);
      return c.triggerConfirmedAt !== undefined ? c : undefined;
    }, 'the re-trigger to be confirmed');
    expect((await auditActions(t, FRAUD.model, first.id)).map((e) => e.action)).toEqual(['approved', 'trigger_unclear', 'deploy_triggered']);
    expect(confirmed.dagRunId).toBe(a.dagRunId);
    expect(confirmed.attempt).toBe(1);
    expect(deploymentRuns(t).map((r) => r.dagRunId)).toEqual([a.dagRunId]);
    const sent = triggerInvokes(t);
    expect(sent).toHaveLength(2); // the crashed one and the re-trigger
    expect(new Set(sent.map((c) => c.body.dag_run_id))).toEqual(new Set([a.dagRunId]));
    expect(t.aws.calls.filter((c) => c.service === 'lambda' && isStatus({ body: c.body } as FakeAwsRequest)).length).toBeGreaterThanOrEqual(1);
  });

  it('deployment.started from the pipeline settles a doubt too (while the trigger stays silent)', async () => {
    const first = await seedCandidate(t);
    t.aws.answerFate('lambda', 'Invoke', { fate: 'lost' });
    await deployClickSettled(t, first, 'U0ALICE');
    const a = await getCandidate(t, first.id);
    expect(a.triggerDoubt).toBeDefined();
    await runPipelineHooks(t, deploymentEvent('deployment.started', { candidate_id: first.id, run: { dagId: FRAUD.dag, runId: a.dagRunId } }));
    const c = await getCandidate(t, first.id);
    expect(c.triggerConfirmedAt).toBeDefined();
    expect(c.triggerDoubt).toBeUndefined();
    expect(await auditActions(t, FRAUD.model, first.id)).toContainEqual(expect.objectContaining({ action: 'deploy_triggered', actor: 'pipeline' }));
    await waitFor(() => !messageOf(t, first).blocks.includes('Confirming the start'), 'the card to drop the confirming notice');
    expect(deploymentRuns(t)).toHaveLength(1);
  });

  it('a definitive refusal (throttled on every attempt) still frees the endpoint at once', async () => {
    const first = await seedCandidate(t);
    t.aws.failNext('lambda', 'Invoke', { error: { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' } }, 2);
    const r1 = await deployClickSettled(t, first, 'U0ALICE');
    expect(answers(t, r1).join('\n')).toContain('could not be started');
    const c: DeploymentCandidate = await getCandidate(t, first.id);
    expect(c.state).toBe('pending');
    expect(c.triggerDoubt).toBeUndefined();
    expect(await lockHolder(t, FRAUD.endpoint)).toBeUndefined();
    expect(deploymentRuns(t)).toHaveLength(0);
  });

  describe('with trigger kind mwaa (Airflow GET dagRuns confirms)', () => {
    let clients: AwsClients;
    let mwaa: TestBot;
    beforeEach(async () => {
      clients = createAwsClients({ ...AWS, endpoint: t.aws.url });
      const trigger = createMwaaDagTrigger(clients.mwaa, 'mlops-prod', { attemptTimeoutMs: 400, retryDelayMs: 10 });
      mwaa = await startTestBot({
        fileConfig: { ...CONFIG, trigger: { kind: 'mwaa', environment: 'mlops-prod' } },
        slack: t.slack,
        aws: t.aws,
        overrides: { trigger, aws: { ...AWS, endpoint: t.aws.url } },
      });
    });
    afterEach(async () => {
      await mwaa.stop();
      clients.destroy();
    });

    it('a lost answer to POST dagRuns (the run was created) holds the endpoint; GET dagRuns/{id} confirms it; one run', async () => {
      const first = await seedCandidate(mwaa, { version: '1.4.0' });
      const second = await seedCandidate(mwaa, { version: '1.5.0' });
      const isPost = (r: FakeAwsRequest) => (r.body as { Method?: string } | undefined)?.Method === 'POST';
      t.aws.answerFate('mwaa', 'InvokeRestApi', { fate: 'lost', when: isPost });
      const r1 = await deployClickSettled(mwaa, first, 'U0ALICE');
      expect(answers(mwaa, r1).join('\n')).toContain('confirming with Airflow');
      const r2 = await deployClickSettled(mwaa, second, 'U0BOB');
      const said = answers(mwaa, r2).join('\n');
      // Refused either way: "being confirmed" while in doubt, or "busy" once the GET confirmed it.
      expect(said).toMatch(/is being confirmed|is busy/);
      const confirmed = await waitFor(async () => {
        const c = await getCandidate(mwaa, first.id);
        return c.triggerConfirmedAt !== undefined ? c : undefined;
      }, 'the run state to confirm the deployment');
      expect(confirmed.state).toBe('deploying');
      expect(
        t.aws.mwaa
          .runs('mlops-prod')
          .filter((r) => r.dagId === FRAUD.dag)
          .map((r) => r.dagRunId),
      ).toEqual([confirmed.dagRunId]);
      expect((await getCandidate(mwaa, second.id)).state).toBe('pending');
      expect((await lockHolder(mwaa, FRAUD.endpoint))?.candidateId).toBe(first.id);
    });
  });
});
