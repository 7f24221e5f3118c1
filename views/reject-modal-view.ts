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

/** The modal the Reject button opens: a required, multiline reason. */
export function rejectModalView(input: { candidate: Pick<Candidate, 'model' | 'version' | 'endpoint'>; metadata: RejectModalMetadata }): ModalView {
  const c = input.candidate;
  return {
    type: 'modal',
    callback_id: CallbackId.RejectModal,
    private_metadata: JSON.stringify(input.metadata),
    title: { type: 'plain_text', text: 'Reject candidate' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `Reject *${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}*${c.endpoint !== undefined ? ` for ${escapeMrkdwn(c.endpoint)}` : ''}? It will not be deployed.`,
            2900,
          ),
        },
      },
      {
        type: 'input',
        block_id: BlockId.RejectReason,
        label: { type: 'plain_text', text: 'Why?' },
        element: {
          type: 'plain_text_input',
          action_id: InputActionId.RejectReason,
          multiline: true,
          max_length: 1500,
          placeholder: { type: 'plain_text', text: 'e.g. recall dropped on the holdout set' },
        },
        hint: { type: 'plain_text', text: 'Shown on the message and kept in the audit log.' },
      },
    ],
  };
}
