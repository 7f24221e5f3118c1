/**
 * The evaluation card's charts through the real path: a signed evaluation.completed → the outbox
 * posts the card → charts rendered with the bundled font, uploaded through the fake Slack's
 * files.getUploadURLExternal / upload URL / files.completeUploadExternal → a thread reply whose
 * image blocks reference the uploaded files. Faults: a renderer that throws, an upload URL that
 * answers 500: the card is posted all the same, the chart is skipped with a warning and a metric.
 */
import { PNG } from 'pngjs';
import { CANDIDATE_COLOUR } from '../../src/charts';
import type { FakeSlackFile, FakeSlackMessage } from '../../src/sandbox/fake-slack-server';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { waitFor } from '../e2e/approvals-helpers';

const CHANNEL = 'C0FRAUD';

function hasColour(png: PNG, hex: string): boolean {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b) return true;
  return false;
}

async function chartValue(t: TestBot, labels: Record<string, string>): Promise<number> {
  const metric = await t.bot.deps.metrics.charts.get();
  return metric.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .reduce((s, v) => s + v.value, 0);
}

/** Posts an evaluation and returns its card (top level in the model's channel). */
async function postEvaluation(t: TestBot, version: string): Promise<FakeSlackMessage> {
  const event = evaluationCompleted({ version });
  expect((await t.hook(event)).status).toBe(202);
  return waitFor(
    () => t.slack.messages(CHANNEL).find((m) => m.thread_ts === undefined && m.text.includes(version) && JSON.stringify(m.blocks).includes('"Deploy"')),
    `the card of ${version}`,
    15_000,
  );
}

function chartReply(t: TestBot, card: FakeSlackMessage): FakeSlackMessage | undefined {
  return t.slack.messages(CHANNEL).find((m) => m.thread_ts === card.ts && (m.blocks ?? []).some((b) => (b as { type?: string }).type === 'image'));
}

interface ImageBlock {
  type: 'image';
  slack_file: { id: string };
  alt_text: string;
  title: { text: string };
}
const images = (m: FakeSlackMessage): ImageBlock[] => (m.blocks ?? []).filter((b): b is ImageBlock => (b as { type?: string }).type === 'image');

describe('evaluation card charts', () => {
  let t: TestBot;
  afterEach(async () => {
    await t.stop();
  });

  it('posts the trend and the confusion matrix as PNGs in the card thread, referenced by slack_file, with meaningful alt text', async () => {
    t = await startTestBot({ overrides: { charts: {} } });
    const card = await postEvaluation(t, '1.4.0');
    const reply = await waitFor(() => chartReply(t, card), 'the chart reply', 15_000);
    // The figures stay in the card itself.
    expect(JSON.stringify(card.blocks)).toContain('0.91');
    const blocks = images(reply);
    expect(blocks.map((b) => b.title.text)).toEqual(['fraud-detector: metrics of the last 1 version', 'fraud-detector 1.4.0: confusion matrix']);
    expect(reply.text).toBe('Charts of fraud-detector 1.4.0: metrics of the last 1 version and confusion matrix.');
    expect(blocks[0]!.alt_text).toContain('f1 (higher is better): 1.4.0 0.91.');
    expect(blocks[1]!.alt_text).toContain('malicious recall 76.3% (29 of 38)');
    const files = t.slack.files();
    for (const block of blocks) {
      const file = files.find((f) => f.id === block.slack_file.id) as FakeSlackFile;
      expect(file).toMatchObject({ completed: true, alt_text: block.alt_text });
      // Private to the bot (no channel share): the image block is what shows it.
      expect(file.channel_id).toBeUndefined();
      const png = PNG.sync.read(file.content!);
      expect(png.width).toBeGreaterThanOrEqual(480);
      expect(png.height).toBeGreaterThan(200);
      expect(hasColour(png, CANDIDATE_COLOUR)).toBe(true);
    }
    expect(await chartValue(t, { chart: 'metric-trend', chart_outcome: 'uploaded' })).toBe(1);
    expect(await chartValue(t, { chart: 'confusion-matrix', chart_outcome: 'uploaded' })).toBe(1);
  }, 40_000);

  it('a renderer that throws: the card is posted, no chart, a warning and render_failed', async () => {
    t = await startTestBot({
      overrides: {
        charts: {
          render: () => Promise.reject(new Error('renderer exploded')),
        },
      },
    });
    const card = await postEvaluation(t, '1.5.0');
    await waitFor(async () => (await chartValue(t, { chart_outcome: 'render_failed' })) === 2, 'both charts counted as render_failed', 15_000);
    expect(t.logs.text()).toContain('charts: chart skipped; the evaluation message stands without it');
    expect(chartReply(t, card)).toBeUndefined();
    expect(t.slack.callsTo('files.getUploadURLExternal')).toHaveLength(0);
  }, 40_000);

  it('an upload URL answering 500: that chart is skipped, the other still follows the card', async () => {
    t = await startTestBot({ overrides: { charts: {} } });
    t.slack.failNext('file_upload', 1, { status: 500 });
    const card = await postEvaluation(t, '1.6.0');
    const reply = await waitFor(() => chartReply(t, card), 'the chart reply', 15_000);
    expect(images(reply).map((b) => b.title.text)).toEqual(['fraud-detector 1.6.0: confusion matrix']);
    expect(await chartValue(t, { chart: 'metric-trend', chart_outcome: 'upload_failed' })).toBe(1);
  }, 40_000);

  it('the same chart again is not rendered nor uploaded again (cached by content)', async () => {
    let renders = 0;
    t = await startTestBot({
      overrides: {
        charts: {
          render: async (spec) => {
            renders++;
            const { renderChartPng } = await import('../../src/charts');
            return renderChartPng(spec);
          },
        },
      },
    });
    const card = await postEvaluation(t, '1.7.0');
    const first = await waitFor(() => chartReply(t, card), 'the chart reply', 15_000);
    expect(renders).toBe(2);
    // The same chart asked for again (a re-run after a crash, another channel): found by content in the store.
    const { createChartUploads } = await import('../../src/charts/chart-uploads');
    const { metricTrendSpec } = await import('../../src/charts');
    const upload = createChartUploads({
      store: t.bot.deps.store,
      slack: t.bot.deps.slack,
      metrics: t.bot.deps.metrics,
      render: () => Promise.reject(new Error('must not render')),
    });
    const spec = metricTrendSpec({
      model: 'fraud-detector',
      candidate: { version: '1.7.0', metrics: { f1: 0.91, precision: 0.93, recall: 0.89, mse: 0.041 } },
      history: [],
      directions: { f1: 'maximize', precision: 'maximize', recall: 'maximize', mse: 'minimize' },
      primaryMetric: 'f1',
    })!;
    const cached = await upload(spec, 'x.png');
    expect(cached).toEqual({ fileId: images(first)[0]!.slack_file.id, cached: true });
    expect(t.slack.callsTo('files.getUploadURLExternal')).toHaveLength(2);
  }, 40_000);
});
