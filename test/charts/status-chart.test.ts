/**
 * `/mlops status <model>`: the endpoint graph (from the GetMetricData figures the bot reads anyway)
 * under the header, the deployment inside the window marked; the figures stay text. Spec of the
 * graph snapshot-tested (data in, spec out).
 */
import { PNG } from 'pngjs';
import { endpointMetricsSpec } from '../../src/charts/chart-spec';
import { PRODUCTION_COLOUR } from '../../src/charts/chart-spec';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { nextResponse, sendCommand } from '../e2e/commands-kit';

interface Block {
  type: string;
  slack_file?: { id: string };
  alt_text?: string;
}

const series = (f: (i: number) => number) => Array.from({ length: 60 }, (_, i) => f(i));

describe('endpointMetricsSpec', () => {
  it('groups the seven series in four panels by minute, marks deployments inside the window only, says the figures', () => {
    const from = new Date('2026-11-24T09:00:00Z');
    const at = (m: number) => new Date(from.getTime() + m * 60_000);
    const spec = endpointMetricsSpec({
      endpoint: 'fraud-detector-prod',
      from,
      to: at(60),
      series: [
        { key: 'invocations', label: 'Invocations', unit: 'count', points: [0, 30, 59].map((m) => ({ at: at(m), value: 100 + m })) },
        { key: 'model_latency_p99', label: 'Latency p99', unit: 'ms', points: [{ at: at(59), value: 52.3 }] },
        { key: 'invocation_5xx_errors', label: '5XX errors', unit: 'count', points: [] },
      ],
      deployments: [
        { at: at(20), version: '1.4.0' },
        { at: at(-5), version: '1.3.0' },
      ],
    });
    expect(spec).toMatchSnapshot();
    expect(spec!.markers).toEqual([{ minute: 20, label: 'deployed 1.4.0' }]);
    expect(spec!.altText).toContain('Invocations: latest 159, max 159.');
    expect(spec!.altText).toContain('5XX errors: no data.');
    expect(endpointMetricsSpec({ endpoint: 'e', from, to: at(60), series: [], deployments: [] })).toBeUndefined();
  });
});

describe('/mlops status graph', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers with the graph under the header and the figures as text', async () => {
    for (const [metricName, f] of [
      ['Invocations', (i: number) => 100 + i],
      ['Invocation5XXErrors', (i: number) => (i === 30 ? 2 : 0)],
      ['CPUUtilization', () => 30],
    ] as const)
      t.aws.cloudwatch.setSeries({ metricName }, series(f));
    const now = t.bot.deps.clock.now();
    await t.bot.deps.production.recordDeployed({
      model: 'fraud-detector',
      version: '1.4.0',
      metrics: { f1: 0.91 },
      endpoint: 'fraud-detector-prod',
      deployedAt: new Date(now.getTime() - 20 * 60_000).toISOString(),
    });
    await sendCommand(t, 'status fraud-detector');
    const answer = await nextResponse(t, 0);
    const blocks = (t.slack.responses[0]?.blocks ?? []) as Block[];
    expect(blocks.map((b) => b.type).slice(0, 2)).toEqual(['header', 'image']);
    expect(answer.all).toContain('Invocations');
    const image = blocks[1]!;
    expect(image.alt_text).toContain('Deployments marked: deployed 1.4.0.');
    const file = t.slack.files().find((f) => f.id === image.slack_file?.id);
    const png = PNG.sync.read(file!.content!);
    expect(png.width).toBeGreaterThan(800);
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(PRODUCTION_COLOUR.slice(i, i + 2), 16));
    let marked = false;
    for (let i = 0; i < png.data.length && !marked; i += 4) marked = png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b;
    expect(marked).toBe(true);
  }, 30_000);
});
