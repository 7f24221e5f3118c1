import { renderAsync } from '@resvg/resvg-js';
import { confusionMatrixSpec, metricTrendSpec, renderChartPng, type ChartSpec } from '../src/charts';
import { FONT_FILES } from '../src/charts/render-chart';
import { startFakeSlack, type FakeSlack } from '../test/kit/fake-slack-server';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../test/kit/start-test-bot';
import { evaluationCompleted } from '../test/fixtures/pipeline-events';
import { percentile, type BenchResult } from './bench-result';

/**
 * Charts (issue 13).
 * 1. Render time per chart type (spec → SVG → PNG with the bundled font), p50 and p99 over
 *    RENDER_SAMPLES renders, beside the same renderer drawing a blank SVG of the same size
 *    (resvg's floor: rasterising and PNG-encoding that many pixels).
 * 2. The evaluation message's time to Slack (signed hook → the card's chat.postMessage at the
 *    fake Slack), p50 and p99, with charts beside without (a bot started with charts off), both
 *    measured in this run on the same Redis, rotating over CHANNELS (each channel every 5 s: the
 *    chart reply takes a slot of the channel's 1/s pace, so a channel sees one evaluation per
 *    pace window at most, as real pipelines do).
 *    With charts, every card's charts are rendered and uploaded while the next events arrive.
 */
const RENDER_SAMPLES = 200;
const RENDER_WARMUP = 20;
const EVAL_SAMPLES = 60;
const EVAL_WARMUP = 6;
const SPACING_MS = 250;
const CHANNELS = Array.from({ length: 20 }, (_, i) => `C0CHART${String(i).padStart(2, '0')}`);

const directions = { f1: 'maximize', precision: 'maximize', recall: 'maximize', mse: 'minimize' } as const;

function trendSpec(i: number): ChartSpec {
  const history = Array.from({ length: 11 }, (_, k) => ({
    version: `1.${k}.0`,
    metrics: { f1: 0.8 + k * 0.01, precision: 0.85 + k * 0.005, recall: 0.8 + k * 0.008, mse: 0.06 - k * 0.001 },
  }));
  const spec = metricTrendSpec({
    model: 'fraud-detector',
    // A different candidate figure each time: nothing is cached by the renderer itself.
    candidate: { version: '1.11.0', metrics: { f1: 0.9 + i * 1e-6, precision: 0.93, recall: 0.89, mse: 0.041 } },
    history,
    productionVersion: '1.10.0',
    directions,
    primaryMetric: 'f1',
  });
  if (spec === undefined) throw new Error('no trend spec');
  return spec;
}

function confusionSpec(i: number): ChartSpec {
  const labels = ['benign', 'malicious', 'spam', 'phishing'];
  const matrix = labels.map((_, r) => labels.map((__, c) => (r === c ? 900 + i : 10 + r + c)));
  const spec = confusionMatrixSpec({
    model: 'fraud-detector',
    candidate: { version: '1.11.0', confusionMatrix: { labels, matrix } },
    production: { version: '1.10.0', confusionMatrix: { labels, matrix: matrix.map((row) => row.map((n) => n + 3)) } },
  });
  if (spec === undefined) throw new Error('no confusion spec');
  return spec;
}

async function timeRenders(make: (i: number) => ChartSpec): Promise<{ samples: number[]; width: number; height: number }> {
  const samples: number[] = [];
  let size = { width: 0, height: 0 };
  for (let i = 0; i < RENDER_WARMUP + RENDER_SAMPLES; i++) {
    const spec = make(i);
    const started = performance.now();
    const png = await renderChartPng(spec);
    if (i >= RENDER_WARMUP) samples.push(performance.now() - started);
    size = { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
  }
  return { samples, ...size };
}

async function timeBlank(width: number, height: number): Promise<number[]> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#ffffff"/></svg>`;
  const samples: number[] = [];
  for (let i = 0; i < RENDER_WARMUP + RENDER_SAMPLES; i++) {
    const started = performance.now();
    const image = await renderAsync(svg, { font: { fontFiles: FONT_FILES, loadSystemFonts: false }, background: '#ffffff' });
    image.asPng();
    if (i >= RENDER_WARMUP) samples.push(performance.now() - started);
  }
  return samples;
}

async function renderRows(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const [name, make] of [
    ['metric trend (4 metrics x 12 versions)', trendSpec],
    ['confusion matrix (4 classes, beside production)', confusionSpec],
  ] as const) {
    const rendered = await timeRenders(make);
    const blank = await timeBlank(rendered.width, rendered.height);
    for (const p of [50, 99]) {
      const value = percentile(rendered.samples, p);
      const baseline = percentile(blank, p);
      rows.push({
        name: `chart render p${p}: ${name}`,
        value,
        unit: 'ms',
        baselineName: `blank ${rendered.width}x${rendered.height} SVG, same renderer`,
        baseline,
        ratio: value / baseline,
        note: `${RENDER_SAMPLES} renders`,
      });
    }
  }
  return rows;
}

const BENCH_CONFIG = {
  ...SAMPLE_CONFIG,
  models: Object.fromEntries(CHANNELS.map((channel, i) => [`model-${i}`, { ...SAMPLE_CONFIG.models['fraud-detector'], channel, endpoint: `model-${i}-prod` }])),
};

/** Hook → the card's chat.postMessage at the fake Slack, per evaluation (ms). */
async function timeToSlack(charts: boolean): Promise<number[]> {
  const slack: FakeSlack = await startFakeSlack();
  let t: TestBot | undefined;
  try {
    t = await startTestBot({ slack, fileConfig: BENCH_CONFIG, overrides: { charts: charts ? {} : false, delivery: { pollMs: 500 } } });
    const bot = t;
    const waiting = new Map<string, (at: number) => void>();
    const unsubscribe = slack.onChange(() => {
      const now = performance.now();
      for (const [key, resolve] of waiting) {
        const [channel, version] = key.split('|');
        if (slack.messages(channel ?? '').some((m) => m.thread_ts === undefined && m.text.includes(` ${version}`))) {
          waiting.delete(key);
          resolve(now);
        }
      }
    });
    const samples: number[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < EVAL_WARMUP + EVAL_SAMPLES; i++) {
      const channelIndex = i % CHANNELS.length;
      const version = `2.${i}.0`;
      const arrived = new Promise<number>((resolve) => waiting.set(`${CHANNELS[channelIndex]}|${version}`, resolve));
      const started = performance.now();
      const res = await bot.hook(evaluationCompleted({ model: `model-${channelIndex}`, version, endpoint: `model-${channelIndex}-prod` }));
      if (res.status !== 202) throw new Error(`hook answered ${res.status}`);
      const warm = i >= EVAL_WARMUP;
      pending.push(
        arrived.then((at) => {
          if (warm) samples.push(at - started);
        }),
      );
      await new Promise((r) => setTimeout(r, SPACING_MS));
    }
    await Promise.race([Promise.all(pending), new Promise((_, reject) => setTimeout(() => reject(new Error('cards did not all arrive in 60 s')), 60_000))]);
    unsubscribe();
    if (charts && slack.files().length === 0) throw new Error('charts on, but nothing was uploaded');
    return samples;
  } finally {
    await t?.stop();
    await slack.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const rows = await renderRows();
  // Without first, then with: the same warm process for both.
  const without = await timeToSlack(false);
  const withCharts = await timeToSlack(true);
  for (const p of [50, 99]) {
    const value = percentile(withCharts, p);
    const baseline = percentile(without, p);
    rows.push({
      name: `evaluation message time to Slack p${p}, with charts`,
      value,
      unit: 'ms',
      baselineName: 'charts off',
      baseline,
      ratio: value / baseline,
      target: '< 1.2x',
      note: `${EVAL_SAMPLES} evaluations, ${SPACING_MS} ms apart over ${CHANNELS.length} channels; the outbox polls every 500 ms`,
    });
  }
  return rows;
}
