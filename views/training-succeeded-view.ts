import { formatMetric, metricLabel } from '../src/core/metric-comparison';
import type { PipelineEvent } from '../src/core/pipeline-event';
import { codeBlock, escapeTruncate, eventLinks, formatDuration, monospaceTable, runReference, slackDate, inlineCode } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

/** What DescribeTrainingJob adds, when the bot could ask (times as ISO strings). */
export interface TrainingJobDetails {
  status?: string;
  startedAt?: string;
  endedAt?: string;
  billableSeconds?: number;
  instanceType?: string;
  instanceCount?: number;
}

export interface TrainingSucceededViewInput {
  event: PipelineEvent;
  job?: TrainingJobDetails;
  /** When the run started (its training.started), the duration's fallback without job details. */
  runStartedAt?: string;
}

const MAX_METRICS = 20;

/** training.succeeded: duration, training job (instance, billable time), final metrics, links. */
export function trainingSucceededView(input: TrainingSucceededViewInput): SlackMessage {
  const { event, job } = input;
  const what = `*${escapeTruncate(event.model, 100)}*${event.version !== undefined ? ` ${escapeTruncate(event.version, 60)}` : ''}`;
  const duration = durationSeconds(job?.startedAt, job?.endedAt) ?? durationSeconds(input.runStartedAt, event.timestamp);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:white_check_mark: Training of ${what} succeeded${duration !== undefined ? ` in ${formatDuration(duration)}` : ''}` },
    },
  ];
  const fields: { type: 'mrkdwn'; text: string }[] = [];
  if (event.trainingJob !== undefined) fields.push({ type: 'mrkdwn', text: `*Training job*\n${inlineCode(event.trainingJob, 210)}` });
  if (duration !== undefined) fields.push({ type: 'mrkdwn', text: `*Duration*\n${formatDuration(duration)}` });
  if (job?.instanceType !== undefined) {
    fields.push({
      type: 'mrkdwn',
      text: `*Instances*\n${escapeTruncate(job.instanceType, 60)}${job.instanceCount !== undefined ? ` × ${job.instanceCount}` : ''}`,
    });
  }
  if (job?.billableSeconds !== undefined) fields.push({ type: 'mrkdwn', text: `*Billable time*\n${formatDuration(job.billableSeconds)}` });
  const run = runReference(event.run);
  if (run !== undefined) fields.push({ type: 'mrkdwn', text: `*Run*\n${run}` });
  fields.push({ type: 'mrkdwn', text: `*Finished*\n${slackDate(event.timestamp)}` });
  blocks.push({ type: 'section', fields: fields.slice(0, 10) });
  const metrics = Object.entries(event.metrics ?? {});
  if (metrics.length > 0) {
    const rows = metrics.slice(0, MAX_METRICS).map(([name, value]) => [truncate(metricLabel(name), 40), formatMetric(value)]);
    const more = metrics.length > MAX_METRICS ? `\n… and ${metrics.length - MAX_METRICS} more` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Final metrics*\n${codeBlock(monospaceTable(rows), 2800).text}${more}` } });
  }
  const links = eventLinks(event);
  if (links.length > 0) blocks.push({ type: 'context', elements: links });
  const text = `Training of ${event.model}${event.version !== undefined ? ` ${event.version}` : ''} succeeded${duration !== undefined ? ` in ${formatDuration(duration)}` : ''}${event.trainingJob !== undefined ? ` (training job ${event.trainingJob})` : ''}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}

function durationSeconds(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}
