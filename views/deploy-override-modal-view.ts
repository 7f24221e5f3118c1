import type { Candidate } from '../src/core/candidate';
import { BlockId, CallbackId, InputActionId } from '../src/slack/slack-ids';
import { escapeMrkdwn, escapeTruncate } from './format';
import { reasonModalView, type ModalView } from './reject-modal-view';

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
  return reasonModalView({
    callbackId: CallbackId.DeployOverrideModal,
    metadata: input.metadata,
    title: 'Deploy anyway?',
    submit: 'Deploy',
    intro: `:warning: *${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}*${c.endpoint !== undefined ? ` → ${escapeMrkdwn(c.endpoint)}` : ''} does not pass:\n${failing}`,
    blockId: BlockId.OverrideReason,
    actionId: InputActionId.OverrideReason,
    label: 'Why deploy anyway?',
    placeholder: 'e.g. hotfix for the fraud spike; recall matters more this week',
    hint: 'Kept in the audit log, shown on the card and sent to the deployment DAG (override_reason).',
  });
}
