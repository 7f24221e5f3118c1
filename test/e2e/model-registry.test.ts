import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelRegistrySync } from '../../src/approvals';
import type { Clock } from '../../src/core/ports';
import { REGISTRY_MARK } from '../../src/core/registry-sync';
import { createAlarmRecorder } from '../../src/pipeline-events/record-event';
import { snsHookRoute } from '../../src/pipeline-events/sns-hook-route';
import { ActionId, BlockId, CallbackId, InputActionId } from '../../src/slack/slack-ids';
import { PACKAGE_GROUP, packageArn, packageDetail, packageEvent, studioDecision } from '../fixtures/model-package-events';
import { snsNotification } from '../fixtures/sns-messages';
import { createSnsSigner } from '../fixtures/sns-signing';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import {
  APPROVALS_CONFIG,
  FRAUD,
  auditActions,
  click,
  deployClickSettled,
  getCandidate,
  invokesFor,
  messageOf,
  triggerInvokes,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';

/**
 * The SageMaker Model Registry both ways (issue 16, contract 10), end to end: EventBridge "SageMaker
 * Model Package State Change" events (the Developer Guide's sample shape) through SNS with real
 * signatures into the SNS route, the card through the delivery worker and the fake Slack, clicks
 * through the real Bolt receiver, the trigger and the registry through the real SDK clients to the
 * fake AWS, state in the real Redis. The registry sync job's passes are run by the test.
 */
const CONFIG = {
  ...APPROVALS_CONFIG,
  models: { ...APPROVALS_CONFIG.models, 'fraud-detector': { ...APPROVALS_CONFIG.models['fraud-detector'], modelPackageGroup: PACKAGE_GROUP } },
};

/** Real time plus an offset the test moves (the sync job's retry backoff is read from the bot's clock). */
class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

describe('SageMaker Model Registry, both ways', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  let t: TestBot;
  let registry: ModelRegistrySync;
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  const signer = createSnsSigner();
  const clock = new OffsetClock();
  /** The config of the next bot (a nested describe may change it for its tests). */
  let config: Record<string, unknown> = CONFIG;

  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sns`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await slack.close();
    await aws.close();
  });
  beforeEach(async () => {
    slack.reset();
    aws.reset();
    clock.offsetMs = 0;
    t = await startTestBot({ fileConfig: config, slack, aws, clock });
    if (t.bot.modelRegistry === undefined) throw new Error('the registry sync is not running');
    registry = t.bot.modelRegistry;
    const deps = t.bot.deps;
    // The bot's own SNS route, with the signer's certificate fetch (as the other SNS tests do).
    const route = snsHookRoute({
      config: deps.config.file,
      store: deps.store,
      recordEvent: (event, source, at) => deps.recordEvent(event, source, at),
      recordAlarm: createAlarmRecorder({ store: deps.store }),
      applyPackageDecision: (d, log) => registry.applyDecision(d, log),
      clock: deps.clock,
      metrics: deps.metrics,
      fetch: signer.fetch,
    });
    handler = (req, res) => void route(req, res, deps.logger);
  });
  afterEach(async () => {
    await t.stop();
  });

  const post = (message: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      body: JSON.stringify(signer.sign(snsNotification(message))),
    });
  const updates = () =>
    aws.callsTo('sagemaker', 'UpdateModelPackage').map((c) => c.body as { ModelPackageArn: string; ModelApprovalStatus: string; ApprovalDescription: string });
  const nowIso = () => new Date().toISOString();
  /** A decision made in Studio: SageMaker holds it (the bot reads it back), then its event arrives. */
  const decideInStudio = (detail: ReturnType<typeof studioDecision>, id: string) => {
    aws.sagemaker.setModelPackage(detail);
    return post(packageEvent(detail, id));
  };

  /** A package registered PendingManualApproval: the event through SNS, then its card in the model channel. */
  async function registerPending(version = 2): Promise<Seeded> {
    aws.sagemaker.setModelPackage(packageDetail({}, version));
    const res = await post(packageEvent(packageDetail({}, version)));
    expect(res.status).toBe(202);
    const c = await waitFor(async () => {
      const all = await t.bot.deps.candidates.listByModel(FRAUD.model);
      return all.find((x) => x.registry?.packageArn === packageArn(version) && x.message !== undefined);
    }, 'the package candidate and its card');
    return { id: c.id, channel: c.message!.channel, ts: c.message!.ts };
  }

  async function rejectInSlack(seeded: Seeded, userId: string, reason: string): Promise<void> {
    await click(t, ActionId.Reject, seeded, userId);
    const [open] = await t.slack.waitForCalls('views.open', 1);
    const view = open!.args['view'] as { private_metadata: string };
    const res = await t.submitView({
      callbackId: CallbackId.RejectModal,
      userId,
      privateMetadata: view.private_metadata,
      values: { [BlockId.RejectReason]: { [InputActionId.RejectReason]: { type: 'plain_text_input', value: reason } } },
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await getCandidate(t, seeded.id)).state === 'rejected', 'the Slack rejection');
  }

  it('PendingManualApproval → one candidate and one card with the package’s metrics and lineage; SNS redelivery and EventBridge repeats change nothing', async () => {
    const seeded = await registerPending();
    const c = await getCandidate(t, seeded.id);
    expect(c).toMatchObject({
      state: 'pending',
      origin: 'evaluation',
      version: '1.5.0',
      metrics: { f1: 0.93, precision: 0.95, recall: 0.91 },
      lineage: { image: expect.stringContaining('sagemaker-xgboost') },
      registry: { packageArn: packageArn(2), group: PACKAGE_GROUP, packageVersion: 2 },
    });
    const card = messageOf(t, seeded);
    expect(card.text).toContain('fraud-detector 1.5.0 evaluated');
    expect(card.blocks).toContain('SageMaker Model Registry package fraud-detector-packages v2');
    expect(card.actions.map((a) => a.action_id)).toContain(ActionId.Deploy);

    // The same state change again (another EventBridge id, another SNS message): one candidate, one card.
    const again = await post(packageEvent(packageDetail(), 'another-eventbridge-id'));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const packageCandidates = (await t.bot.deps.candidates.listByModel(FRAUD.model)).filter((x) => x.registry !== undefined);
    expect(packageCandidates).toHaveLength(1);
    expect(slack.messages(FRAUD.channel).filter((m) => m.text.includes('1.5.0 evaluated'))).toHaveLength(1);
  });

  it('Deploy in Slack → the DAG once, then UpdateModelPackage Approved naming the approver; the echo event triggers nothing', async () => {
    const seeded = await registerPending();
    await deployClickSettled(t, seeded, 'U0ALICE');
    const invokes = invokesFor(t, seeded.id);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]!.body.dag_run_id).toBe(`mlops_deploy__${seeded.id}__1`);

    expect(await registry.job.runOnce()).toMatchObject({ leader: true, synced: 1, failed: 0 });
    expect(updates()).toEqual([
      {
        ModelPackageArn: packageArn(2),
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: `${REGISTRY_MARK} Approved in Slack by U0ALICE; deployment run mlops_deploy__${seeded.id}__1`,
      },
    ]);
    expect(aws.sagemaker.modelPackage(packageArn(2))).toMatchObject({ ModelApprovalStatus: 'Approved' });
    await waitFor(() => messageOf(t, seeded).blocks.includes('SageMaker Model Registry: Approved'), 'the card showing the registry status');

    // SageMaker announces the bot's own change: recognised (its mark), nothing happens.
    const echo = await post(
      packageEvent(
        packageDetail({
          ModelApprovalStatus: 'Approved',
          ApprovalDescription: updates()[0]!.ApprovalDescription,
          LastModifiedBy: { IamIdentity: { Arn: 'arn:aws:sts::123456789012:assumed-role/mlops-chatops-bot/bot' } },
          LastModifiedTime: nowIso(),
        }),
        'echo-event',
      ),
    );
    expect(await echo.json()).toEqual({ applied: 'echo' });
    await t.bot.deps.deployments.recovery.runOnce();
    expect(await registry.job.runOnce()).toMatchObject({ synced: 0 });
    expect(invokesFor(t, seeded.id)).toHaveLength(1);
    expect(updates()).toHaveLength(1);
  });

  it('Reject in Slack → UpdateModelPackage Rejected with the approver and the reason', async () => {
    const seeded = await registerPending();
    await rejectInSlack(seeded, 'U0BOB', 'Recall dropped on the holdout set');
    await registry.job.runOnce();
    expect(updates()).toEqual([
      {
        ModelPackageArn: packageArn(2),
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: `${REGISTRY_MARK} Rejected in Slack by U0BOB: Recall dropped on the holdout set`,
      },
    ]);
    await waitFor(() => messageOf(t, seeded).blocks.includes('SageMaker Model Registry: Rejected'), 'the card showing the registry status');
    expect(triggerInvokes(t)).toHaveLength(0);
  });

  it('approved in SageMaker Studio → the card says so and the DAG is triggered once (same run id as a click); a redelivery triggers nothing more; nothing is written back', async () => {
    const seeded = await registerPending();
    const at = nowIso();
    const event = packageEvent(studioDecision('Approved', at, 'maria.studio', 'validated offline'), 'studio-approval');
    aws.sagemaker.setModelPackage(studioDecision('Approved', at, 'maria.studio', 'validated offline'));
    const res = await post(event);
    expect(await res.json()).toEqual({ applied: 'approved' });
    const invokes = await waitFor(() => invokesFor(t, seeded.id).length === 1 && invokesFor(t, seeded.id), 'the deployment trigger');
    expect(invokes[0]!.body.dag_run_id).toBe(`mlops_deploy__${seeded.id}__1`);
    expect(await getCandidate(t, seeded.id)).toMatchObject({
      state: 'deploying',
      registry: { external: { status: 'Approved', by: 'maria.studio', applied: true } },
    });
    await waitFor(() => messageOf(t, seeded).blocks.includes('approved in SageMaker by maria.studio'), 'the card naming the Studio approver');
    expect(messageOf(t, seeded).actions.map((a) => a.action_id)).not.toContain(ActionId.Deploy);
    expect(await auditActions(t, FRAUD.model, seeded.id)).toContainEqual(expect.objectContaining({ action: 'approved', actor: 'sagemaker:maria.studio' }));

    // SNS redelivers (a new message id): the same decision, nothing triggered again.
    expect(await (await post(event)).json()).toEqual({ applied: 'unchanged' });
    await t.bot.deps.deployments.recovery.runOnce();
    await registry.job.runOnce();
    expect(invokesFor(t, seeded.id)).toHaveLength(1);
    expect(updates()).toHaveLength(0);
  });

  it('conflict: rejected in Slack, then approved in Studio → stays rejected, nothing deployed, both shown, SageMaker not overwritten', async () => {
    const seeded = await registerPending();
    await rejectInSlack(seeded, 'U0ALICE', 'worse recall');
    // SageMaker: a person approved it in Studio (before the bot's write went out).
    const at = nowIso();
    aws.sagemaker.setModelPackage(studioDecision('Approved', at));
    expect(await (await post(packageEvent(studioDecision('Approved', at), 'studio-late'))).json()).toEqual({ applied: 'conflict' });
    await registry.job.runOnce();
    expect(updates()).toHaveLength(0);
    expect(triggerInvokes(t)).toHaveLength(0);
    expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'rejected', decidedBy: 'U0ALICE' });
    await waitFor(
      () => messageOf(t, seeded).blocks.includes('Conflict: rejected in Slack by <@U0ALICE>; SageMaker says *Approved* by maria.studio'),
      'the card showing both decisions',
    );
  });

  it('conflict the other way: rejected in Studio first → the Slack Deploy is refused, nothing deployed, the card names the Studio user', async () => {
    const seeded = await registerPending();
    const at = nowIso();
    expect(await (await decideInStudio(studioDecision('Rejected', at, 'li.studio', 'bias audit failed'), 'studio-reject')).json()).toEqual({
      applied: 'rejected',
    });
    const answer = await waitForAnswer(t, await click(t, ActionId.Deploy, seeded, 'U0ALICE'));
    expect(answer).toContain('already rejected');
    expect(triggerInvokes(t)).toHaveLength(0);
    await waitFor(() => messageOf(t, seeded).blocks.includes('Rejected in SageMaker by li.studio'), 'the card naming the Studio user');
    expect(messageOf(t, seeded).blocks).toContain('bias audit failed');
    await registry.job.runOnce();
    expect(updates()).toHaveLength(0);
  });

  it('conflict found at the write: deployed from Slack while Studio rejected it (event not arrived yet) → not overwritten, shown on the card', async () => {
    const seeded = await registerPending();
    await deployClickSettled(t, seeded, 'U0ALICE');
    aws.sagemaker.setModelPackage(studioDecision('Rejected', nowIso(), 'li.studio'));
    expect(await registry.job.runOnce()).toMatchObject({ conflicts: 1, synced: 0 });
    expect(updates()).toHaveLength(0);
    expect(invokesFor(t, seeded.id)).toHaveLength(1);
    await waitFor(
      () => messageOf(t, seeded).blocks.includes('Conflict: approved in Slack by <@U0ALICE>; SageMaker says *Rejected* by li.studio'),
      'the conflict on the card',
    );
  });

  it('UpdateModelPackage failing → the card says the registry is not updated yet; retried after the backoff until it lands', async () => {
    const seeded = await registerPending();
    await rejectInSlack(seeded, 'U0BOB', 'drift in inputs');
    // Both SDK attempts of the first pass fail (a SageMaker outage).
    aws.failNext('sagemaker', 'UpdateModelPackage', { error: { status: 500, type: 'InternalFailure', message: 'We encountered an internal error.' } }, 2);
    expect(await registry.job.runOnce()).toMatchObject({ failed: 1, synced: 0 });
    expect(await getCandidate(t, seeded.id)).toMatchObject({ registry: { syncFailure: { status: 'Rejected', attempts: 1 } } });
    await waitFor(() => messageOf(t, seeded).blocks.includes('does not show Rejected yet: UpdateModelPackage failed (1 attempt'), 'the honest card');
    // Before the backoff: not tried again.
    expect(await registry.job.runOnce()).toMatchObject({ failed: 0, synced: 0 });
    expect(updates()).toHaveLength(2);
    clock.offsetMs = 20_000;
    expect(await registry.job.runOnce()).toMatchObject({ synced: 1 });
    expect(aws.sagemaker.modelPackage(packageArn(2))).toMatchObject({ ModelApprovalStatus: 'Rejected' });
    expect((await getCandidate(t, seeded.id)).registry).toMatchObject({ synced: { status: 'Rejected' } });
    expect((await getCandidate(t, seeded.id)).registry?.syncFailure).toBeUndefined();
    await waitFor(() => messageOf(t, seeded).blocks.includes('SageMaker Model Registry: Rejected'), 'the card after the retry');
    const writes = (await t.bot.deps.metrics.modelRegistryWrites.get()).values.map((v) => [v.labels.result, v.value]);
    expect(writes).toEqual(
      expect.arrayContaining([
        ['failed', 1],
        ['ok', 1],
      ]),
    );
  });

  it('a Studio decision whose event came before the pending one (EventBridge does not order) is found by reading the package: deployed once; the late event changes nothing', async () => {
    const at = nowIso();
    const early = await post(packageEvent(studioDecision('Approved', at), 'studio-early'));
    expect(await early.json()).toEqual({ applied: 'unknown_package' });
    const seeded = await registerPending();
    aws.sagemaker.setModelPackage(studioDecision('Approved', at));
    expect(await registry.job.runOnce()).toMatchObject({ reconciled: 1 });
    await waitFor(() => invokesFor(t, seeded.id).length === 1, 'the deployment after the reconcile');
    expect(await getCandidate(t, seeded.id)).toMatchObject({ registry: { external: { status: 'Approved', by: 'maria.studio', applied: true } } });
    // Read again later: nothing new. The event again: the same decision.
    clock.offsetMs = 61_000;
    expect(await registry.job.runOnce()).toMatchObject({ reconciled: 0, synced: 0 });
    expect(await (await post(packageEvent(studioDecision('Approved', at), 'studio-early-again'))).json()).toEqual({ applied: 'unchanged' });
    expect(invokesFor(t, seeded.id)).toHaveLength(1);
    expect(updates()).toHaveLength(0);
  });

  it('two replicas get the Studio approval at once (SNS redelivery to another replica, and a Slack Deploy click): one trigger, one run id', async () => {
    const seeded = await registerPending();
    // A second replica on the same store, with its own SNS route.
    const b = await startTestBot({ fileConfig: config, slack, aws, clock, keyPrefix: t.keyPrefix });
    try {
      const bd = b.bot.deps;
      const routeB = snsHookRoute({
        config: bd.config.file,
        store: bd.store,
        recordEvent: (event, source, at) => bd.recordEvent(event, source, at),
        recordAlarm: createAlarmRecorder({ store: bd.store }),
        applyPackageDecision: (d, log) => b.bot.modelRegistry!.applyDecision(d, log),
        clock: bd.clock,
        metrics: bd.metrics,
        fetch: signer.fetch,
      });
      const serverB = createServer((req, res) => void routeB(req, res, bd.logger));
      await new Promise<void>((resolve) => serverB.listen(0, '127.0.0.1', resolve));
      const urlB = `http://127.0.0.1:${(serverB.address() as AddressInfo).port}/hooks/sns`;
      const decided = studioDecision('Approved', nowIso());
      aws.sagemaker.setModelPackage(decided);
      const event = packageEvent(decided, 'studio-race');
      const postTo = (target: string) =>
        fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
          body: JSON.stringify(signer.sign(snsNotification(event))),
        }).then((r) => r.json() as Promise<{ applied: string }>);
      const [ra, rb] = await Promise.all([postTo(url), postTo(urlB), click(t, ActionId.Deploy, seeded, 'U0ALICE')]);
      // Exactly one of the two deliveries applied the approval (or the click won and both saw a decided candidate).
      expect([ra.applied, rb.applied].filter((x) => x === 'approved').length).toBeLessThanOrEqual(1);
      await waitFor(() => invokesFor(t, seeded.id).length >= 1, 'the deployment');
      await t.bot.deps.deployments.recovery.runOnce();
      await b.bot.deps.deployments.recovery.runOnce();
      await Promise.all([registry.job.runOnce(), b.bot.modelRegistry!.job.runOnce()]);
      const runIds = new Set(invokesFor(t, seeded.id).map((c) => c.body.dag_run_id));
      expect([...runIds]).toEqual([`mlops_deploy__${seeded.id}__1`]);
      expect(invokesFor(t, seeded.id)).toHaveLength(1);
      serverB.closeAllConnections();
      await new Promise((resolve) => serverB.close(resolve));
    } finally {
      await b.stop();
    }
  });

  it('an Approved event SageMaker does not confirm (stale or forged) deploys nothing; when SageMaker cannot be asked, the reconcile pass decides later', async () => {
    const seeded = await registerPending();
    // Whoever may publish to the topic sends "Approved": SageMaker still says PendingManualApproval.
    expect(await (await post(packageEvent(studioDecision('Approved', nowIso(), 'mallory'), 'forged'))).json()).toEqual({ applied: 'not_confirmed' });
    expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'pending' });
    expect(t.logs.text()).toContain('not confirmed by SageMaker');

    // A real approval while DescribeModelPackage fails: not applied now…
    const at = nowIso();
    aws.sagemaker.setModelPackage(studioDecision('Approved', at));
    aws.failNext('sagemaker', 'DescribeModelPackage', { error: { status: 500, type: 'InternalFailure', message: 'internal error' } }, 2);
    expect(await (await post(packageEvent(studioDecision('Approved', at), 'studio-while-down'))).json()).toEqual({ applied: 'unverified' });
    expect(triggerInvokes(t)).toHaveLength(0);
    // …the reconcile pass reads it and deploys once.
    clock.offsetMs = 61_000;
    expect(await registry.job.runOnce()).toMatchObject({ reconciled: 1 });
    await waitFor(() => invokesFor(t, seeded.id).length === 1, 'the deployment after the reconcile');
  });

  it('a group nobody follows is ignored with a log line; a malformed package event is refused with its problems', async () => {
    const other = await post(packageEvent(packageDetail({ ModelPackageGroupName: 'someone-elses', ModelPackageArn: packageArn(1, 'someone-elses') })));
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ ignored: 'model package group someone-elses is not followed (set models.<model>.modelPackageGroup)' });
    expect(t.logs.text()).toContain('model package event not followed');

    const malformed = await post({
      'detail-type': 'SageMaker Model Package State Change',
      source: 'aws.sagemaker',
      detail: { ModelApprovalStatus: 'Approved' },
    });
    expect(malformed.status).toBe(400);
    const body = (await malformed.json()) as { problems: string[] };
    expect(body.problems.join(' ')).toContain('detail.ModelPackageArn');
    // An Approved package of a followed group whose pending state was never seen: nothing to apply.
    const unknown = await post(packageEvent(studioDecision('Approved', nowIso(), 'maria.studio', undefined, 9)));
    expect(await unknown.json()).toEqual({ applied: 'unknown_package' });
    expect(triggerInvokes(t)).toHaveLength(0);
    // The bot still answers.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  describe('inside a freeze window', () => {
    beforeAll(() => {
      config = { ...CONFIG, approvals: { freeze: [{ cron: '* * * * *', durationHours: 1, timezone: 'Europe/Berlin' }] } };
    });
    afterAll(() => {
      config = CONFIG;
    });

    it('a Studio approval is held, not deployed: the card says why; an approver deploys it from Slack with a reason, once, and nothing is written back', async () => {
      const seeded = await registerPending();
      const res = await decideInStudio(studioDecision('Approved', nowIso()), 'studio-in-freeze');
      expect(await res.json()).toEqual({ applied: 'noted' });
      expect(await getCandidate(t, seeded.id)).toMatchObject({
        state: 'pending',
        registry: { external: { applied: false, held: [expect.stringContaining('freeze window')] } },
      });
      await waitFor(() => messageOf(t, seeded).blocks.includes('Approved in SageMaker by maria.studio'), 'the held approval on the card');
      expect(messageOf(t, seeded).blocks).toContain('but not deployed: it would override freeze window');
      expect(triggerInvokes(t)).toHaveLength(0);

      // The override form, as for any Deploy in a freeze window.
      await click(t, ActionId.Deploy, seeded, 'U0ALICE');
      const [open] = await t.slack.waitForCalls('views.open', 1);
      const view = open!.args['view'] as { callback_id: string; private_metadata: string; blocks: { block_id?: string; element?: { action_id: string } }[] };
      const input = view.blocks.find((b) => b.element !== undefined)!;
      const submitted = await t.submitView({
        callbackId: view.callback_id,
        userId: 'U0ALICE',
        privateMetadata: view.private_metadata,
        values: { [input.block_id!]: { [input.element!.action_id]: { type: 'plain_text_input', value: 'hotfix for the fraud spike' } } },
      });
      expect(submitted.status).toBe(200);
      await waitFor(() => invokesFor(t, seeded.id).length === 1, 'the deployment after the override');
      expect(invokesFor(t, seeded.id)[0]!.body.conf['override_reason']).toBe('hotfix for the fraud spike');
      await registry.job.runOnce();
      // SageMaker says Approved already: nothing to write.
      expect(updates()).toHaveLength(0);
      expect(invokesFor(t, seeded.id)).toHaveLength(1);
    });
  });

  describe('a model without a deployment DAG (the registry decides, SageMaker’s side deploys)', () => {
    beforeAll(() => {
      const { deploymentDag: _unused, ...fraud } = CONFIG.models['fraud-detector'];
      config = { ...CONFIG, models: { ...CONFIG.models, 'fraud-detector': fraud } };
    });
    afterAll(() => {
      config = CONFIG;
    });

    it('Deploy in Slack approves the package in the registry only: no lock, no trigger; the card and the reply say so', async () => {
      const seeded = await registerPending();
      const responseId = await deployClickSettled(t, seeded, 'U0ALICE');
      expect(await waitForAnswer(t, responseId)).toContain('the SageMaker Model Registry will show it Approved');
      expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'registry_approved', approvals: [{ userId: 'U0ALICE' }] });
      await registry.job.runOnce();
      expect(updates()).toEqual([
        { ModelPackageArn: packageArn(2), ModelApprovalStatus: 'Approved', ApprovalDescription: `${REGISTRY_MARK} Approved in Slack by U0ALICE` },
      ]);
      expect(triggerInvokes(t)).toHaveLength(0);
      await waitFor(() => messageOf(t, seeded).blocks.includes('SageMaker Model Registry: Approved'), 'the card after the write');
      expect(messageOf(t, seeded).blocks).toContain('no deployment DAG, so the bot deploys nothing');
      expect(messageOf(t, seeded).actions).toEqual([]);
    });

    it('approved in Studio → registry_approved, shown; nothing triggered, nothing written back', async () => {
      const seeded = await registerPending();
      expect(await (await decideInStudio(studioDecision('Approved', nowIso()), 'studio-no-dag')).json()).toEqual({ applied: 'approved' });
      expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'registry_approved' });
      await waitFor(() => messageOf(t, seeded).blocks.includes('approved in SageMaker by maria.studio'), 'the card naming the Studio user');
      expect(messageOf(t, seeded).blocks).toContain('the bot deploys nothing here');
      expect(messageOf(t, seeded).blocks).not.toContain('the bot deploys it through the deployment DAG');
      await registry.job.runOnce();
      await t.bot.deps.deployments.recovery.runOnce();
      expect(updates()).toHaveLength(0);
      expect(triggerInvokes(t)).toHaveLength(0);
    });
  });
});
