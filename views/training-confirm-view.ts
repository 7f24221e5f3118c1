import { escapeTruncate, userMention, inlineCode, relativeTime, escapeMrkdwn } from './format';
import { ActionId } from '../src/slack/slack-ids';
import { type KnownBlock, type SlackMessage } from './slack-message';

export interface TrainingConfirmViewInput {
  model: string;
  retrain: boolean;
  /** The pending request's id: the buttons' value. */
  pendingId: string;
  previous: { runId: string; requestedBy: string; at: string };
  windowMinutes: number;
  now: Date;
}

/**
 * Ephemeral question when a model already has a requested run with no outcome: start another
 * (Confirm) or not (Cancel). Both buttons carry the pending request's id.
 */
export function trainingConfirmView(input: TrainingConfirmViewInput): SlackMessage {
  const verb = input.retrain ? 'retraining' : 'training';
  const prev = input.previous;
  const since = relativeTime(new Date(prev.at), input.now);
  const who = userMention(prev.requestedBy);
  const text = `${escapeTruncate(input.model, 100)} already has a training run requested ${since} by ${who} (run ${escapeTruncate(prev.runId, 260)}) with no outcome yet. Start another ${verb} anyway?`;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:hourglass_flowing_sand: *${escapeMrkdwn(input.model)}* already has a training run requested ${since} by ${who} (run ${inlineCode(prev.runId, 260)}) with no outcome yet.\nStart another ${verb} anyway?`,
      },
    },
    {
      type: 'actions',
      block_id: 'mlops_train_confirm',
      elements: [
        { type: 'button', style: 'primary', text: { type: 'plain_text', text: `Start ${verb}` }, action_id: ActionId.ConfirmTrain, value: input.pendingId },
        { type: 'button', text: { type: 'plain_text', text: 'Cancel' }, action_id: ActionId.CancelTrain, value: input.pendingId },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Asked because a request of the last ${input.windowMinutes} minutes has no outcome (\`training.duplicateWindowMinutes\`). This question expires in 15 minutes.`,
        },
      ],
    },
  ];
  return { text, blocks };
}
