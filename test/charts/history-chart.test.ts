/**
 * `/mlops history <model>`: the metric trend image above the lines (the newest version highlighted,
 * production marked), uploaded to the fake Slack and referenced by `slack_file`; when the upload
 * fails, the answer goes out with its lines and no image.
 */
import { PNG } from 'pngjs';
import type { Candidate } from '../../src/core/candidate';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { nextResponse, sendCommand } from '../e2e/commands-kit';

function candidate(version: string, f1: number): Candidate {
  return {
    id: `fraud-detector_${version}_chart`,
    model: 'fraud-detector',
    version,
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1, precision: f1 + 0.01 },
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:00Z',
    rev: 1,
  };
}

interface Block {
  type: string;
  slack_file?: { id: string };
  alt_text?: string;
}

describe('/mlops history trend image', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
    const { deps } = t.bot;
    await deps.production.recordDeployed({
      model: 'fraud-detector',
      version: '1.4.0',
      metrics: { f1: 0.91, precision: 0.92 },
      deployedAt: '2026-11-20T14:35:00Z',
    });
    await deps.audit.append({ model: 'fraud-detector', version: '1.4.0', action: 'deployed', actor: 'pipeline', at: '2026-11-20T14:35:00Z' });
    for (const [v, f1] of [
      ['1.2.0', 0.85],
      ['1.3.0', 0.88],
      ['1.5.0', 0.93],
    ] as const)
      await deps.candidates.create(candidate(v, f1));
  });
  afterAll(async () => {
    await t.stop();
  });

  it('puts the trend under the header, above the lines, with alt text naming the figures', async () => {
    await sendCommand(t, 'history fraud-detector');
    await nextResponse(t, 0);
    const blocks = (t.slack.responses[0]?.blocks ?? []) as Block[];
    expect(blocks.map((b) => b.type).slice(0, 2)).toEqual(['header', 'image']);
    expect(blocks.some((b) => b.type === 'section')).toBe(true);
    const image = blocks[1]!;
    expect(image.alt_text).toContain('newest version 1.5.0 highlighted, production 1.4.0 marked');
    expect(image.alt_text).toContain('f1 (higher is better): 1.2.0 0.85, 1.3.0 0.88, 1.4.0 0.91, 1.5.0 0.93.');
    const file = t.slack.files().find((f) => f.id === image.slack_file?.id);
    expect(file?.completed).toBe(true);
    const png = PNG.sync.read(file!.content!);
    expect(png.width).toBeGreaterThanOrEqual(480);
  }, 30_000);

  it('an upload Slack refuses: the lines go out without the image, the failure counted', async () => {
    t.slack.reset();
    await t.bot.deps.candidates.create(candidate('1.6.0', 0.94)); // new content: not in the cache
    t.slack.failNext('files.getUploadURLExternal', 1, { error: 'internal_error' });
    await sendCommand(t, 'history fraud-detector');
    await nextResponse(t, 0);
    const blocks = (t.slack.responses[0]?.blocks ?? []) as Block[];
    expect(blocks.some((b) => b.type === 'image')).toBe(false);
    expect(blocks.some((b) => b.type === 'section')).toBe(true);
    const failed = (await t.bot.deps.metrics.charts.get()).values.find((v) => v.labels.chart_outcome === 'upload_failed');
    expect(failed?.value).toBe(1);
  }, 30_000);
});
