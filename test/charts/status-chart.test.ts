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

  describe('the window: 3 hours by default, 24h and 7d on request, each reaching CloudWatch with a period that fits', () => {
    interface MetricDataBody {
      StartTime: number;
      EndTime: number;
      MetricDataQueries: { MetricStat: { Period: number } }[];
    }
    beforeEach(async () => {
      t.slack.reset();
      t.aws.reset();
      t.aws.cloudwatch.setSeries(
        { metricName: 'Invocations' },
        series((i) => 100 + i),
      );
      const now = t.bot.deps.clock.now();
      await t.bot.deps.production.recordDeployed({
        model: 'fraud-detector',
        version: '1.5.0',
        metrics: { f1: 0.92 },
        endpoint: 'fraud-detector-prod',
        deployedAt: new Date(now.getTime() - 2 * 86_400_000).toISOString(),
      });
    });

    it.each([
      ['status fraud-detector', 3 * 3600, 60, 'last 3 hours', 'Last 3 hours', 'in 3 h', '1-minute points', false],
      ['status fraud-detector 24h', 24 * 3600, 300, 'last 24 hours', 'Last 24 hours', 'in 24 h', '5-minute points', false],
      ['status fraud-detector-prod 7D', 7 * 86_400, 3600, 'last 7 days', 'Last 7 days', 'in 7 d', '1-hour points', true],
    ])(
      '%s: one GetMetricData call over the window, the graph attached and titled, the text says the window',
      async (line, seconds, period, chartSpan, heading, total, points, marksOldDeploy) => {
        await sendCommand(t, line);
        const answer = await nextResponse(t, 0);
        const calls = t.aws.callsTo('cloudwatch', 'GetMetricData');
        expect(calls).toHaveLength(1);
        const body = calls[0]!.body as MetricDataBody;
        expect(body.EndTime - body.StartTime).toBe(seconds);
        expect(Math.abs(body.EndTime - t.bot.deps.clock.now().getTime() / 1000)).toBeLessThan(600);
        expect(body.MetricDataQueries).toHaveLength(7);
        for (const q of body.MetricDataQueries) expect(q.MetricStat.Period).toBe(period);
        // Points per call stay far under GetMetricData's 100,800.
        expect((seconds / period) * body.MetricDataQueries.length).toBeLessThanOrEqual(2016);

        const blocks = (t.slack.responses[0]?.blocks ?? []) as (Block & { title?: { text: string } })[];
        expect(blocks.map((b) => b.type).slice(0, 2)).toEqual(['header', 'image']);
        const image = blocks[1]!;
        expect(image.title?.text).toBe(`fraud-detector-prod: ${chartSpan}`);
        expect(image.alt_text).toContain(`over the ${chartSpan}:`);
        if (marksOldDeploy) expect(image.alt_text).toContain('deployed 1.5.0');
        else expect(image.alt_text).not.toContain('deployed 1.5.0');
        const file = t.slack.files().find((f) => f.id === image.slack_file?.id);
        expect(PNG.sync.read(file!.content!).width).toBeGreaterThan(800);
        expect(answer.all).toContain(`*${heading}*`);
        expect(answer.all).toContain(total);
        expect(answer.all).toContain(points);
      },
      30_000,
    );

    it('an unknown window word gets a usage message and reads nothing', async () => {
      await sendCommand(t, 'status fraud-detector 2w');
      const answer = await nextResponse(t, 0);
      expect(answer.text).toBe(
        'Unknown window `2w`: give one of `3h`, `24h`, `7d` (default 3h), e.g. `status fraud-detector 24h`. Usage: `/mlops status [model|endpoint] [3h|24h|7d]` — for example `/mlops status fraud-detector`',
      );
      expect(t.aws.callsTo('cloudwatch', 'GetMetricData')).toHaveLength(0);
    });
  });
});
