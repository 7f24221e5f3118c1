import type { Candidate } from '../src/core/candidate';
import { BlockId, CallbackId, InputActionId } from '../src/slack/slack-ids';
import { escapeMrkdwn, escapeTruncate } from './format';
import type { ModalView } from './reject-modal-view';
import { truncate } from './slack-message';

/** What the override form carries back on submit (private_metadata, JSON). */
export interface DeployOverrideMetadata {
  candidateId: string;
  channel?: string;
  ts?: string;
  /** The strategy select's value of the Deploy click, sent again with the approval. */
  strategyPick?: string;
}

/**
 * The form a Deploy click opens when the deployment fails the non-regression gate or falls in a
 * freeze window (contract 10): what fails, and a required reason (audit log, card, conf `override_reason`).
 */
export function deployOverrideModalView(input: {
  candidate: Pick<Candidate, 'model' | 'version' | 'endpoint'>;
  checks: readonly string[];
  metadata: DeployOverrideMetadata;
}): ModalView {
  const c = input.candidate;
  const failing = input.checks
    .slice(0, 10)
    .map((check) => `• ${escapeTruncate(check, 250)}`)
    .join('\n');
  return {
    type: 'modal',
    callback_id: CallbackId.DeployOverrideModal,
    private_metadata: JSON.stringify(input.metadata),
    title: { type: 'plain_text', text: 'Deploy anyway?' },
    submit: { type: 'plain_text', text: 'Deploy' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `:warning: *${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}*${c.endpoint !== undefined ? ` → ${escapeMrkdwn(c.endpoint)}` : ''} does not pass:\n${failing}`,
            2900,
          ),
        },
      },
      {
        type: 'input',
        block_id: BlockId.OverrideReason,
        label: { type: 'plain_text', text: 'Why deploy anyway?' },
        element: {
          type: 'plain_text_input',
          action_id: InputActionId.OverrideReason,
          multiline: true,
          max_length: 1500,
          placeholder: { type: 'plain_text', text: 'e.g. hotfix for the fraud spike; recall matters more this week' },
        },
        hint: { type: 'plain_text', text: 'Kept in the audit log, shown on the card and sent to the deployment DAG (override_reason).' },
      },
    ],
  };
}
