import { formatMetric, metricLabel } from '../src/core/metric-comparison';
import type { PipelineEvent } from '../src/core/pipeline-event';
import { escapeTruncate, eventLinks, runReference, slackDate, inlineCode } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

/** What DescribeEndpoint adds to a deployment.succeeded message, when the bot could ask. */
export interface EndpointDetails {
  status?: string;
  variants: { name: string; modelName?: string; instanceType?: string; instanceCount?: number; weight?: number }[];
}

export interface DeploymentEventViewInput {
  /** deployment.started or deployment.succeeded (failures use failureAlertView). */
  event: PipelineEvent;
  /** The endpoint: the event's, else the model's configured one. */
  endpoint?: string;
  details?: EndpointDetails;
}

const MAX_VARIANTS = 8;
const MAX_METRICS = 8;

/** deployment.started ("deploying 1.4.0 to …") and deployment.succeeded (live, with endpoint details). */
export function deploymentEventView(input: DeploymentEventViewInput): SlackMessage {
  const { event } = input;
  const live = event.type === 'deployment.succeeded';
  const version = event.version ?? '(unknown version)';
  const endpoint = input.endpoint ?? event.endpoint;
  const target = endpoint !== undefined ? ` on ${inlineCode(endpoint, 80)}` : '';
  const headline = live
    ? `:white_check_mark: *${escapeTruncate(event.model, 100)}* ${escapeTruncate(version, 60)} is live${target}`
    : `:rocket: Deploying *${escapeTruncate(event.model, 100)}* ${escapeTruncate(version, 60)}${endpoint !== undefined ? ` to ${inlineCode(endpoint, 80)}` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: headline } }];
  const fields: { type: 'mrkdwn'; text: string }[] = [];
  if (endpoint !== undefined)
    fields.push({
      type: 'mrkdwn',
      text: `*Endpoint*\n${escapeTruncate(endpoint, 80)}${input.details?.status !== undefined ? ` (${escapeTruncate(input.details.status, 40)})` : ''}`,
    });
  const variants = input.details?.variants ?? [];
  if (variants.length > 0) {
    const lines = variants.slice(0, MAX_VARIANTS).map((v) => {
      const instances =
        v.instanceType !== undefined ? ` ${escapeTruncate(v.instanceType, 40)}${v.instanceCount !== undefined ? ` × ${v.instanceCount}` : ''}` : '';
      const weight = v.weight !== undefined && variants.length > 1 ? `, weight ${formatMetric(v.weight)}` : '';
      return `${escapeTruncate(v.name, 63)}:${instances}${weight}`;
    });
    if (variants.length > MAX_VARIANTS) lines.push(`… and ${variants.length - MAX_VARIANTS} more`);
    fields.push({ type: 'mrkdwn', text: `*Variants*\n${truncate(lines.join('\n'), 1900)}` });
  }
  const run = runReference(event.run);
  if (run !== undefined) fields.push({ type: 'mrkdwn', text: `*Run*\n${run}` });
  fields.push({ type: 'mrkdwn', text: `*${live ? 'Live since' : 'Started'}*\n${slackDate(event.timestamp)}` });
  blocks.push({ type: 'section', fields });
  const metrics = Object.entries(event.metrics ?? {});
  if (live && metrics.length > 0) {
    const shown = metrics.slice(0, MAX_METRICS).map(([name, value]) => `${escapeTruncate(metricLabel(name), 40)} ${formatMetric(value)}`);
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(`Metrics: ${shown.join(' · ')}${metrics.length > MAX_METRICS ? ' …' : ''}`, 2900) }],
    });
  }
  const links = eventLinks(event);
  if (links.length > 0) blocks.push({ type: 'context', elements: links });
  const text = live
    ? `${event.model} ${version} is live${endpoint !== undefined ? ` on ${endpoint}` : ''}`
    : `Deploying ${event.model} ${version}${endpoint !== undefined ? ` to ${endpoint}` : ''}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}
