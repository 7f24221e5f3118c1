import type { MetricSeries } from '../../src/core/ports';
import { ENDPOINT_METRIC_KEYS, summarizeEndpointMetrics } from '../../src/core/summarize-endpoint-metrics';

const t = (minute: number) => new Date(Date.UTC(2026, 10, 24, 10, minute));
const series = (id: string, values: number[], unit = 'count'): MetricSeries => ({
  id,
  label: id,
  unit,
  points: values.map((value, i) => ({ at: t(i), value })),
});

describe('summarizeEndpointMetrics', () => {
  it('returns all seven metrics in a fixed order, empty ones without points', () => {
    const out = summarizeEndpointMetrics([series('invocations:AllTraffic', [1, 2, 3])]);
    expect(out.map((s) => s.key)).toEqual([...ENDPOINT_METRIC_KEYS]);
    expect(out[0]).toMatchObject({ label: 'Invocations', unit: 'count', latest: 3, total: 6, max: 3 });
    expect(out[1]?.points).toEqual([]);
    expect(out[1]?.latest).toBeUndefined();
  });

  it('sums counts across variants per minute', () => {
    const out = summarizeEndpointMetrics([series('invocations:A', [10, 20]), series('invocations:B', [1, 2]), series('invocation_5xx_errors:A', [0, 1])]);
    const inv = out.find((s) => s.key === 'invocations');
    expect(inv?.points.map((p) => p.value)).toEqual([11, 22]);
    expect(inv?.total).toBe(33);
    expect(out.find((s) => s.key === 'invocation_5xx_errors')?.total).toBe(1);
  });

  it('weights the average latency by invocations, takes the worst p99 and averages CPU', () => {
    const out = summarizeEndpointMetrics([
      series('invocations:A', [90]),
      series('invocations:B', [10]),
      series('model_latency_avg:A', [10], 'ms'),
      series('model_latency_avg:B', [110], 'ms'),
      series('model_latency_p99:A', [40], 'ms'),
      series('model_latency_p99:B', [250], 'ms'),
      series('cpu_utilization:A', [20], 'percent'),
      series('cpu_utilization:B', [60], 'percent'),
    ]);
    const by = new Map(out.map((s) => [s.key, s]));
    expect(by.get('model_latency_avg')?.latest).toBeCloseTo(20); // (10*90 + 110*10) / 100
    expect(by.get('model_latency_p99')?.latest).toBe(250);
    expect(by.get('cpu_utilization')?.latest).toBe(40);
    expect(by.get('model_latency_avg')?.total).toBeUndefined();
  });

  it('falls back to a plain mean when invocations are unknown, and sorts points oldest first', () => {
    const out = summarizeEndpointMetrics([
      {
        id: 'model_latency_avg:A',
        label: '',
        unit: 'ms',
        points: [
          { at: t(5), value: 30 },
          { at: t(1), value: 10 },
        ],
      },
      { id: 'model_latency_avg:B', label: '', unit: 'ms', points: [{ at: t(5), value: 50 }] },
      { id: 'unknown_metric:A', label: '', unit: 'x', points: [{ at: t(1), value: 1 }] },
    ]);
    const avg = out.find((s) => s.key === 'model_latency_avg');
    expect(avg?.points.map((p) => [p.at.getUTCMinutes(), p.value])).toEqual([
      [1, 10],
      [5, 40],
    ]);
  });
});
