/**
 * The non-regression gate and freeze windows (issue 16, contract 10) through the real Bolt
 * receiver: a deployment that fails them still has Deploy, but the click opens a reason form, and
 * the reason reaches the audit log, the card and the DAG's conf (`override_reason`). Who may
 * override is who may deploy (the authorization matrix below).
 */
import { BlockId, CallbackId, InputActionId } from '../../src/slack/slack-ids';
import type { TestBot } from '../kit/start-test-bot';
import {
  APPROVALS_CONFIG,
  auditActions,
  CHURN,
  deployClick,
  FRAUD,
  getCandidate,
  invokesFor,
  messageOf,
  seedCandidate,
  waitFor,
  waitForAnswer,
  approvalsBotPerTest,
  type Seeded,
} from './approvals-helpers';

const GATED = { ...APPROVALS_CONFIG, approvals: { gate: { minImprovement: 0.01, floors: { recall: 0.85 } } } };
/** A window that is always open: every minute starts one an hour long. */
const FROZEN = { ...APPROVALS_CONFIG, approvals: { freeze: [{ cron: '* * * * *', durationHours: 1, timezone: 'Europe/Berlin' }] } };

async function baseline(t: TestBot, model: string, metrics: Record<string, number>): Promise<void> {
  await t.bot.deps.production.recordDeployed({ model, version: '1.3.0', metrics, deployedAt: new Date().toISOString() });
}

async function overrideForm(t: TestBot, count = 1) {
  const calls = await t.slack.waitForCalls('views.open', count);
  const view = calls[count - 1]!.args['view'] as { callback_id: string; private_metadata: string; blocks: unknown[] };
  return view;
}

const submit = (t: TestBot, userId: string, privateMetadata: string, reason: string) =>
  t.submitView({
    callbackId: CallbackId.DeployOverrideModal,
    userId,
    privateMetadata,
    values: { [BlockId.OverrideReason]: { [InputActionId.OverrideReason]: { type: 'plain_text_input', value: reason } } },
  });

describe('non-regression gate', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot), GATED);

  const worse = { f1: 0.905, precision: 0.93, recall: 0.89, mse: 0.041 };
  const better = { f1: 0.95, precision: 0.93, recall: 0.89, mse: 0.041 };

  it('passing: Deploy deploys at once, no form, no override_reason in the conf', async () => {
    await baseline(t, FRAUD.model, { f1: 0.9, recall: 0.88 });
    const seeded = await seedCandidate(t, { metrics: better });
    await deployClick(t, seeded, 'U0ALICE');
    const [invoke] = await waitFor(() => (invokesFor(t, seeded.id).length > 0 ? invokesFor(t, seeded.id) : undefined), 'the trigger');
    expect(invoke?.body.conf).not.toHaveProperty('override_reason');
    expect(t.slack.callsTo('views.open')).toHaveLength(0);
    await waitFor(() => messageOf(t, seeded).blocks.includes('Non-regression gate passed'), 'the card to show the passed gate');
  });

  it('failing: the click opens the reason form (nothing changes); the reason goes to the conf, the audit log and the card', async () => {
    await baseline(t, FRAUD.model, { f1: 0.9, recall: 0.88 });
    const seeded = await seedCandidate(t, { metrics: worse });
    // The card shows the failed check, and its Deploy has no confirm dialog (the form replaces it).
    await t.bot.deps.deployments.showCard(seeded.id, t.bot.deps.logger);
    await waitFor(() => messageOf(t, seeded).blocks.includes('Non-regression gate failed'), 'the card to show the failed gate');
    expect(JSON.stringify(messageOf(t, seeded).actions.find((a) => a.action_id === 'mlops_deploy'))).not.toContain('confirm');

    await deployClick(t, seeded, 'U0ALICE');
    const view = await overrideForm(t);
    expect(view.callback_id).toBe(CallbackId.DeployOverrideModal);
    expect(JSON.stringify(view.blocks)).toContain('f1 0.905 vs 0.9 in 1.3.0');
    expect(JSON.parse(view.private_metadata)).toMatchObject({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts });
    expect((await getCandidate(t, seeded.id)).state).toBe('pending');
    expect(invokesFor(t, seeded.id)).toHaveLength(0);
    expect(await auditActions(t, FRAUD.model, seeded.id)).toEqual([]);

    const blank = await submit(t, 'U0ALICE', view.private_metadata, '  ');
    expect(await blank.json()).toEqual({ response_action: 'errors', errors: { [BlockId.OverrideReason]: 'Give a reason to deploy anyway.' } });
    expect(invokesFor(t, seeded.id)).toHaveLength(0);

    const ok = await submit(t, 'U0ALICE', view.private_metadata, 'Hotfix for the fraud spike');
    expect(ok.status).toBe(200);
    const [invoke] = await waitFor(() => (invokesFor(t, seeded.id).length > 0 ? invokesFor(t, seeded.id) : undefined), 'the trigger');
    expect(invoke?.body.conf['override_reason']).toBe('Hotfix for the fraud spike');
    expect((await getCandidate(t, seeded.id)).override).toMatchObject({ reason: 'Hotfix for the fraud spike', by: 'U0ALICE' });
    const approved = (await auditActions(t, FRAUD.model, seeded.id)).find((a) => a.action === 'approved');
    expect(approved?.detail).toContain('Hotfix for the fraud spike');
    expect(approved?.detail).toContain('non-regression gate');
    await waitFor(() => messageOf(t, seeded).blocks.includes('Hotfix for the fraud spike'), 'the card to show the override');
    expect(messageOf(t, seeded).blocks).toContain('Override by <@U0ALICE>');
  });

  it('a floor alone fails the gate (recall below 0.85)', async () => {
    const seeded = await seedCandidate(t, { metrics: { ...better, recall: 0.8 } });
    await deployClick(t, seeded, 'U0ALICE');
    const view = await overrideForm(t);
    expect(JSON.stringify(view.blocks)).toContain('recall 0.8 is outside its floor (at least 0.85)');
  });

  describe('authorization matrix', () => {
    it('a non-approver gets no form, and a forged submission deploys nothing', async () => {
      await baseline(t, FRAUD.model, { f1: 0.9, recall: 0.88 });
      const seeded: Seeded = await seedCandidate(t, { metrics: worse });
      const answer = await waitForAnswer(t, await deployClick(t, seeded, 'U0MALLORY'));
      expect(answer).toContain('You may not approve deployments of fraud-detector');
      expect(t.slack.callsTo('views.open')).toHaveLength(0);
      const forged = await submit(t, 'U0MALLORY', JSON.stringify({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts }), 'let me');
      expect(forged.status).toBe(200);
      const [ephemeral] = await t.slack.waitForCalls('chat.postEphemeral', 1);
      expect(ephemeral?.args['user']).toBe('U0MALLORY');
      expect(invokesFor(t, seeded.id)).toHaveLength(0);
      expect((await getCandidate(t, seeded.id)).state).toBe('pending');
    });

    it('the one who started the run gets no form (self-approval), not even with a reason', async () => {
      await baseline(t, FRAUD.model, { f1: 0.9, recall: 0.88 });
      const seeded = await seedCandidate(t, { metrics: worse, startedBy: 'U0ALICE' });
      expect(await waitForAnswer(t, await deployClick(t, seeded, 'U0ALICE'))).toContain('started this run');
      expect(t.slack.callsTo('views.open')).toHaveLength(0);
      await submit(t, 'U0ALICE', JSON.stringify({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts }), 'mine is fine');
      await t.slack.waitForCalls('chat.postEphemeral', 1);
      expect(invokesFor(t, seeded.id)).toHaveLength(0);
    });

    it('k of N: each approver gives a reason; the deployment carries the completing one', async () => {
      await baseline(t, CHURN.model, { auc: 0.95, logloss: 0.2 });
      const seeded = await seedCandidate(t, { model: CHURN.model, endpoint: CHURN.endpoint, metrics: { auc: 0.9, logloss: 0.25 }, requiredApprovals: 2 });
      await deployClick(t, seeded, 'U0ALICE');
      const first = await overrideForm(t, 1);
      await submit(t, 'U0ALICE', first.private_metadata, 'reason A');
      await waitFor(async () => (await getCandidate(t, seeded.id)).approvals.length === 1, 'the first approval');
      expect(invokesFor(t, seeded.id)).toHaveLength(0);
      await deployClick(t, seeded, 'U0BOB');
      const second = await overrideForm(t, 2);
      await submit(t, 'U0BOB', second.private_metadata, 'reason B');
      const [invoke] = await waitFor(() => (invokesFor(t, seeded.id).length > 0 ? invokesFor(t, seeded.id) : undefined), 'the trigger');
      expect(invoke?.body.conf['override_reason']).toBe('reason B');
      expect(invoke?.body.conf['approved_by']).toEqual(['U0ALICE', 'U0BOB']);
    });
  });
});

describe('freeze windows', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot), FROZEN);

  it('a deploy inside a freeze window needs a reason; with it, the conf says why', async () => {
    const seeded = await seedCandidate(t);
    await deployClick(t, seeded, 'U0BOB');
    const view = await overrideForm(t);
    expect(JSON.stringify(view.blocks)).toContain('freeze window (* * * * *, Europe/Berlin) until');
    expect(invokesFor(t, seeded.id)).toHaveLength(0);
    await submit(t, 'U0BOB', view.private_metadata, 'Security fix, agreed with on-call');
    const [invoke] = await waitFor(() => (invokesFor(t, seeded.id).length > 0 ? invokesFor(t, seeded.id) : undefined), 'the trigger');
    expect(invoke?.body.conf['override_reason']).toBe('Security fix, agreed with on-call');
  });

  describe('authorization matrix', () => {
    it('a non-approver gets no form inside the window, and a forged submission deploys nothing', async () => {
      const seeded = await seedCandidate(t);
      const answer = await waitForAnswer(t, await deployClick(t, seeded, 'U0MALLORY'));
      expect(answer).toContain('You may not approve deployments of fraud-detector');
      expect(t.slack.callsTo('views.open')).toHaveLength(0);
      const forged = await submit(t, 'U0MALLORY', JSON.stringify({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts }), 'freeze? what freeze');
      expect(forged.status).toBe(200);
      const [ephemeral] = await t.slack.waitForCalls('chat.postEphemeral', 1);
      expect(ephemeral?.args['user']).toBe('U0MALLORY');
      expect(invokesFor(t, seeded.id)).toHaveLength(0);
      expect((await getCandidate(t, seeded.id)).state).toBe('pending');
      expect(await auditActions(t, FRAUD.model, seeded.id)).toEqual([]);
    });

    it('the one who started the run gets no form (self-approval), not even with a reason', async () => {
      const seeded = await seedCandidate(t, { startedBy: 'U0ALICE' });
      expect(await waitForAnswer(t, await deployClick(t, seeded, 'U0ALICE'))).toContain('started this run');
      expect(t.slack.callsTo('views.open')).toHaveLength(0);
      await submit(t, 'U0ALICE', JSON.stringify({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts }), 'my own hotfix');
      await t.slack.waitForCalls('chat.postEphemeral', 1);
      expect(invokesFor(t, seeded.id)).toHaveLength(0);
      expect((await getCandidate(t, seeded.id)).state).toBe('pending');
    });

    it('an approver who gives a reason deploys; the reason is audited and on the card', async () => {
      const seeded = await seedCandidate(t);
      await deployClick(t, seeded, 'U0CAROL');
      const view = await overrideForm(t);
      await submit(t, 'U0CAROL', view.private_metadata, 'Rollback of a broken model, on-call agreed');
      await waitFor(() => invokesFor(t, seeded.id)[0], 'the trigger');
      const audited = await auditActions(t, FRAUD.model, seeded.id);
      expect(JSON.stringify(audited)).toContain('Rollback of a broken model, on-call agreed');
      await waitFor(() => messageOf(t, seeded).blocks.includes('Rollback of a broken model, on-call agreed'), 'the reason on the card');
    });
  });
});
