/**
 * "Waiting on you" on the App Home tab (issue 16): the candidates the viewer may decide, oldest
 * first, with Deploy / Reject using the card's action ids, so the same listeners and rules apply.
 */
import { ActionId } from '../../src/slack/slack-ids';
import { TEST_SIGNING_SECRET } from '../kit/test-secrets';
import { interactionBody, slackHeaders } from '../kit/sign-requests';
import type { TestBot } from '../kit/start-test-bot';
import { appHomeOpenedBody } from './commands-kit';
import { approvalsBotPerTest, CHURN, getCandidate, invokesFor, seedCandidate, waitFor } from './approvals-helpers';

interface Block {
  type: string;
  text?: { text: string };
  elements?: { action_id: string; value: string; confirm?: unknown }[];
}

async function openHome(t: TestBot, userId: string): Promise<Block[]> {
  const before = t.slack.callsTo('views.publish').length;
  const body = appHomeOpenedBody(userId);
  const res = await fetch(`${t.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...slackHeaders(TEST_SIGNING_SECRET, body) },
    body,
  });
  expect(res.status).toBe(200);
  await res.text();
  const call = await waitFor(() => t.slack.callsTo('views.publish')[before], 'the home tab');
  expect(call.args['user_id']).toBe(userId);
  return (call.args['view'] as { blocks: Block[] }).blocks;
}

/** The "waiting on you" section: its header text and the candidate ids of its Deploy buttons, in order. */
function waiting(blocks: Block[]): { header: string; deployIds: string[]; rejectIds: string[] } {
  const start = blocks.findIndex((b) => b.type === 'header' && (b.text?.text ?? '').startsWith('Waiting on you'));
  if (start === -1) throw new Error('no waiting-on-you section');
  const end = blocks.findIndex((b, i) => i > start && b.type === 'header');
  const section = blocks.slice(start, end === -1 ? undefined : end);
  const buttons = section.flatMap((b) => b.elements ?? []);
  return {
    header: blocks[start]?.text?.text ?? '',
    deployIds: buttons.filter((e) => e.action_id === ActionId.Deploy).map((e) => e.value),
    rejectIds: buttons.filter((e) => e.action_id === ActionId.Reject).map((e) => e.value),
  };
}

describe('Home tab: waiting on you', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  it('lists what the viewer may decide, oldest first; not what they approved, started, or may not approve', async () => {
    const old = await seedCandidate(t, { version: '1.4.0', createdAt: '2026-12-01T08:00:00Z' });
    const newer = await seedCandidate(t, {
      model: CHURN.model,
      version: '2.1.0',
      endpoint: CHURN.endpoint,
      requiredApprovals: 2,
      startedBy: 'U0BOB',
      approvals: [{ userId: 'U0CAROL', at: '2026-12-02T09:00:00Z' }],
      createdAt: '2026-12-02T08:00:00Z',
    });
    await seedCandidate(t, { version: '1.2.0', state: 'rejected', createdAt: '2026-11-01T08:00:00Z' });

    const alice = waiting(await openHome(t, 'U0ALICE'));
    expect(alice.header).toBe('Waiting on you (2)');
    expect(alice.deployIds).toEqual([old.id, newer.id]);
    expect(alice.rejectIds).toEqual([old.id, newer.id]);
    // Bob started the churn run; Carol approved it already.
    expect(waiting(await openHome(t, 'U0BOB')).deployIds).toEqual([old.id]);
    expect(waiting(await openHome(t, 'U0CAROL')).deployIds).toEqual([old.id]);
    // Not an approver: nothing.
    expect(waiting(await openHome(t, 'U0MALLORY')).header).toBe('Waiting on you (0)');
    // A member of the approver group counts.
    t.slack.setUsergroup('S0MLOPS', ['U0DAVE']);
    expect(waiting(await openHome(t, 'U0DAVE')).deployIds).toEqual([old.id, newer.id]);
  });

  it('Deploy from the Home tab goes through the same listener and rules as the card', async () => {
    const seeded = await seedCandidate(t);
    expect(waiting(await openHome(t, 'U0ALICE')).deployIds).toEqual([seeded.id]);
    const click = (userId: string) =>
      t.slackPost(
        interactionBody({
          type: 'block_actions',
          team: { id: 'T0TEAM', domain: 'acme' },
          user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0TEAM' },
          api_app_id: 'A0MLOPS',
          token: 'legacy-verification-token',
          container: { type: 'view', view_id: 'V0HOME' },
          trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
          view: { id: 'V0HOME', type: 'home', blocks: [] },
          actions: [
            { type: 'button', action_id: ActionId.Deploy, block_id: 'b', value: seeded.id, text: { type: 'plain_text', text: 'Deploy' }, action_ts: '1' },
          ],
        }),
      );
    // A non-approver's click from a forged Home tab deploys nothing.
    expect((await click('U0MALLORY')).status).toBe(200);
    expect((await click('U0ALICE')).status).toBe(200);
    await waitFor(() => invokesFor(t, seeded.id).length === 1, 'the trigger');
    expect((await getCandidate(t, seeded.id)).approvals.map((a) => a.userId)).toEqual(['U0ALICE']);
    expect(waiting(await openHome(t, 'U0BOB')).header).toBe('Waiting on you (0)');
  });
});
