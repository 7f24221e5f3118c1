/**
 * Deployment strategies (issue 14, contract 9) through the real bot: the strategy select beside
 * Deploy, its state sent with the signed Deploy click, and the deployment DAG's `conf.strategy`
 * (always present). k-of-N, the two-person rule and exactly-once triggering stay as they were:
 * the approval that completes the candidate decides the strategy, and it is stored with that
 * approval before the trigger.
 */
import { randomUUID } from 'node:crypto';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { ActionId } from '../../src/slack/slack-ids';
import { CANDIDATE_ACTIONS_BLOCK } from '../../views/candidate-message-view';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import type { TestBot } from '../kit/start-test-bot';
import { FRAUD_STRATEGIES, STRATEGIES_CONFIG, deployWithPick } from './strategies-helpers';
import {
  CHURN,
  FRAUD,
  answers,
  approvalsBotPerTest,
  getCandidate,
  handledClicks,
  invokesFor,
  messageOf,
  seedCandidate,
  waitFor,
  waitForAnswer,
} from './approvals-helpers';

const strategyOfInvoke = (t: TestBot, id: string) => invokesFor(t, id).map((i) => i.body.conf['strategy']);

describe('deployment strategies: the picker and conf.strategy', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot), STRATEGIES_CONFIG);

  it('the evaluation card offers the strategies beside Deploy; the pick reaches conf.strategy and the card says which', async () => {
    expect((await t.hook(evaluationCompleted({ version: '1.4.0' }))).status).toBe(202);
    const candidate = await waitFor(
      async () =>
        ((await t.bot.deps.candidates.listByModel(FRAUD.model)) as DeploymentCandidate[]).find((c) => c.version === '1.4.0' && c.message !== undefined),
      'the candidate and its message',
      15_000,
    );
    const message = candidate.message!;
    const card = await waitFor(() => {
      const m = t.slack.message(message.channel, message.ts);
      const actions = ((m?.blocks ?? []) as { type: string; block_id?: string; elements?: Record<string, unknown>[] }[]).find((b) => b.type === 'actions');
      return actions?.elements?.some((e) => e['action_id'] === ActionId.StrategyPick) === true ? actions : undefined;
    }, 'the card with its strategy select');
    expect(card.block_id).toBe(CANDIDATE_ACTIONS_BLOCK);
    const select = card.elements!.find((e) => e['action_id'] === ActionId.StrategyPick) as {
      options: { value: string; text: { text: string } }[];
      initial_option: { value: string };
    };
    expect(select.options.map((o) => o.text.text)).toEqual([
      'all at once',
      'canary 10 %, bake 10 min',
      'linear 25 % steps, 5 min each',
      'shadow 50 % for 24 h',
    ]);
    expect(select.initial_option.value).toBe('0');
    expect(card.elements!.map((e) => e['action_id'])).toEqual([ActionId.StrategyPick, ActionId.Deploy, ActionId.Reject]);

    await deployWithPick(t, { id: candidate.id, ...message }, 'U0ALICE', '1');
    expect(strategyOfInvoke(t, candidate.id)).toEqual([{ type: 'canary', trafficPercent: 10, bakeMinutes: 10 }]);
    await waitFor(
      () => messageOf(t, message).blocks.includes('Deploying 1.4.0 to fraud-detector-prod (canary 10 %, bake 10 min): approved by <@U0ALICE>'),
      'the card naming the strategy',
    );
  }, 30_000);

  it.each(FRAUD_STRATEGIES.map((s, i) => [s.type, String(i), s] as const))(
    '%s: conf.strategy is the chosen entry with its parameters',
    async (_type, pick, entry) => {
      const seeded = await seedCandidate(t);
      await deployWithPick(t, seeded, 'U0ALICE', pick);
      expect(strategyOfInvoke(t, seeded.id)).toEqual([entry]);
      expect((await getCandidate(t, seeded.id)).strategy).toEqual(entry);
    },
  );

  it('defaults omitted in the config are filled in (churn: canary 10 %/10 min, linear 50 %/5 min)', async () => {
    const seeded = await seedCandidate(t, { model: CHURN.model, requiredApprovals: 1 });
    await deployWithPick(t, seeded, 'U0ALICE', '1');
    expect(strategyOfInvoke(t, seeded.id)).toEqual([{ type: 'linear', stepPercent: 50, bakeMinutes: 5 }]);
  });

  it('a click without the select state, or with a value naming no entry, deploys with the first strategy', async () => {
    const plain = await seedCandidate(t);
    await deployWithPick(t, plain, 'U0ALICE', undefined);
    expect(strategyOfInvoke(t, plain.id)).toEqual([{ type: 'all-at-once' }]);

    const t2 = await seedCandidate(t, { model: CHURN.model, requiredApprovals: 1 });
    await deployWithPick(t, t2, 'U0ALICE', '9');
    expect(strategyOfInvoke(t, t2.id)).toEqual([{ type: 'canary', trafficPercent: 10, bakeMinutes: 10 }]);
  });

  it('k-of-N: the approval that completes the candidate decides the strategy; one trigger', async () => {
    const seeded = await seedCandidate(t, { model: CHURN.model });
    await deployWithPick(t, seeded, 'U0ALICE', '0');
    expect(invokesFor(t, seeded.id)).toHaveLength(0);
    expect((await getCandidate(t, seeded.id)).strategy).toBeUndefined();
    await deployWithPick(t, seeded, 'U0BOB', '1');
    expect(strategyOfInvoke(t, seeded.id)).toEqual([{ type: 'linear', stepPercent: 50, bakeMinutes: 5 }]);
    // A late click by either approver changes nothing: still one trigger, same strategy.
    await deployWithPick(t, seeded, 'U0ALICE', '0');
    expect(strategyOfInvoke(t, seeded.id)).toEqual([{ type: 'linear', stepPercent: 50, bakeMinutes: 5 }]);
  });

  it('the two-person rule holds with a strategy picked: the run starter cannot approve', async () => {
    const seeded = await seedCandidate(t, { startedBy: 'U0ALICE' });
    const responseId = await deployWithPick(t, seeded, 'U0ALICE', '1');
    expect(await waitForAnswer(t, responseId)).toMatch(/started|own/i);
    expect(invokesFor(t, seeded.id)).toHaveLength(0);
    expect((await getCandidate(t, seeded.id)).strategy).toBeUndefined();
  });

  it('authorization: a non-approver picking canary and clicking Deploy is refused; nothing is stored or triggered', async () => {
    const seeded = await seedCandidate(t);
    const responseId = await deployWithPick(t, seeded, 'U0MALLORY', '1');
    expect(await waitForAnswer(t, responseId)).toMatch(/You may not approve deployments of fraud-detector/);
    expect(invokesFor(t, seeded.id)).toHaveLength(0);
    const c = await getCandidate(t, seeded.id);
    expect(c.state).toBe('pending');
    expect(c.strategy).toBeUndefined();
  });

  it('choosing in the select (anyone) is acknowledged and changes nothing', async () => {
    const seeded = await seedCandidate(t);
    const before = await getCandidate(t, seeded.id);
    for (const userId of ['U0ALICE', 'U0MALLORY']) {
      const responseId = `r-${randomUUID()}`;
      const res = await t.click({
        actionId: ActionId.StrategyPick,
        value: '1',
        userId,
        channelId: seeded.channel,
        messageTs: seeded.ts,
        responseUrl: t.slack.responseUrl(responseId),
        blockId: CANDIDATE_ACTIONS_BLOCK,
      });
      expect(res.status).toBe(200);
      await res.text();
      await waitFor(async () => (await handledClicks(t, 'strategy_pick')) > 0, 'the pick to be handled');
      expect(answers(t, responseId)).toEqual([]);
    }
    expect(await getCandidate(t, seeded.id)).toEqual(before);
    expect(invokesFor(t, seeded.id)).toHaveLength(0);
  });
});

describe('deployment strategies: a model without strategies', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  it('the card has no select and conf.strategy is {"type":"all-at-once"}', async () => {
    const seeded = await seedCandidate(t);
    await deployWithPick(t, seeded, 'U0ALICE', '1');
    expect(strategyOfInvoke(t, seeded.id)).toEqual([{ type: 'all-at-once' }]);
    await waitFor(() => messageOf(t, seeded).blocks.includes('Deploying 1.4.0 to fraud-detector-prod: approved by'), 'the deploying card');
    expect(messageOf(t, seeded).blocks).not.toContain(ActionId.StrategyPick);
  });
});
