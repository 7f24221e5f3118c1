/**
 * Shadow deployments (issue 14, contract 9) through the real bot: a shadow is deployed with
 * conf.strategy shadow; while it runs its card offers Promote shadow / Stop shadow (approvers,
 * confirm dialog), which trigger the deployment DAG once with strategy.type promote-shadow /
 * stop-shadow and a run id fixed per candidate and action. An unpromoted shadow is not production.
 */
import { shadowRunIdFor } from '../../src/core/candidate-state-machine';
import { ActionId } from '../../src/slack/slack-ids';
import type { TestBot } from '../kit/start-test-bot';
import {
  FRAUD,
  approvalsBotPerTest,
  click,
  deploymentEvent,
  getCandidate,
  handledClicks,
  invokesFor,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';
import { STRATEGIES_CONFIG, deployWithPick } from './strategies-helpers';

describe('shadow deployments: Promote shadow and Stop shadow', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot), STRATEGIES_CONFIG);

  /** 1.3.0 in production; 1.4.0 deployed as a shadow (50 % for 24 h) and reported running. */
  async function liveShadow(): Promise<Seeded> {
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.3.0', timestamp: new Date(Date.now() - 3_600_000).toISOString() }));
    const seeded = await seedCandidate(t);
    await deployWithPick(t, seeded, 'U0ALICE', '3');
    expect(invokesFor(t, seeded.id).map((i) => i.body.conf['strategy'])).toEqual([{ type: 'shadow', samplePercent: 50, durationHours: 24 }]);
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: seeded.id }));
    expect((await getCandidate(t, seeded.id)).state).toBe('deployed');
    await waitFor(() => messageOf(t, seeded).blocks.includes('runs in shadow on fraud-detector-prod (shadow 50 % for 24 h)'), 'the shadow card');
    return seeded;
  }

  async function shadowClick(seeded: Seeded, actionId: string, name: string, user: string): Promise<string> {
    const before = await handledClicks(t, name);
    const responseId = await click(t, actionId, seeded, user);
    await waitFor(async () => (await handledClicks(t, name)) > before, 'the click to be handled');
    return responseId;
  }

  const followUps = (id: string) => invokesFor(t, id).slice(1);

  it('a running shadow is not production; its card offers Promote, Stop and Compare now; a non-approver is refused Promote and Stop', async () => {
    const seeded = await liveShadow();
    expect((await t.bot.deps.production.current(FRAUD.model))?.version).toBe('1.3.0');
    expect(messageOf(t, seeded).actions.map((a) => [a.action_id, a.text.text])).toEqual([
      [ActionId.ShadowPromote, 'Promote shadow'],
      [ActionId.ShadowStop, 'Stop shadow'],
      [ActionId.ShadowCompare, 'Compare now'],
    ]);
    for (const [actionId, name] of [
      [ActionId.ShadowPromote, 'shadow_promote'],
      [ActionId.ShadowStop, 'shadow_stop'],
    ] as const) {
      const responseId = await shadowClick(seeded, actionId, name, 'U0MALLORY');
      expect(await waitForAnswer(t, responseId)).toMatch(/You may not approve deployments of fraud-detector/);
    }
    expect(followUps(seeded.id)).toEqual([]);
    expect((await getCandidate(t, seeded.id)).shadowDecision).toBeUndefined();
  });

  it('Promote shadow triggers the DAG once with promote-shadow; a later Stop changes nothing; the promotion makes it production', async () => {
    const seeded = await liveShadow();
    await shadowClick(seeded, ActionId.ShadowPromote, 'shadow_promote', 'U0BOB');
    expect(followUps(seeded.id).map((i) => ({ run: i.body.dag_run_id, conf: i.body.conf }))).toEqual([
      {
        run: shadowRunIdFor(seeded.id, 'promote-shadow'),
        conf: {
          model: FRAUD.model,
          version: '1.4.0',
          endpoint: FRAUD.endpoint,
          approved_by: ['U0BOB'],
          candidate_id: seeded.id,
          strategy: { type: 'promote-shadow' },
        },
      },
    ]);
    await waitFor(() => messageOf(t, seeded).blocks.includes('Promotion requested by <@U0BOB>'), 'the card after Promote');
    expect(messageOf(t, seeded).actions).toEqual([]);

    const again = await shadowClick(seeded, ActionId.ShadowStop, 'shadow_stop', 'U0CAROL');
    expect(await waitForAnswer(t, again)).toBeTruthy();
    await shadowClick(seeded, ActionId.ShadowPromote, 'shadow_promote', 'U0CAROL');
    expect(followUps(seeded.id)).toHaveLength(1);

    await runPipelineHooks(
      t,
      deploymentEvent('deployment.succeeded', {
        version: '1.4.0',
        candidate_id: seeded.id,
        run: { dagId: FRAUD.dag, runId: shadowRunIdFor(seeded.id, 'promote-shadow') },
      }),
    );
    expect((await t.bot.deps.production.current(FRAUD.model))?.version).toBe('1.4.0');
  });

  it('Stop shadow triggers stop-shadow; production stays as it was', async () => {
    const seeded = await liveShadow();
    await shadowClick(seeded, ActionId.ShadowStop, 'shadow_stop', 'U0ALICE');
    expect(followUps(seeded.id).map((i) => [i.body.dag_run_id, i.body.conf['strategy']])).toEqual([
      [shadowRunIdFor(seeded.id, 'stop-shadow'), { type: 'stop-shadow' }],
    ]);
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: seeded.id }));
    expect((await t.bot.deps.production.current(FRAUD.model))?.version).toBe('1.3.0');
    await waitFor(() => messageOf(t, seeded).blocks.includes('Stop requested by <@U0ALICE>'), 'the card after Stop');
  });
});
