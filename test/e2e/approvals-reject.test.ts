import { ActionId, BlockId, CallbackId, InputActionId } from '../../src/slack/slack-ids';
import type { TestBot } from '../kit/start-test-bot';
import {
  FRAUD,
  approvalsBotPerTest,
  auditActions,
  click,
  deployClick,
  getCandidate,
  messageOf,
  seedCandidate,
  sleep,
  triggerInvokes,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';

describe('approvals: Reject opens a reason modal; the submit rejects (signed view_submission)', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  const submit = (userId: string, privateMetadata: string, reason: string | null) =>
    t.submitView({
      callbackId: CallbackId.RejectModal,
      userId,
      privateMetadata,
      values: { [BlockId.RejectReason]: { [InputActionId.RejectReason]: { type: 'plain_text_input', value: reason } } },
    });

  async function openModal(seeded: Seeded, userId = 'U0ALICE') {
    await click(t, ActionId.Reject, seeded, userId);
    const [open] = await t.slack.waitForCalls('views.open', 1);
    const view = open!.args['view'] as {
      callback_id: string;
      private_metadata: string;
      blocks: { type: string; block_id?: string; optional?: boolean; element?: { action_id: string; multiline?: boolean } }[];
    };
    return { open: open!, view };
  }

  it('opens the modal with the click’s trigger_id, rejects on submit with who, when and why; a second submit changes nothing', async () => {
    const seeded = await seedCandidate(t);
    const { open, view } = await openModal(seeded);
    expect(String(open.args['trigger_id'])).toMatch(/^trigger-/);
    expect(view.callback_id).toBe(CallbackId.RejectModal);
    expect(JSON.parse(view.private_metadata)).toEqual({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts });
    const input = view.blocks.find((b) => b.type === 'input');
    expect(input).toMatchObject({ block_id: BlockId.RejectReason, element: { action_id: InputActionId.RejectReason, multiline: true } });
    expect(input?.optional).not.toBe(true);

    // An empty (whitespace) reason is a field error in the modal; nothing changes.
    const empty = await submit('U0ALICE', view.private_metadata, '   ');
    expect(await empty.json()).toEqual({ response_action: 'errors', errors: { [BlockId.RejectReason]: 'Give a reason for the rejection.' } });
    expect((await getCandidate(t, seeded.id)).state).toBe('pending');

    const ok = await submit('U0ALICE', view.private_metadata, 'Recall dropped on the holdout set');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    const c = await getCandidate(t, seeded.id);
    expect(c).toMatchObject({ state: 'rejected', decidedBy: 'U0ALICE', rejectReason: 'Recall dropped on the holdout set' });
    await waitFor(() => messageOf(t, seeded).blocks.includes('Rejected by <@U0ALICE>'), 'the rejected message');
    const message = messageOf(t, seeded);
    expect(message.blocks).toContain('Recall dropped on the holdout set');
    expect(message.blocks).toContain('<!date^');
    expect(message.actions).toEqual([]);
    expect(await auditActions(t, FRAUD.model, seeded.id)).toEqual([{ action: 'rejected', actor: 'U0ALICE', detail: 'Recall dropped on the holdout set' }]);

    const second = await submit('U0BOB', view.private_metadata, 'me too');
    expect(await second.json()).toEqual({
      response_action: 'errors',
      errors: { [BlockId.RejectReason]: 'Nothing changed: fraud-detector 1.4.0 was already rejected (“Recall dropped on the holdout set”).' },
    });
    expect(await getCandidate(t, seeded.id)).toMatchObject({ decidedBy: 'U0ALICE', rev: c.rev });

    // A rejected candidate can never be deployed.
    const late = await deployClick(t, seeded, 'U0BOB');
    expect(await waitForAnswer(t, late)).toContain('was already rejected by <@U0ALICE>');
    await sleep(100);
    expect(triggerInvokes(t)).toHaveLength(0);
  });

  it('a submit after someone deployed changes nothing and says so', async () => {
    const seeded = await seedCandidate(t);
    const { view } = await openModal(seeded, 'U0BOB');
    await deployClick(t, seeded, 'U0ALICE');
    await waitFor(() => triggerInvokes(t).length === 1, 'the deployment');
    const res = await submit('U0BOB', view.private_metadata, 'too late');
    expect(await res.json()).toEqual({
      response_action: 'errors',
      errors: { [BlockId.RejectReason]: 'Nothing changed: fraud-detector 1.4.0 is already being deployed.' },
    });
    expect((await getCandidate(t, seeded.id)).state).toBe('deploying');
  });

  it('an unauthorised user gets no modal but an ephemeral explanation; a forged submit is refused too', async () => {
    const seeded = await seedCandidate(t);
    const responseId = await click(t, ActionId.Reject, seeded, 'U0MALLORY');
    expect(await waitForAnswer(t, responseId)).toContain('You may not reject deployments of fraud-detector');
    expect(t.slack.callsTo('views.open')).toHaveLength(0);
    const res = await submit('U0MALLORY', JSON.stringify({ candidateId: seeded.id }), 'because');
    expect(await res.json()).toEqual({
      response_action: 'errors',
      errors: { [BlockId.RejectReason]: 'You may not reject deployments of fraud-detector: only its approvers may. Nothing changed.' },
    });
    expect((await getCandidate(t, seeded.id)).state).toBe('pending');
  });

  it('Reject on a candidate that is no longer pending opens no modal', async () => {
    const seeded = await seedCandidate(t);
    await deployClick(t, seeded, 'U0ALICE');
    await waitFor(() => triggerInvokes(t).length === 1, 'the deployment');
    const responseId = await click(t, ActionId.Reject, seeded, 'U0BOB');
    expect(await waitForAnswer(t, responseId)).toContain('is already being deployed');
    expect(t.slack.callsTo('views.open')).toHaveLength(0);
  });

  it('a modal with unreadable metadata asks to start again', async () => {
    const res = await submit('U0ALICE', 'not json', 'why');
    expect(await res.json()).toEqual({
      response_action: 'errors',
      errors: { [BlockId.RejectReason]: 'This form is out of date: close it and click Reject again.' },
    });
  });
});
