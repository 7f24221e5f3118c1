import type { AlarmAlert } from '../src/core/alarm-alert';
import { formatMetric } from '../src/core/metric-comparison';
import { escapeTruncate, slackDate } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export interface AlarmAlertViewInput {
  alarm: AlarmAlert;
  /** Alarms grouped in this alert (its root): more than 1 shows the count. */
  count?: number;
  windowMinutes?: number;
  /** From the alert channel, point to the model's channel. */
  modelChannel?: string;
}

const COMPARISON: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
};

/** A CloudWatch alarm: red when it fires (name, state change, reason, metric, endpoint), green when it clears. */
export function alarmAlertView(input: AlarmAlertViewInput): SlackMessage {
  const { alarm } = input;
  const name = alarm.alarmName;
  const count = input.count ?? 1;
  const metric = metricText(alarm);
  if (alarm.state !== 'ALARM') {
    const icon = alarm.state === 'OK' ? ':large_green_circle:' : ':white_circle:';
    const what = alarm.state === 'OK' ? 'is OK again' : 'has insufficient data';
    const blocks: KnownBlock[] = [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${icon} Alarm *${escapeTruncate(name, 260)}* ${what}${alarm.model !== undefined ? ` (${escapeTruncate(alarm.model, 100)})` : ''}`,
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${slackDate(alarm.changedAt)} · ${escapeTruncate(alarm.reason, 2000)}` }] },
    ];
    return { text: escapeTruncate(`Alarm ${name} ${what}`, 3000), blocks };
  }
  const grouped = count > 1 ? ` (${count} times${input.windowMinutes !== undefined ? ` in ${input.windowMinutes} min` : ''})` : '';
  const title = `Alarm ${name}${grouped}`;
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(`🔴 ${title}`, 150), emoji: true } }];
  const fields: { type: 'mrkdwn'; text: string }[] = [
    { type: 'mrkdwn', text: `*State*\n${escapeTruncate(alarm.oldState ?? '?', 30)} → ALARM` },
    { type: 'mrkdwn', text: `*Since*\n${slackDate(alarm.changedAt)}` },
  ];
  if (metric !== undefined) fields.push({ type: 'mrkdwn', text: `*Metric*\n${metric}` });
  if (alarm.endpoint !== undefined) fields.push({ type: 'mrkdwn', text: `*Endpoint*\n${escapeTruncate(alarm.endpoint, 80)}` });
  if (alarm.model !== undefined) fields.push({ type: 'mrkdwn', text: `*Model*\n${escapeTruncate(alarm.model, 100)}` });
  const otherDimensions = Object.entries(alarm.dimensions).filter(([k]) => k !== 'EndpointName');
  if (otherDimensions.length > 0) {
    fields.push({ type: 'mrkdwn', text: `*Dimensions*\n${escapeTruncate(otherDimensions.map(([k, v]) => `${k}=${v}`).join(', '), 1000)}` });
  }
  blocks.push({ type: 'section', fields: fields.slice(0, 10) });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${escapeTruncate(alarm.reason, 2500)}` } });
  const context: string[] = [];
  // Slack refuses an empty text object: blank descriptions are left out.
  if (alarm.description !== undefined && alarm.description.trim() !== '') context.push(escapeTruncate(alarm.description, 1100));
  if (alarm.region !== undefined && alarm.region.trim() !== '') context.push(escapeTruncate(alarm.region, 60));
  if (input.modelChannel !== undefined) context.push(`in <#${input.modelChannel}>`);
  if (context.length > 0) blocks.push({ type: 'context', elements: context.map((text) => ({ type: 'mrkdwn' as const, text })) });
  const text = `:red_circle: ${title}${alarm.model !== undefined ? ` (${alarm.model})` : ''}: ${alarm.reason.slice(0, 300)}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}

function metricText(alarm: AlarmAlert): string | undefined {
  const m = alarm.metric;
  if (m?.name === undefined && m?.namespace === undefined) return undefined;
  const name = [m.namespace, m.name].filter((p): p is string => p !== undefined).join(' ');
  const rule =
    m.threshold !== undefined
      ? ` ${m.statistic !== undefined ? `${m.statistic} ` : ''}${COMPARISON[m.comparison ?? ''] ?? m.comparison ?? ''} ${formatMetric(m.threshold)}`
      : '';
  return escapeTruncate(`${name}${rule}`, 500);
}
