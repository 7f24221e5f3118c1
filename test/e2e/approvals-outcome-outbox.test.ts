/**
 * Issue 11: card updates that follow a deployment.* event go through the outbox (queued, paced,
 * retried there), not through the interactive client, which waits out a 429 inside the call and so
 * held the delivery planner (and every event behind this one) for the whole Retry-After.
 */
import { deploymentRunIdFor } from '../../src/core/candidate';
import type { TestBot } from '../kit/start-test-bot';
import {
  approvalsBotPerTest,
  deployClickSettled,
  deploymentEvent,
  getCandidate,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  waitFor,
} from './approvals-helpers';

describe('deployment outcome: the card update is queued in the outbox, never awaited on Slack', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  it('a rate-limited chat.update does not hold applyPipelineEvent; the card shows the outcome once Slack lets it', async () => {
    const seeded = await seedCandidate(t);
    await deployClickSettled(t, seeded, 'U0ALICE');
    await waitFor(async () => (await getCandidate(t, seeded.id)).triggerConfirmedAt !== undefined, 'the trigger confirmation');
    const updatesOfCard = () => t.slack.callsTo('chat.update').filter((c) => c.args['ts'] === seeded.ts);
    const before = updatesOfCard().length;
    // Slack refuses the next chat.update for 2 s: a client that waits it out holds its caller that long.
    t.slack.failNext('chat.update', 1, { status: 429, retryAfterSeconds: 2 });

    await runPipelineHooks(
      t,
      deploymentEvent('deployment.succeeded', {
        candidate_id: seeded.id,
        run: { dagId: 'fraud_detector_deployment', runId: deploymentRunIdFor(seeded.id, 1) },
      }),
    );

    // Applied (state, lock, audit) and returned without any card update having reached Slack.
    expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'deployed' });
    expect(
      updatesOfCard()
        .slice(before)
        .filter((c) => c.status === 200),
    ).toEqual([]);
    // The outbox sends it after the Retry-After: the card says so in the end.
    await waitFor(() => messageOf(t, seeded).blocks.includes('1.4.0 is live on fraud-detector-prod'), 'the card to show the deployment');
    expect(
      updatesOfCard()
        .slice(before)
        .some((c) => c.status === 429),
    ).toBe(true);
  });
});
