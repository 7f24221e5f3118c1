import fc from 'fast-check';
import { formatMetricValue, sparkline } from '../../views/format';

describe('sparkline', () => {
  it('maps the lowest value to ▁ and the highest to █, one bar per value', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([10, 0, 10])).toBe('█▁█');
  });

  it('draws a flat series as ▁ and an empty one as nothing', () => {
    expect(sparkline([5, 5, 5])).toBe('▁▁▁');
    expect(sparkline([20.3, 20.299999999999997, 20.300000000000004])).toBe('▁▁▁');
    expect(sparkline([])).toBe('');
    expect(sparkline([Number.NaN, Number.POSITIVE_INFINITY])).toBe('');
  });

  it('skips non-finite values and averages long series into the width', () => {
    expect(sparkline([0, Number.NaN, 7])).toBe('▁█');
    // 60 points rising in two steps: 30 buckets, first half low, second half high.
    const steps = Array.from({ length: 60 }, (_, i) => (i < 30 ? 1 : 9));
    expect(sparkline(steps, 30)).toBe('▁'.repeat(15) + '█'.repeat(15));
  });

  it('never exceeds the width and uses only the eight bars', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), { maxLength: 500 }), fc.integer({ min: 1, max: 80 }), (values, width) => {
        const s = sparkline(values, width);
        expect(Array.from(s).length).toBeLessThanOrEqual(width);
        expect(s).toMatch(/^[▁▂▃▄▅▆▇█]*$/);
        if (values.length > 0) expect(Array.from(s).length).toBe(Math.min(values.length, width));
      }),
    );
  });

  it('refuses a bad width', () => {
    expect(() => sparkline([1], 0)).toThrow(RangeError);
  });
});

describe('formatMetricValue', () => {
  it('formats counts, milliseconds and percentages', () => {
    expect(formatMetricValue(6543, 'count')).toBe('6,543');
    expect(formatMetricValue(45.25, 'ms')).toBe('45.3 ms');
    expect(formatMetricValue(120.4, 'ms')).toBe('120 ms');
    expect(formatMetricValue(7.5, 'percent')).toBe('7.5%');
    expect(formatMetricValue(undefined, 'ms')).toBe('–');
    expect(formatMetricValue(Number.NaN, 'count')).toBe('–');
  });
});
