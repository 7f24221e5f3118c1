import { deploymentRunIdFor } from '../../src/core/candidate';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { ActionId } from '../../src/slack/slack-ids';
import type { TestBot } from '../kit/start-test-bot';
import {
  FRAUD,
  approvalsBotPerTest,
  auditActions,
  click,
  counterValue,
  deployClick,
  deployClickSettled,
  deploymentEvent,
  getCandidate,
  handledClicks,
  invokesFor,
  lockHolder,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  sleep,
  triggerInvokes,
  waitFor,
  waitForAnswer,
} from './approvals-helpers';

describe('approvals: deployment outcomes, superseded candidates and Rollback', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  async function deploy(version: string) {
    const seeded = await seedCandidate(t, { version });
    await deployClickSettled(t, seeded, 'U0ALICE');
    await waitFor(async () => (await getCandidate(t, seeded.id)).triggerConfirmedAt !== undefined, `deployment of ${version}`);
    return seeded;
  }

  it('deployment.succeeded: deployed, older pending candidates superseded (messages updated), newer ones untouched, audited; a repeat changes nothing', async () => {
    const older = await seedCandidate(t, { version: '1.3.9' });
    const sameVersionOther = await seedCandidate(t, { version: '1.4.0', origin: 'evaluation' });
    const newer = await seedCandidate(t, { version: '1.5.0' });
    const deployed = await deploy('1.4.0');

    const event = deploymentEvent('deployment.succeeded', { version: '1.4.0' }); // no candidate_id: found among deploying
    await runPipelineHooks(t, event);
    expect(await getCandidate(t, deployed.id)).toMatchObject({ state: 'deployed' });
    expect(await getCandidate(t, older.id)).toMatchObject({ state: 'superseded', supersededBy: '1.4.0' });
    expect(await getCandidate(t, sameVersionOther.id)).toMatchObject({ state: 'superseded', supersededBy: '1.4.0' });
    expect(await getCandidate(t, newer.id)).toMatchObject({ state: 'pending' });
    await waitFor(() => messageOf(t, older).blocks.includes('Superseded by 1.4.0'), 'the superseded message');
    expect(messageOf(t, older).actions).toEqual([]);
    expect(messageOf(t, newer).actions.length).toBe(2);
    expect(messageOf(t, deployed).blocks).toContain('1.4.0 is live on fraud-detector-prod');
    expect(await auditActions(t, FRAUD.model, deployed.id)).toEqual([
      { action: 'approved', actor: 'U0ALICE', detail: '1 of 1 approvals' },
      { action: 'deploy_triggered', actor: 'U0ALICE', dagRunId: deploymentRunIdFor(deployed.id, 1) },
      { action: 'deployed', actor: 'pipeline', dagRunId: deploymentRunIdFor(deployed.id, 1), detail: 'live on fraud-detector-prod' },
    ]);
    expect(await auditActions(t, FRAUD.model, older.id)).toEqual([{ action: 'superseded', actor: 'pipeline', detail: 'superseded by 1.4.0' }]);

    // The superseded candidate can never be deployed.
    const late = await deployClick(t, older, 'U0BOB');
    expect(await waitForAnswer(t, late)).toContain('was superseded by 1.4.0');

    // At least once: the same event again changes nothing and audits nothing twice.
    const auditBefore = (await t.bot.deps.audit.recent(FRAUD.model, 100)).length;
    await runPipelineHooks(t, event);
    expect((await t.bot.deps.audit.recent(FRAUD.model, 100)).length).toBe(auditBefore);
    expect(await getCandidate(t, deployed.id)).toMatchObject({ state: 'deployed' });
  });

  it('deployment.failed: failed with the reason, lock released, and a Rollback button to the previous deployed version', async () => {
    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.3.0',
      metrics: { f1: 0.88 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-20T10:00:00Z',
    });
    const failed = await deploy('1.4.0');
    // Found by the run id the pipeline reports (our dag_run_id), without candidate_id.
    await runPipelineHooks(t, deploymentEvent('deployment.failed', { version: '1.4.0', run: { dagId: FRAUD.dag, runId: deploymentRunIdFor(failed.id, 1) } }));
    expect(await getCandidate(t, failed.id)).toMatchObject({ state: 'deploy_failed' });
    expect(await lockHolder(t, FRAUD.endpoint)).toBeUndefined();
    await waitFor(
      () => messageOf(t, failed).blocks.includes('Deployment of 1.4.0 to fraud-detector-prod failed: update_endpoint: UpdateEndpoint failed'),
      'the failed message',
    );
    const buttons = messageOf(t, failed).actions;
    expect(buttons.map((b) => [b.action_id, b.text.text, b.value])).toEqual([[ActionId.Rollback, 'Roll back to 1.3.0', failed.id]]);
    expect((await auditActions(t, FRAUD.model, failed.id)).map((a) => a.action)).toEqual(['approved', 'deploy_triggered', 'deploy_failed']);
  });

  it('Rollback button: approvers only; one rollback request whoever clicks; same approve/lock/trigger path; deployed as rolled_back', async () => {
    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.3.0',
      metrics: { f1: 0.88, precision: 0.9 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-20T10:00:00Z',
    });
    const failed = await deploy('1.4.0');
    await runPipelineHooks(t, deploymentEvent('deployment.failed', { version: '1.4.0', candidate_id: failed.id }));

    const refused = await click(t, ActionId.Rollback, failed, 'U0MALLORY');
    expect(await waitForAnswer(t, refused)).toContain('You may not roll back deployments of fraud-detector');
    expect(triggerInvokes(t)).toHaveLength(1);

    // Three concurrent clicks (a double click and a colleague): one rollback candidate, one trigger.
    const posts = t.slack.callsTo('chat.postMessage').length;
    await Promise.all([
      click(t, ActionId.Rollback, failed, 'U0ALICE'),
      click(t, ActionId.Rollback, failed, 'U0ALICE'),
      click(t, ActionId.Rollback, failed, 'U0BOB'),
    ]);
    await waitFor(async () => (await handledClicks(t, 'rollback')) === 4, 'the rollback clicks');
    const rollbacks = ((await t.bot.deps.candidates.listByModel(FRAUD.model)) as DeploymentCandidate[]).filter((c) => c.origin === 'rollback-command');
    expect(rollbacks).toHaveLength(1);
    const rollback = rollbacks[0]!;
    expect(rollback).toMatchObject({
      version: '1.3.0',
      replacesVersion: '1.4.0',
      metrics: { f1: 0.88, precision: 0.9 },
      endpoint: FRAUD.endpoint,
      state: 'deploying',
      requestedBy: 'U0ALICE',
    });
    const invokes = invokesFor(t, rollback.id);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]?.body).toEqual({
      dag_name: FRAUD.dag,
      dag_run_id: deploymentRunIdFor(rollback.id, 1),
      conf: {
        model: FRAUD.model,
        version: '1.3.0',
        endpoint: FRAUD.endpoint,
        approved_by: ['U0ALICE'],
        candidate_id: rollback.id,
        strategy: { type: 'all-at-once' },
      },
    });
    expect(await counterValue(t, 'dagTriggers', { purpose: 'rollback', result: 'ok' })).toBe(1);

    // Its own card in the channel; the failed message says a rollback was requested, button gone.
    const cards = t.slack.callsTo('chat.postMessage').slice(posts);
    expect(cards).toHaveLength(1);
    expect(cards[0]?.args['channel']).toBe(FRAUD.channel);
    const card = { channel: FRAUD.channel, ts: String(cards[0]?.response?.['ts']) };
    await waitFor(() => messageOf(t, card).blocks.includes('Deploying 1.3.0 to fraud-detector-prod: approved by <@U0ALICE>'), 'the rollback card');
    expect(messageOf(t, card).blocks).toContain('Rollback request: fraud-detector 1.3.0');
    expect(rollback.message).toEqual(card);
    await waitFor(() => messageOf(t, failed).blocks.includes('A rollback to 1.3.0 was requested'), 'the notice on the failed message');
    expect(messageOf(t, failed).actions).toEqual([]);

    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.3.0', candidate_id: rollback.id }));
    expect(await getCandidate(t, rollback.id)).toMatchObject({ state: 'deployed' });
    expect((await auditActions(t, FRAUD.model, rollback.id)).map((a) => a.action)).toEqual(['approved', 'deploy_triggered', 'rolled_back']);
    expect((await t.bot.deps.production.current(FRAUD.model))?.version).toBe('1.3.0');
    // A failed candidate is not superseded (only pending ones are), and 1.4.0 is newer anyway.
    expect((await getCandidate(t, failed.id)).state).toBe('deploy_failed');
  });

  it('Rollback is refused while the endpoint is busy with another deployment', async () => {
    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.3.0',
      metrics: { f1: 0.88 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-20T10:00:00Z',
    });
    const failed = await deploy('1.4.0');
    await runPipelineHooks(t, deploymentEvent('deployment.failed', { version: '1.4.0', candidate_id: failed.id }));
    await deploy('1.4.1');
    const responseId = await click(t, ActionId.Rollback, failed, 'U0BOB');
    expect(await waitForAnswer(t, responseId)).toContain('fraud-detector-prod is busy: 1.4.1 deploying since');
    await sleep(50);
    expect(triggerInvokes(t).map((i) => i.body.conf['version'])).toEqual(['1.4.0', '1.4.1']);
  });

  it('no earlier deployed version: the Rollback click says so', async () => {
    const failed = await deploy('1.4.0');
    await runPipelineHooks(t, deploymentEvent('deployment.failed', { version: '1.4.0', candidate_id: failed.id }));
    expect(messageOf(t, failed).actions).toEqual([]);
    const responseId = await click(t, ActionId.Rollback, failed, 'U0ALICE');
    expect(await waitForAnswer(t, responseId)).toContain('no earlier deployed version of fraud-detector than 1.4.0');
  });
});
