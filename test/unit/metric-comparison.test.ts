import { compareMetrics, formatDelta, formatMetric, metricLabel, primaryVerdict } from '../../src/core/metric-comparison';

const directions = { f1: 'maximize', precision: 'maximize', recall: 'maximize', mse: 'minimize' } as const;

describe('compareMetrics', () => {
  it('judges each metric by its direction: F1 up is better, MSE up is worse', () => {
    const rows = compareMetrics({ f1: 0.91, mse: 0.05, recall: 0.89 }, { f1: 0.88, mse: 0.041, recall: 0.89 }, directions);
    expect(rows.map((r) => [r.name, r.assessment])).toEqual([
      ['f1', 'better'],
      ['recall', 'same'],
      ['mse', 'worse'],
    ]);
    expect(rows[0]?.delta).toBeCloseTo(0.03, 10);
    expect(rows[2]?.delta).toBeCloseTo(0.009, 10);
  });
  it('keeps config order, then unconfigured metrics alphabetically, unknown without baseline or direction', () => {
    const rows = compareMetrics({ zeta: 1, mse: 0.03, alpha: 2, f1: 0.9 }, { zeta: 0.5 }, directions);
    expect(rows.map((r) => r.name)).toEqual(['f1', 'mse', 'alpha', 'zeta']);
    expect(rows.every((r) => r.assessment === 'unknown')).toBe(true);
    expect(rows[3]?.delta).toBe(0.5);
    expect(compareMetrics({ mse: 0.02 }, { mse: 0.04 }, directions)[0]?.assessment).toBe('better');
  });
});

describe('primaryVerdict', () => {
  it('says better/worse/same against the production version on the primary metric', () => {
    const better = compareMetrics({ f1: 0.91 }, { f1: 0.88 }, directions);
    expect(primaryVerdict(better, 'f1', '1.3.0')).toEqual({ kind: 'better', text: 'better than 1.3.0 in production: F1 0.91 vs 0.88' });
    const worse = compareMetrics({ mse: 0.05 }, { mse: 0.041 }, directions);
    expect(primaryVerdict(worse, 'mse', '1.3.0').text).toBe('worse than 1.3.0 in production: MSE 0.05 vs 0.041');
    expect(primaryVerdict(better, 'f1', undefined).kind).toBe('no-baseline');
    expect(primaryVerdict(better, 'auc', '1.3.0').kind).toBe('no-primary');
    expect(primaryVerdict(compareMetrics({ f1: 0.9 }, {}, directions), 'f1', '1.3.0').text).toMatch(/has no F1 to compare with/);
  });
});

describe('formatting', () => {
  it('formats values, deltas and labels compactly', () => {
    expect(formatMetric(0.91)).toBe('0.91');
    expect(formatMetric(0.04123456)).toBe('0.0412');
    expect(formatMetric(1234.567)).toBe('1234.6');
    expect(formatMetric(0.00001234)).toBe('1.2e-5');
    expect(formatDelta(0.03)).toBe('+0.03');
    expect(formatDelta(-0.009)).toBe('−0.009');
    expect(formatDelta(0)).toBe('±0');
    expect(metricLabel('f1')).toBe('F1');
    expect(metricLabel('precision')).toBe('precision');
  });
});
