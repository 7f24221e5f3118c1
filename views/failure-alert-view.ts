import type { PipelineEvent } from '../src/core/pipeline-event';
import { codeBlock, escapeTruncate, userMention, eventLinks, runReference, slackDate, inlineCode } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

/** Characters of the error shown in the alert itself; longer errors go to its thread in full. */
export const FAILURE_EXCERPT_CHARS = 1200;

export interface FailureAlertViewInput {
  /** A training.failed or deployment.failed event. */
  event: PipelineEvent;
  /** Failures grouped in this alert (its root): more than 1 shows the count. */
  count?: number;
  windowMinutes?: number;
  /** Position of this failure in its group (a reply in the alert's thread). */
  occurrence?: number;
  /** From the alert channel, point to the model's channel. */
  modelChannel?: string;
}

/** True when the error does not fit the alert and its full text belongs in the thread. */
export function needsFullErrorText(message: string): boolean {
  return message.length > FAILURE_EXCERPT_CHARS || codeBlock(message, EXCERPT_BLOCK_CHARS).cut;
}

/** The excerpt's code block, fences included, leaves room for the label and the note. */
const EXCERPT_BLOCK_CHARS = 2700;

/**
 * A red failure alert: what failed (model, training or deployment, task), the error (cut
 * cleanly, the full text follows in the thread), the log link and which run.
 */
export function failureAlertView(input: FailureAlertViewInput): SlackMessage {
  const { event } = input;
  const phase = event.type.startsWith('deployment.') ? 'deployment' : 'training';
  const count = input.count ?? 1;
  const grouped = count > 1 ? ` (${count} failures${input.windowMinutes !== undefined ? ` in ${input.windowMinutes} min` : ''})` : '';
  const nth = input.occurrence !== undefined && input.occurrence > 1 ? `Failure ${input.occurrence}: ` : '';
  const title = `${nth}${event.model}${event.version !== undefined ? ` ${event.version}` : ''} ${phase} failed${grouped}`;
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(`🔴 ${title}`, 150), emoji: true } }];

  const fields: { type: 'mrkdwn'; text: string }[] = [];
  const task = event.error?.task;
  if (task !== undefined) fields.push({ type: 'mrkdwn', text: `*Failed task*\n${inlineCode(task, 260)}` });
  const run = runReference(event.run);
  if (run !== undefined) fields.push({ type: 'mrkdwn', text: `*Run*\n${run}` });
  if (event.trainingJob !== undefined) fields.push({ type: 'mrkdwn', text: `*Training job*\n${inlineCode(event.trainingJob, 210)}` });
  if (event.endpoint !== undefined) fields.push({ type: 'mrkdwn', text: `*Endpoint*\n${escapeTruncate(event.endpoint, 80)}` });
  fields.push({ type: 'mrkdwn', text: `*Failed at*\n${slackDate(event.timestamp)}` });
  if (event.requestedBy !== undefined) fields.push({ type: 'mrkdwn', text: `*Started by*\n${userMention(event.requestedBy)}` });
  blocks.push({ type: 'section', fields: fields.slice(0, 10) });

  const message = event.error?.message ?? '(no error message)';
  const long = needsFullErrorText(message);
  const excerpt = codeBlock(long ? message.slice(0, FAILURE_EXCERPT_CHARS) : message, EXCERPT_BLOCK_CHARS);
  const note = long ? `\n_Cut short (${message.length} characters): the full error is in the thread._` : '';
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Error*\n${excerpt.text}${note}` } });

  const context = eventLinks(event, 8);
  if (input.modelChannel !== undefined) context.push({ type: 'mrkdwn', text: `in <#${input.modelChannel}>` });
  if (context.length > 0) blocks.push({ type: 'context', elements: context.slice(0, 10) });

  const firstLine = (message.split('\n')[0] ?? '').slice(0, 300);
  const text = `:red_circle: ${title}${task !== undefined ? ` at ${task}` : ''}: ${firstLine}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}
