import { escapeMrkdwn, escapeTruncate, inlineCode, slackDate } from './format';
import { fitMessage, type KnownBlock, type SlackMessage } from './slack-message';

export interface ScheduledRetrainingViewInput {
  model: string;
  dagId: string;
  runId: string;
  /** The due slot (ISO) that started the run. */
  slot: string;
}

/**
 * The short "scheduled retraining" message a retrainSchedule run threads under (contract 9):
 * which slot, which DAG and run; the run's pipeline events follow in its thread.
 */
export function scheduledRetrainingView(input: ScheduledRetrainingViewInput): SlackMessage {
  const text = `Scheduled retraining of ${escapeTruncate(input.model, 100)} (run ${escapeTruncate(input.runId, 260)})`;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:calendar: *Scheduled retraining* of *${escapeMrkdwn(input.model)}* (run ${inlineCode(input.runId, 260)})` },
    },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `due ${slackDate(input.slot)} · DAG ${inlineCode(input.dagId, 260)} · pipeline updates follow in this thread` }],
    },
  ];
  return fitMessage({ text, blocks });
}
