import { endpointStatusEmoji, formatMetricValue, escapeTruncate } from './format';

/** One endpoint in a list (`/mlops status` without argument, the Home tab). */
export interface EndpointSummaryRow {
  endpoint: string;
  /** The configured model served by it. */
  model: string;
  /** Set when DescribeEndpoint answered. */
  status?: string;
  deployedVersion?: string;
  /** Sum over the window. */
  invocations?: number;
  /** Latest minute's p99 ModelLatency, ms. */
  p99Ms?: number;
  errors4xx?: number;
  errors5xx?: number;
  /** Why there are no metrics (DescribeEndpoint answered, GetMetricData did not). */
  metricsProblem?: string;
  /** Why there is nothing at all (DescribeEndpoint failed). */
  problem?: string;
}

/** "🟢 *fraud-detector-prod* (fraud-detector) · InService · 1.4.0 · 6,543 calls/h · p99 49.5 ms · 4XX 6 · 5XX 0" */
export function endpointSummaryLine(row: EndpointSummaryRow, windowMinutes: number): string {
  const name = `*${escapeTruncate(row.endpoint, 100)}* (${escapeTruncate(row.model, 100)})`;
  if (row.status === undefined) {
    return `:grey_question: ${name} · unavailable: ${escapeTruncate(row.problem ?? 'no answer', 300)}`;
  }
  const parts = [
    `${endpointStatusEmoji(row.status)} ${name}`,
    escapeTruncate(row.status, 40),
    row.deployedVersion !== undefined ? `version ${escapeTruncate(row.deployedVersion, 100)}` : 'version unknown',
  ];
  if (row.metricsProblem !== undefined) {
    parts.push(`metrics unavailable: ${escapeTruncate(row.metricsProblem, 200)}`);
  } else {
    const per = windowMinutes === 60 ? 'h' : `${windowMinutes} min`;
    parts.push(`${formatMetricValue(row.invocations, 'count')} calls/${per}`);
    parts.push(`p99 ${formatMetricValue(row.p99Ms, 'ms')}`);
    parts.push(`errors ${formatMetricValue(row.errors4xx, 'count')} 4XX / ${formatMetricValue(row.errors5xx, 'count')} 5XX`);
  }
  return parts.join(' · ');
}
