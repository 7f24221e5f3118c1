import type { Candidate } from '../src/core/candidate';
import { BlockId, CallbackId, InputActionId } from '../src/slack/slack-ids';
import { truncate, type KnownBlock } from './slack-message';
import { escapeMrkdwn } from './format';

/** What the reject modal carries back on submit (private_metadata, JSON). */
export interface RejectModalMetadata {
  candidateId: string;
  channel?: string;
  ts?: string;
}

export interface ModalView {
  type: 'modal';
  callback_id: string;
  private_metadata: string;
  title: { type: 'plain_text'; text: string };
  submit: { type: 'plain_text'; text: string };
  close: { type: 'plain_text'; text: string };
  blocks: KnownBlock[];
}

/** A modal that asks one required, multiline reason (Reject, Deploy anyway): one shape for both. */
export function reasonModalView(input: {
  callbackId: string;
  metadata: object;
  title: string;
  submit: string;
  /** mrkdwn above the field, already escaped. */
  intro: string;
  blockId: string;
  actionId: string;
  label: string;
  placeholder: string;
  hint: string;
}): ModalView {
  return {
    type: 'modal',
    callback_id: input.callbackId,
    private_metadata: JSON.stringify(input.metadata),
    title: { type: 'plain_text', text: input.title },
    submit: { type: 'plain_text', text: input.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(input.intro, 2900) } },
      {
        type: 'input',
        block_id: input.blockId,
        label: { type: 'plain_text', text: input.label },
        element: {
          type: 'plain_text_input',
          action_id: input.actionId,
          multiline: true,
          max_length: 1500,
          placeholder: { type: 'plain_text', text: input.placeholder },
        },
        hint: { type: 'plain_text', text: input.hint },
      },
    ],
  };
}

/** The modal the Reject button opens: a required, multiline reason. */
export function rejectModalView(input: { candidate: Pick<Candidate, 'model' | 'version' | 'endpoint'>; metadata: RejectModalMetadata }): ModalView {
  const c = input.candidate;
  return reasonModalView({
    callbackId: CallbackId.RejectModal,
    metadata: input.metadata,
    title: 'Reject candidate',
    submit: 'Reject',
    intro: `Reject *${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}*${c.endpoint !== undefined ? ` for ${escapeMrkdwn(c.endpoint)}` : ''}? It will not be deployed.`,
    blockId: BlockId.RejectReason,
    actionId: InputActionId.RejectReason,
    label: 'Why?',
    placeholder: 'e.g. recall dropped on the holdout set',
    hint: 'Shown on the message and kept in the audit log.',
  });
}
