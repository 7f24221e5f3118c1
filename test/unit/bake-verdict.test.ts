import { bakeVerdict, figuresOf, percent } from '../../src/core/bake-verdict';
import type { MetricSeries } from '../../src/core/ports';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);
const series = (id: string, values: (minute: number) => number, minutes = 20): MetricSeries => ({
  id,
  label: id,
  unit: 'x',
  points: Array.from({ length: minutes }, (_, m) => ({ at: at(m), value: values(m) })),
});
const T = { maxLatencyIncrease: 0.2, max5xxRate: 0.01 };

describe('bake verdict', () => {
  it('figuresOf sums counts over variants and weights latency by invocations, only inside [from, to)', () => {
    const s = [
      series('invocations:AllTraffic', () => 100),
      series('invocations:canary', () => 300),
      series('invocation_5xx_errors:AllTraffic', (m) => (m >= 10 ? 1 : 0)),
      series('model_latency_p99:AllTraffic', () => 40),
      series('model_latency_p99:canary', (m) => (m >= 10 ? 80 : 40)),
      series('model_latency_avg:AllTraffic', () => 10),
      series('model_latency_p50:AllTraffic', () => 8),
      series('model_latency_p50:canary', (m) => (m >= 10 ? 16 : 8)),
    ];
    expect(figuresOf(s, at(0), at(10))).toEqual({ invocations: 4000, errors5xx: 0, avgMs: 10, p50Ms: 8, p99Ms: 40 });
    expect(figuresOf(s, at(10), at(20))).toEqual({ invocations: 4000, errors5xx: 10, avgMs: 10, p50Ms: 14, p99Ms: 70 });
    expect(figuresOf([], at(0), at(10))).toEqual({ invocations: 0, errors5xx: 0 });
  });

  it('healthy within the thresholds, degraded past either, inconclusive without traffic (never healthy)', () => {
    const before = { invocations: 1000, errors5xx: 0, p99Ms: 50 };
    expect(bakeVerdict(before, { invocations: 1000, errors5xx: 10, p99Ms: 60 }, T)).toEqual({ kind: 'healthy' });
    expect(bakeVerdict(before, { invocations: 1000, errors5xx: 11, p99Ms: 60 }, T)).toEqual({ kind: 'degraded', reasons: ['5XX rate 1.1 % is above 1 %'] });
    expect(bakeVerdict(before, { invocations: 1000, errors5xx: 0, p99Ms: 61 }, T)).toEqual({
      kind: 'degraded',
      reasons: ['p99 latency rose 22 % (more than 20 %)'],
    });
    expect(bakeVerdict(before, { invocations: 0, errors5xx: 0 }, T).kind).toBe('inconclusive');
    // No latency before (a new endpoint): judged on errors only.
    expect(bakeVerdict({ invocations: 0, errors5xx: 0 }, { invocations: 10, errors5xx: 0, p99Ms: 500 }, T)).toEqual({ kind: 'healthy' });
    expect(percent(0.005)).toBe('0.50 %');
  });
});
