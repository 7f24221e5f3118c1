import { compareVariants, comparisonWindow, shadowVerdict, variantFiguresOf } from '../../src/core/shadow-comparison';
import type { MetricSeries } from '../../src/core/ports';
import { shadowComparisonUnavailableView, shadowComparisonView } from '../../views/shadow-comparison-view';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);
const series = (id: string, values: (minute: number) => number, minutes = 10): MetricSeries => ({
  id,
  label: id,
  unit: 'x',
  points: Array.from({ length: minutes }, (_, m) => ({ at: at(m), value: values(m) })),
});
const T = { maxLatencyIncrease: 0.2, max5xxRate: 0.01 };
const SERIES = [
  series('invocations:prod', () => 100),
  series('invocations:shadow-a', () => 50),
  series('model_latency_p50:prod', () => 20),
  series('model_latency_p50:shadow-a', () => 25),
  series('model_latency_p99:prod', () => 50),
  series('model_latency_p99:shadow-a', (m) => (m >= 5 ? 70 : 50)),
  series('invocation_4xx_errors:prod', (m) => (m === 0 ? 3 : 0)),
  series('invocation_4xx_errors:shadow-a', () => 0),
  series('invocation_5xx_errors:prod', () => 0),
  series('invocation_5xx_errors:shadow-a', (m) => (m === 9 ? 2 : 0)),
];

describe('shadow comparison', () => {
  it('figures per variant, only that variant and only inside [from, to)', () => {
    expect(variantFiguresOf(SERIES, 'prod', at(0), at(10))).toEqual({ variant: 'prod', invocations: 1000, errors4xx: 3, errors5xx: 0, p50Ms: 20, p99Ms: 50 });
    expect(variantFiguresOf(SERIES, 'shadow-a', at(5), at(10))).toEqual({
      variant: 'shadow-a',
      invocations: 250,
      errors4xx: 0,
      errors5xx: 2,
      p50Ms: 25,
      p99Ms: 70,
    });
    // A variant whose name another one ends with is not mixed in.
    expect(variantFiguresOf(SERIES, 'a', at(0), at(10))).toEqual({ variant: 'a', invocations: 0, errors4xx: 0, errors5xx: 0 });
  });

  it('the shadow is on par within the thresholds, worse past either, inconclusive without requests', () => {
    const first = compareVariants(SERIES, { production: 'prod', shadow: 'shadow-a' }, at(0), at(5));
    expect(shadowVerdict(first, T)).toEqual({ kind: 'on-par' });
    const later = compareVariants(SERIES, { production: 'prod', shadow: 'shadow-a' }, at(5), at(10));
    expect(shadowVerdict(later, T)).toEqual({
      kind: 'worse',
      reasons: ['shadow p99 is 40 % above production (more than 20 %)'], // 5XX 0.80 %: within 1 %
    });
    expect(shadowVerdict(later, { ...T, max5xxRate: 0.005 })).toEqual({
      kind: 'worse',
      reasons: ['shadow 5XX rate 0.80 % is above 0.50 %', 'shadow p99 is 40 % above production (more than 20 %)'],
    });
    expect(shadowVerdict(compareVariants([], { production: 'prod', shadow: 'shadow-a' }, at(0), at(5)), T).kind).toBe('inconclusive');
  });

  it('the window: whole minutes from the start (at most maxHours back) to the end', () => {
    expect(comparisonWindow('2026-11-24T10:00:30Z', new Date('2026-11-24T10:07:10Z'))).toEqual({ from: at(0), to: at(8) });
    expect(comparisonWindow('2026-11-24T10:00:30Z', new Date('2026-11-24T10:00:40Z'))).toEqual({ from: at(0), to: at(1) });
    expect(comparisonWindow('2026-11-20T10:00:00Z', at(0), 24)).toEqual({ from: new Date(T0 - 24 * 3_600_000), to: at(0) });
  });

  it('the view shows both variants side by side, the verdict line, and escapes what AWS and config gave', () => {
    const c = compareVariants(SERIES, { production: 'prod', shadow: 'shadow-a' }, at(5), at(10));
    const base = { model: 'fraud<b>', version: '1.4.0', endpoint: 'ep', comparison: c, verdict: shadowVerdict(c, T), thresholds: T };
    const asked = JSON.stringify(shadowComparisonView({ ...base, requestedBy: 'U0BOB' }));
    expect(asked).toContain('Shadow comparison: fraud&lt;b&gt; 1.4.0');
    expect(asked).toMatch(/latency p99 +50\.0 ms +70\.0 ms/);
    expect(asked).toContain('asked by <@U0BOB>');
    expect(asked).not.toContain('Promote shadow or Stop shadow');
    const final = JSON.stringify(shadowComparisonView(base));
    expect(final).toContain('Shadow window ended');
    expect(final).toContain('p99 70.0 ms (shadow) vs 50.0 ms (production)');
    expect(final).toContain('Promote shadow or Stop shadow on the deployment');
    const down = JSON.stringify(shadowComparisonUnavailableView({ model: 'm', version: '1', endpoint: 'ep', problem: 'CloudWatch <down>', final: true }));
    expect(down).toContain('CloudWatch &lt;down&gt;');
    expect(down).toContain('No comparison yet');
  });
});
