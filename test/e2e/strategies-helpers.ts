/** Helpers of the deployment strategy tests (issue 14): a config offering strategies and a Deploy click carrying the picker's state. */
import { randomUUID } from 'node:crypto';
import { ActionId } from '../../src/slack/slack-ids';
import { CANDIDATE_ACTIONS_BLOCK } from '../../views/candidate-message-view';
import type { TestBot } from '../kit/start-test-bot';
import { APPROVALS_CONFIG, handledClicks, waitFor, type Seeded } from './approvals-helpers';

export const FRAUD_STRATEGIES = [
  { type: 'all-at-once' },
  { type: 'canary', trafficPercent: 10, bakeMinutes: 10 },
  { type: 'linear', stepPercent: 25, bakeMinutes: 5 },
  { type: 'shadow', samplePercent: 50, durationHours: 24 },
] as const;

export const STRATEGIES_CONFIG = {
  ...APPROVALS_CONFIG,
  models: {
    'fraud-detector': { ...APPROVALS_CONFIG.models['fraud-detector'], strategies: FRAUD_STRATEGIES },
    'churn-predictor': { ...APPROVALS_CONFIG.models['churn-predictor'], strategies: [{ type: 'canary' }, { type: 'linear', stepPercent: 50 }] },
  },
};

/** A signed Deploy click carrying the strategy select's state, as Slack sends it with every click on the message. */
export async function deployWithPick(t: TestBot, seeded: Seeded, userId: string, pick: string | undefined): Promise<string> {
  const responseId = `r-${randomUUID()}`;
  const before = await handledClicks(t, 'deploy');
  const res = await t.click({
    actionId: ActionId.Deploy,
    value: seeded.id,
    userId,
    channelId: seeded.channel,
    messageTs: seeded.ts,
    responseUrl: t.slack.responseUrl(responseId),
    blockId: CANDIDATE_ACTIONS_BLOCK,
    ...(pick !== undefined
      ? {
          stateValues: {
            [CANDIDATE_ACTIONS_BLOCK]: {
              [ActionId.StrategyPick]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'x' }, value: pick } },
            },
          },
        }
      : {}),
  });
  expect(res.status).toBe(200);
  await res.text();
  await waitFor(async () => (await handledClicks(t, 'deploy')) > before, 'the Deploy click to be fully handled');
  return responseId;
}
