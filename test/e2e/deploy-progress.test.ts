/**
 * deployment.progress and Abort and roll back (issue 14, contract 9) through the real bot: signed
 * progress events update the candidate's card in place (a text progress bar, through the outbox)
 * and add a short thread line; during a canary / linear rollout approvers can abort, which stops
 * the rollout and rolls back through the Rollback button's path (same lock rules, one trigger).
 */
import { randomUUID } from 'node:crypto';
import { ActionId } from '../../src/slack/slack-ids';
import type { TestBot } from '../kit/start-test-bot';
import {
  FRAUD,
  answers,
  approvalsBotPerTest,
  auditActions,
  click,
  deploymentEvent,
  getCandidate,
  handledClicks,
  invokesFor,
  lockHolder,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  triggerInvokes,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';
import { STRATEGIES_CONFIG, deployWithPick } from './strategies-helpers';

function progressEvent(seeded: Seeded, progress: Record<string, unknown>, timestamp = new Date().toISOString()) {
  return {
    id: randomUUID(),
    type: 'deployment.progress',
    model: FRAUD.model,
    version: '1.4.0',
    timestamp,
    endpoint: FRAUD.endpoint,
    candidate_id: seeded.id,
    run: { dagId: FRAUD.dag, runId: `mlops_deploy__${seeded.id}__1` },
    progress,
  };
}

/** 1.3.0 is live (the rollback target), then 1.4.0 is deployed with the picked strategy. */
async function rolloutOf(t: TestBot, pick: string): Promise<Seeded> {
  await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.3.0', timestamp: new Date(Date.now() - 3_600_000).toISOString() }));
  const seeded = await seedCandidate(t);
  await deployWithPick(t, seeded, 'U0ALICE', pick);
  expect(invokesFor(t, seeded.id)).toHaveLength(1);
  return seeded;
}

async function abortClick(t: TestBot, seeded: Seeded, userId: string): Promise<string> {
  const before = await handledClicks(t, 'abort_rollback');
  const responseId = await click(t, ActionId.AbortRollback, seeded, userId);
  await waitFor(async () => (await handledClicks(t, 'abort_rollback')) > before, 'the abort click to be handled');
  return responseId;
}

describe('deployment.progress and Abort and roll back', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot), STRATEGIES_CONFIG);

  it('a progress event updates the card in place (progress bar, step, abort button) and adds a thread line; an older one changes nothing', async () => {
    const seeded = await rolloutOf(t, '1');
    const bakingUntil = new Date(Date.now() + 600_000).toISOString();
    expect((await t.hook(progressEvent(seeded, { trafficPercent: 10, step: 1, steps: 2, bakingUntil }))).status).toBe(202);
    await waitFor(() => messageOf(t, seeded).blocks.includes('▓░░░░░░░░░ 10 %'), 'the progress bar on the card');
    const card = messageOf(t, seeded);
    expect(card.blocks).toContain('step 1 of 2');
    expect(card.blocks).toContain('baking until');
    expect(card.actions.map((a) => [a.action_id, a.text.text])).toEqual([[ActionId.AbortRollback, 'Abort and roll back to 1.3.0']]);
    const line = await waitFor(
      () => t.slack.messages(seeded.channel).find((m) => m.thread_ts === seeded.ts && JSON.stringify(m.blocks).includes('10 %')),
      'the thread line',
    );
    expect(JSON.stringify(line.blocks)).toContain('step 1 of 2');

    // A later step, then a late copy of an earlier one (at-least-once, any order): the card keeps the newest.
    expect((await t.hook(progressEvent(seeded, { trafficPercent: 50, step: 2, steps: 2 }))).status).toBe(202);
    await waitFor(() => messageOf(t, seeded).blocks.includes('▓▓▓▓▓░░░░░ 50 %'), 'the second step');
    expect((await t.hook(progressEvent(seeded, { trafficPercent: 5, step: 1, steps: 2 }, new Date(Date.now() - 60_000).toISOString()))).status).toBe(202);
    await waitFor(
      () => t.slack.messages(seeded.channel).some((m) => m.thread_ts === seeded.ts && JSON.stringify(m.blocks).includes('5 %')),
      'the late line in the thread',
    );
    expect((await getCandidate(t, seeded.id)).progress?.trafficPercent).toBe(50);
    expect(messageOf(t, seeded).blocks).toContain('▓▓▓▓▓░░░░░ 50 %');
  }, 30_000);

  it('the hook refuses deployment.progress without progress (400), like any missing required field', async () => {
    const res = await t.hook({ ...progressEvent({ id: 'x', channel: FRAUD.channel, ts: '1' }, {}), progress: undefined });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('progress');
  });

  it('authorization: a non-approver cannot abort; nothing changes', async () => {
    const seeded = await rolloutOf(t, '2');
    const responseId = await abortClick(t, seeded, 'U0MALLORY');
    expect(await waitForAnswer(t, responseId)).toMatch(/You may not roll back deployments of fraud-detector/);
    expect((await getCandidate(t, seeded.id)).state).toBe('deploying');
    expect(triggerInvokes(t)).toHaveLength(1);
    expect((await lockHolder(t, FRAUD.endpoint))?.candidateId).toBe(seeded.id);
  });

  it('an approver aborts a canary: the rollout is failed and unlocked, the previous version is deployed all at once, once', async () => {
    const seeded = await rolloutOf(t, '1');
    const responseId = await abortClick(t, seeded, 'U0BOB');
    const aborted = await getCandidate(t, seeded.id);
    expect(aborted).toMatchObject({ state: 'deploy_failed', abortedBy: 'U0BOB' });
    expect(aborted.rollback?.version).toBe('1.3.0');
    const rollbackId = aborted.rollback!.candidateId;
    expect(invokesFor(t, rollbackId).map((i) => i.body.conf)).toEqual([
      { model: FRAUD.model, version: '1.3.0', endpoint: FRAUD.endpoint, approved_by: ['U0BOB'], candidate_id: rollbackId, strategy: { type: 'all-at-once' } },
    ]);
    expect((await lockHolder(t, FRAUD.endpoint))?.candidateId).toBe(rollbackId);
    expect((await auditActions(t, FRAUD.model, seeded.id)).map((a) => a.action)).toContain('deploy_aborted');
    expect(answers(t, responseId)).toEqual([]);
    await waitFor(() => messageOf(t, seeded).blocks.includes('A rollback to 1.3.0 was requested'), 'the aborted card');

    // The aborted run reporting success late does not make 1.4.0 live again.
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: seeded.id }));
    expect((await getCandidate(t, seeded.id)).state).toBe('deploy_failed');

    // A second approver clicking the old button changes nothing: still one rollback trigger.
    await abortClick(t, seeded, 'U0CAROL');
    expect(invokesFor(t, rollbackId)).toHaveLength(1);
    expect(triggerInvokes(t)).toHaveLength(2);
  });

  it('an all-at-once deployment offers no abort, and a forged abort click is refused', async () => {
    const seeded = await rolloutOf(t, '0');
    await waitFor(() => messageOf(t, seeded).blocks.includes('Deploying 1.4.0'), 'the deploying card');
    expect(messageOf(t, seeded).actions).toEqual([]);
    const responseId = await abortClick(t, seeded, 'U0ALICE');
    expect(await waitForAnswer(t, responseId)).toBeTruthy();
    expect((await getCandidate(t, seeded.id)).state).toBe('deploying');
    expect(triggerInvokes(t)).toHaveLength(1);
  });
});
