import type { EndpointMetricSummary } from '../src/core/summarize-endpoint-metrics';
import type { EndpointDescription } from '../src/core/ports';
import { endpointStatusEmoji, escapeTruncate, inlineCode, formatMetricValue, relativeTime, slackDate, sparkline, utcText, escapeMrkdwn } from './format';
import { SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export interface EndpointStatusViewInput {
  endpoint: EndpointDescription;
  /** The configured model this endpoint serves. */
  model?: string;
  /** The version the bot recorded as deployed (deployment.succeeded), when known. */
  deployed?: { version: string; deployedAt?: string };
  /** Summaries from summarizeEndpointMetrics, or why there are none. */
  metrics: { series: readonly EndpointMetricSummary[] } | { unavailable: string };
  windowMinutes: number;
  /** The CloudWatch period of the points (60 s when not given). */
  periodSeconds?: number;
  now: Date;
}

/** `60 min` / `3 h` / `7 d`, and the heading's `60 minutes` / `3 hours` / `7 days`. */
function windowWords(minutes: number): { short: string; long: string } {
  if (minutes < 120 || minutes % 60 !== 0) return { short: `${minutes} min`, long: `${minutes} minutes` };
  if (minutes < 2880 || minutes % 1440 !== 0) return { short: `${minutes / 60} h`, long: `${minutes / 60} hours` };
  return { short: `${minutes / 1440} d`, long: `${minutes / 1440} days` };
}

/** `1-minute` / `5-minute` / `1-hour`. */
function periodWords(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}-hour` : `${Math.round(seconds / 60)}-minute`;
}

const SPARK_WIDTH = 30;
const MAX_VARIANT_FIELDS = SlackLimits.fieldsPerSection;

/** `/mlops status <endpoint>`: state, variants, deployed version and the window's metrics as sparklines. */
export function endpointStatusView(input: EndpointStatusViewInput): SlackMessage {
  const { endpoint: ep, now } = input;
  const span = windowWords(input.windowMinutes);
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(ep.name, 150) } }];

  const facts = [`${endpointStatusEmoji(ep.status)} *${escapeMrkdwn(ep.status)}*`];
  if (input.model !== undefined) facts.push(`model *${escapeMrkdwn(input.model)}*`);
  facts.push(input.deployed !== undefined ? `deployed version *${escapeMrkdwn(input.deployed.version)}*` : 'deployed version not known to the bot');
  if (ep.lastModified !== undefined) facts.push(`last modified ${slackDate(ep.lastModified.toISOString())} (${relativeTime(ep.lastModified, now)})`);
  let head = facts.join(' · ');
  if (ep.failureReason !== undefined) head += `\n:warning: *Failure reason:* ${escapeTruncate(ep.failureReason, 1500)}`;
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(head, SlackLimits.sectionText) } });

  if (ep.variants.length > 0) {
    const shown = ep.variants.length > MAX_VARIANT_FIELDS ? ep.variants.slice(0, MAX_VARIANT_FIELDS - 1) : ep.variants;
    const fields = shown.map((v) => {
      const lines = [`*${escapeTruncate(v.variantName, 100)}*`];
      if (v.modelName !== undefined) lines.push(`model ${inlineCode(v.modelName, 100)}`);
      const size = [v.instanceCount !== undefined ? `${v.instanceCount} ×` : undefined, v.instanceType !== undefined ? escapeMrkdwn(v.instanceType) : undefined]
        .filter((x) => x !== undefined)
        .join(' ');
      const weight = v.weight !== undefined ? `weight ${formatWeight(v.weight)}` : undefined;
      const line = [size, weight].filter((x) => x !== undefined && x !== '').join(' · ');
      if (line !== '') lines.push(line);
      return { type: 'mrkdwn' as const, text: truncate(lines.join('\n'), SlackLimits.fieldText) };
    });
    if (shown.length < ep.variants.length) fields.push({ type: 'mrkdwn', text: `…and ${ep.variants.length - shown.length} more variants` });
    blocks.push({ type: 'section', fields });
  } else {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No production variants reported.' } });
  }

  let fallbackMetrics: string;
  if ('unavailable' in input.metrics) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`:warning: Metrics unavailable: ${escapeTruncate(input.metrics.unavailable, 2000)}`, SlackLimits.sectionText) },
    });
    fallbackMetrics = ' (metrics unavailable)';
  } else {
    const series = input.metrics.series;
    const labelWidth = Math.max(...series.map((s) => s.label.length), 0);
    const rows = series.map((s) => {
      const spark = sparkline(
        s.points.map((p) => p.value),
        SPARK_WIDTH,
      );
      const latest = formatMetricValue(s.latest, s.unit);
      const total = s.unit === 'count' && s.total !== undefined ? `  (${formatMetricValue(s.total, 'count')} in ${span.short})` : '';
      return `${s.label.padEnd(labelWidth)}  ${spark === '' ? 'no data'.padEnd(SPARK_WIDTH) : spark.padEnd(SPARK_WIDTH, ' ')}  ${latest}${total}`;
    });
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`*Last ${span.long}* (latest value on the right)\n\`\`\`\n${rows.join('\n')}\n\`\`\``, SlackLimits.sectionText),
      },
    });
    const inv = series.find((s) => s.key === 'invocations');
    const p99 = series.find((s) => s.key === 'model_latency_p99');
    const e5 = series.find((s) => s.key === 'invocation_5xx_errors');
    fallbackMetrics = `: ${formatMetricValue(inv?.total, 'count')} invocations in ${span.short}, p99 ${formatMetricValue(p99?.latest, 'ms')}, 5XX ${formatMetricValue(e5?.total, 'count')}`;
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `CloudWatch, ${periodWords(input.periodSeconds ?? 60)} points up to ${slackDate(input.now.toISOString(), '{time}')}. Latency is ModelLatency (p99 of the slowest variant); CPU is summed over cores.`,
      },
    ],
  });

  const version = input.deployed !== undefined ? `, version ${input.deployed.version}` : '';
  const text = `${ep.name} is ${ep.status}${version}${fallbackMetrics}${ep.failureReason !== undefined ? `. Failure reason: ${truncate(ep.failureReason, 300)}` : ''} (as of ${utcText(input.now)})`;
  return { text: escapeTruncate(text, 3000), blocks };
}

function formatWeight(weight: number): string {
  return Number.isInteger(weight) ? String(weight) : weight.toFixed(2);
}
