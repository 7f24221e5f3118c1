import { confusionMatrixSpec, metricTrendSpec, MAX_TREND_VERSIONS } from '../../src/charts/chart-spec';
import { chartSvg } from '../../src/charts/render-chart';

const directions = { f1: 'maximize', precision: 'maximize', recall: 'maximize', mse: 'minimize', auc: 'maximize' } as const;
const v = (version: string, f1: number, mse = 0.05) => ({ version, metrics: { f1, precision: f1 + 0.02, recall: f1 - 0.01, mse } });

describe('metricTrendSpec (data in, spec out)', () => {
  it('puts the versions in semantic order, highlights the candidate, marks production, primary metric first', () => {
    const spec = metricTrendSpec({
      model: 'fraud-detector',
      candidate: { version: '1.10.0', metrics: { mse: 0.04, f1: 0.91, precision: 0.93, recall: 0.89 } },
      history: [v('1.9.0', 0.88), v('1.2.0', 0.8), v('1.10.0', 0.1), v('1.9.0', 0.88)],
      productionVersion: '1.9.0',
      directions,
      primaryMetric: 'f1',
    });
    expect(spec).toMatchSnapshot();
    expect(spec!.versions).toEqual(['1.2.0', '1.9.0', '1.10.0']);
    // The candidate's own figures win over a stale record of the same version.
    expect(spec!.panels[0]).toEqual({ metric: 'f1', direction: 'maximize', primary: true, values: [0.8, 0.88, 0.91] });
    expect(spec!.panels.find((p) => p.metric === 'mse')?.direction).toBe('minimize');
  });

  it('shows at most 12 versions and 4 metrics; the window holds the candidate even when newer versions exist', () => {
    const history = Array.from({ length: 20 }, (_, i) => v(`1.${i}.0`, 0.5 + i / 100));
    const newest = metricTrendSpec({ model: 'm', candidate: v('1.19.0', 0.9), history, directions, primaryMetric: 'f1' })!;
    expect(newest.versions).toHaveLength(MAX_TREND_VERSIONS);
    expect(newest.versions.at(-1)).toBe('1.19.0');
    const old = metricTrendSpec({
      model: 'm',
      candidate: { version: '1.1.0', metrics: { f1: 0.5, precision: 1, recall: 1, mse: 1, auc: 1 } },
      history,
      directions,
    })!;
    expect(old.versions[old.candidateIndex]).toBe('1.1.0');
    expect(old.versions).toHaveLength(MAX_TREND_VERSIONS);
    expect(old.panels.map((p) => p.metric)).toEqual(['f1', 'precision', 'recall', 'mse']);
    expect(old.productionIndex).toBeUndefined();
  });

  it('has no chart without metrics, and says the figures in its alt text', () => {
    expect(metricTrendSpec({ model: 'm', candidate: { version: '1.0.0', metrics: {} }, history: [], directions })).toBeUndefined();
    const spec = metricTrendSpec({
      model: 'm',
      candidate: v('1.1.0', 0.9, 0.03),
      history: [v('1.0.0', 0.8, 0.05)],
      productionVersion: '1.0.0',
      directions,
      primaryMetric: 'f1',
    })!;
    expect(spec.altText).toContain('candidate 1.1.0 highlighted, production 1.0.0 marked');
    expect(spec.altText).toContain('f1 (higher is better): 1.0.0 0.8, 1.1.0 0.9.');
    expect(spec.altText).toContain('mse (lower is better): 1.0.0 0.05, 1.1.0 0.03.');
  });
});

describe('confusionMatrixSpec', () => {
  const cm = {
    labels: ['benign', 'malicious'],
    matrix: [
      [950, 12],
      [9, 29],
    ],
  };
  it('gives counts and per-class recall, beside production when its labels match', () => {
    const spec = confusionMatrixSpec({
      model: 'fraud-detector',
      candidate: { version: '1.4.0', confusionMatrix: cm },
      production: {
        version: '1.3.0',
        confusionMatrix: {
          labels: cm.labels,
          matrix: [
            [940, 22],
            [12, 26],
          ],
        },
      },
    });
    expect(spec).toMatchSnapshot();
    expect(spec!.panels.map((p) => p.title)).toEqual(['Candidate 1.4.0', 'Production 1.3.0']);
    expect(spec!.panels[0]!.recall[1]).toBeCloseTo(29 / 38);
    expect(spec!.altText).toContain('malicious recall 76.3% (29 of 38)');
  });
  it('leaves production out when its labels differ, and refuses a matrix that is not square', () => {
    const spec = confusionMatrixSpec({
      model: 'm',
      candidate: { version: '2.0.0', confusionMatrix: cm },
      production: {
        version: '1.0.0',
        confusionMatrix: {
          labels: ['a', 'b'],
          matrix: [
            [1, 0],
            [0, 1],
          ],
        },
      },
    });
    expect(spec!.panels).toHaveLength(1);
    expect(confusionMatrixSpec({ model: 'm', candidate: { version: '1.0.0', confusionMatrix: { labels: ['a', 'b'], matrix: [[1, 2]] } } })).toBeUndefined();
    expect(spec!.panels[0]!.recall).toEqual([950 / 962, 29 / 38]);
    expect(confusionMatrixSpec({ model: 'm', candidate: { version: '1.0.0', confusionMatrix: { labels: ['a'], matrix: [[0]] } } })!.panels[0]!.recall).toEqual([
      null,
    ]);
  });
});

describe('chartSvg', () => {
  it('escapes labels and is the same for the same spec', () => {
    const spec = confusionMatrixSpec({
      model: '<m>',
      candidate: {
        version: '1.0.0',
        confusionMatrix: {
          labels: ['a&b', '<c>'],
          matrix: [
            [1, 0],
            [0, 1],
          ],
        },
      },
    })!;
    const svg = chartSvg(spec);
    expect(svg).toContain('a&amp;b');
    expect(svg).not.toContain('<c>');
    expect(chartSvg(spec)).toBe(svg);
  });
});
