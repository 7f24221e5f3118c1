import type { MetricSeries } from './ports';

/**
 * Keys of the endpoint metrics, as the EndpointInspector names its series (`<key>:<variant>`,
 * see src/aws/sagemaker-endpoint-inspector.ts ENDPOINT_METRICS).
 */
export const ENDPOINT_METRIC_KEYS = [
  'invocations',
  'model_latency_avg',
  'model_latency_p99',
  'invocation_4xx_errors',
  'invocation_5xx_errors',
  'cpu_utilization',
  'memory_utilization',
] as const;
export type EndpointMetricKey = (typeof ENDPOINT_METRIC_KEYS)[number];

export interface EndpointMetricSummary {
  key: EndpointMetricKey;
  label: string;
  unit: 'count' | 'ms' | 'percent';
  /** One value per minute across all variants, oldest first. */
  points: { at: Date; value: number }[];
  latest?: number;
  /** Counts only: the sum over the window. */
  total?: number;
  max?: number;
}

type Combine = 'sum' | 'weighted' | 'max' | 'mean';
const META: Record<EndpointMetricKey, { label: string; unit: EndpointMetricSummary['unit']; combine: Combine }> = {
  invocations: { label: 'Invocations', unit: 'count', combine: 'sum' },
  // An average across variants is weighted by each variant's invocations in that minute.
  model_latency_avg: { label: 'Latency avg', unit: 'ms', combine: 'weighted' },
  // Percentiles cannot be merged exactly; the slowest variant's p99 is an upper bound.
  model_latency_p99: { label: 'Latency p99', unit: 'ms', combine: 'max' },
  invocation_4xx_errors: { label: '4XX errors', unit: 'count', combine: 'sum' },
  invocation_5xx_errors: { label: '5XX errors', unit: 'count', combine: 'sum' },
  cpu_utilization: { label: 'CPU', unit: 'percent', combine: 'mean' },
  memory_utilization: { label: 'Memory', unit: 'percent', combine: 'mean' },
};

function isKey(value: string): value is EndpointMetricKey {
  return (ENDPOINT_METRIC_KEYS as readonly string[]).includes(value);
}

/**
 * Folds the per-variant series of one endpoint into one series per metric (always all seven,
 * in ENDPOINT_METRIC_KEYS order; a metric with no data has no points). Counts are summed,
 * latency averages weighted by invocations, p99 is the worst variant's, CPU and memory averaged.
 */
export function summarizeEndpointMetrics(series: readonly MetricSeries[]): EndpointMetricSummary[] {
  const byKey = new Map<EndpointMetricKey, { variant: string; points: MetricSeries['points'] }[]>();
  for (const s of series) {
    const sep = s.id.indexOf(':');
    const key = sep === -1 ? s.id : s.id.slice(0, sep);
    if (!isKey(key)) continue;
    const list = byKey.get(key) ?? [];
    list.push({ variant: sep === -1 ? '' : s.id.slice(sep + 1), points: s.points });
    byKey.set(key, list);
  }
  const invocationsAt = new Map<string, number>();
  for (const v of byKey.get('invocations') ?? []) for (const p of v.points) invocationsAt.set(`${v.variant}@${p.at.getTime()}`, p.value);

  return ENDPOINT_METRIC_KEYS.map((key) => {
    const meta = META[key];
    // plain: unweighted sum, for a weighted metric whose invocations are unknown (weight 0).
    const buckets = new Map<number, { sum: number; plain: number; weight: number; max: number; n: number }>();
    for (const v of byKey.get(key) ?? []) {
      for (const p of v.points) {
        if (!Number.isFinite(p.value)) continue;
        const t = p.at.getTime();
        const b = buckets.get(t) ?? { sum: 0, plain: 0, weight: 0, max: Number.NEGATIVE_INFINITY, n: 0 };
        const w = meta.combine === 'weighted' ? (invocationsAt.get(`${v.variant}@${t}`) ?? 0) : 1;
        b.sum += meta.combine === 'weighted' ? p.value * w : p.value;
        b.weight += w;
        b.max = Math.max(b.max, p.value);
        b.plain += p.value;
        b.n += 1;
        buckets.set(t, b);
      }
    }
    const points = [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([t, b]) => {
        let value: number;
        switch (meta.combine) {
          case 'sum':
            value = b.sum;
            break;
          case 'max':
            value = b.max;
            break;
          case 'mean':
            value = b.sum / b.n;
            break;
          case 'weighted':
            value = b.weight > 0 ? b.sum / b.weight : b.plain / b.n;
            break;
        }
        return { at: new Date(t), value };
      });
    const summary: EndpointMetricSummary = { key, label: meta.label, unit: meta.unit, points };
    const last = points.at(-1);
    if (last !== undefined) {
      summary.latest = last.value;
      summary.max = Math.max(...points.map((p) => p.value));
      if (meta.unit === 'count') summary.total = points.reduce((acc, p) => acc + p.value, 0);
    }
    return summary;
  });
}
