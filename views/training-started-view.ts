import type { PipelineEvent } from '../src/core/pipeline-event';
import { escapeTruncate, userMention, eventLinks, runReference, slackDate, inlineCode } from './format';
import { fitMessage, type KnownBlock, type SlackMessage } from './slack-message';

export interface TrainingStartedViewInput {
  event: PipelineEvent;
  /** Slack user who started the run (from `/mlops train` or the event's requestedBy). */
  startedBy?: string;
}

/** training.started: who started what (model, version, DAG run, training job) and when. */
export function trainingStartedView(input: TrainingStartedViewInput): SlackMessage {
  const { event } = input;
  const who = input.startedBy !== undefined ? ` by ${userMention(input.startedBy)}` : '';
  const what = `*${escapeTruncate(event.model, 100)}*${event.version !== undefined ? ` ${escapeTruncate(event.version, 60)}` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `:arrow_forward: Training of ${what} started${who}` } }];
  const fields: { type: 'mrkdwn'; text: string }[] = [];
  const run = runReference(event.run);
  if (run !== undefined) fields.push({ type: 'mrkdwn', text: `*Run*\n${run}` });
  if (event.trainingJob !== undefined) fields.push({ type: 'mrkdwn', text: `*Training job*\n${inlineCode(event.trainingJob, 210)}` });
  fields.push({ type: 'mrkdwn', text: `*Started*\n${slackDate(event.timestamp)}` });
  blocks.push({ type: 'section', fields });
  const links = eventLinks(event);
  if (links.length > 0) blocks.push({ type: 'context', elements: links });
  const plainWhat = escapeTruncate(`${event.model}${event.version !== undefined ? ` ${event.version}` : ''}`, 200);
  const plainRun = event.run?.runId !== undefined ? ` (run ${escapeTruncate(event.run.runId, 260)})` : '';
  return fitMessage({ text: `Training of ${plainWhat} started${who}${plainRun}`, blocks });
}
