import type { EndpointDescription, MetricSeries } from '../../src/core/ports';
import { summarizeEndpointMetrics } from '../../src/core/summarize-endpoint-metrics';
import { endpointStatusView } from '../../views/endpoint-status-view';
import { endpointsSummaryView, type EndpointSummaryRow } from '../../views/endpoints-summary-view';
import { blocksText, slackLimitProblems } from './slack-limits-check';

const now = new Date('2026-11-24T11:00:00Z');
const endpoint: EndpointDescription = {
  name: 'fraud-detector-prod',
  status: 'InService',
  lastModified: new Date('2026-11-20T14:30:00Z'),
  endpointConfigName: 'cfg',
  variants: [{ variantName: 'AllTraffic', modelName: 'fraud-detector-1-4-0', instanceType: 'ml.m5.large', instanceCount: 2, weight: 1 }],
};
const minute = (i: number) => new Date(now.getTime() - (60 - i) * 60_000);
const raw = (key: string, unit: string, f: (i: number) => number): MetricSeries => ({
  id: `${key}:AllTraffic`,
  label: key,
  unit,
  points: Array.from({ length: 60 }, (_, i) => ({ at: minute(i), value: f(i) })),
});
const series = summarizeEndpointMetrics([
  raw('invocations', 'count', (i) => 100 + i),
  raw('model_latency_avg', 'ms', () => 20.3),
  raw('model_latency_p99', 'ms', (i) => (i === 59 ? 49.5 : 45)),
  raw('invocation_4xx_errors', 'count', (i) => (i % 10 === 0 ? 1 : 0)),
  raw('invocation_5xx_errors', 'count', () => 0),
  raw('cpu_utilization', 'percent', (i) => 30 + (i % 20)),
  raw('memory_utilization', 'percent', () => 55),
]);

describe('endpointStatusView', () => {
  const view = endpointStatusView({ endpoint, model: 'fraud-detector', deployed: { version: '1.4.0' }, metrics: { series }, windowMinutes: 60, now });

  it('shows status, variants, deployed version and every metric with a sparkline and its latest value', () => {
    const text = blocksText(view.blocks);
    expect(view.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'fraud-detector-prod' } });
    expect(text).toContain(':large_green_circle: *InService*');
    expect(text).toContain('deployed version *1.4.0*');
    expect(text).toContain('model `fraud-detector-1-4-0`');
    expect(text).toContain('2 × ml.m5.large · weight 1');
    const table = (view.blocks[3] as { text: { text: string } }).text.text;
    for (const label of ['Invocations', 'Latency avg', 'Latency p99', '4XX errors', '5XX errors', 'CPU', 'Memory']) expect(table).toContain(label);
    expect(table).toMatch(/Invocations +[▁▂▃▄▅▆▇█]{30} +159 +\(7,770 in 60 min\)/);
    expect(table).toMatch(/Latency p99 +[▁▂▃▄▅▆▇█]{30} +49\.5 ms/);
    expect(table).toMatch(/Memory +▁{30} +55%/);
  });

  it('has fallback text with the essentials and stays within Slack limits', () => {
    expect(view.text).toBe('fraud-detector-prod is InService, version 1.4.0: 7,770 invocations in 60 min, p99 49.5 ms, 5XX 0 (as of 2026-11-24 11:00 UTC)');
    expect(slackLimitProblems(view)).toEqual([]);
  });

  it('says when metrics are unavailable and shows a failure reason', () => {
    const failed = endpointStatusView({
      endpoint: { ...endpoint, status: 'Failed', failureReason: 'Image <bad> could not be pulled' },
      metrics: { unavailable: "The bot's AWS role is not allowed to call cloudwatch:GetMetricData." },
      windowMinutes: 60,
      now,
    });
    const text = blocksText(failed.blocks);
    expect(text).toContain(':red_circle: *Failed*');
    expect(text).toContain('Failure reason:* Image &lt;bad&gt; could not be pulled');
    expect(text).toContain('Metrics unavailable: The bot');
    expect(text).toContain('cloudwatch:GetMetricData');
    expect(text).toContain('deployed version not known to the bot');
    expect(failed.text).toContain('metrics unavailable');
    expect(slackLimitProblems(failed)).toEqual([]);
  });

  it('stays within limits with many variants and very long values', () => {
    const many = endpointStatusView({
      endpoint: {
        ...endpoint,
        name: 'e'.repeat(63),
        failureReason: 'x'.repeat(10_000),
        variants: Array.from({ length: 25 }, (_, i) => ({ variantName: `v${i}-${'n'.repeat(300)}`, modelName: 'm'.repeat(3000), instanceCount: 1 })),
      },
      metrics: { series: summarizeEndpointMetrics([]) },
      windowMinutes: 60,
      now,
    });
    expect(slackLimitProblems(many)).toEqual([]);
    expect(blocksText(many.blocks)).toContain('…and 16 more variants');
    expect(blocksText(many.blocks)).toContain('no data');
  });

  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});

describe('endpointsSummaryView', () => {
  const rows: EndpointSummaryRow[] = [
    {
      endpoint: 'fraud-detector-prod',
      model: 'fraud-detector',
      status: 'InService',
      deployedVersion: '1.4.0',
      invocations: 6543,
      p99Ms: 49.5,
      errors4xx: 6,
      errors5xx: 0,
    },
    { endpoint: 'churn-predictor-prod', model: 'churn-predictor', problem: 'Endpoint churn-predictor-prod does not exist in this AWS account and region.' },
    { endpoint: 'reco-prod', model: 'reco', status: 'Updating', metricsProblem: 'AWS is limiting the rate of cloudwatch:GetMetricData calls' },
  ];
  const view = endpointsSummaryView({ rows, windowMinutes: 60, now });

  it('has one line per endpoint with status, version, invocations, p99 and errors', () => {
    const text = blocksText(view.blocks);
    expect(text).toContain(
      ':large_green_circle: *fraud-detector-prod* (fraud-detector) · InService · version 1.4.0 · 6,543 calls/h · p99 49.5 ms · errors 6 4XX / 0 5XX',
    );
    expect(text).toContain(':grey_question: *churn-predictor-prod* (churn-predictor) · unavailable: Endpoint churn-predictor-prod does not exist');
    expect(text).toContain(':large_yellow_circle: *reco-prod* (reco) · Updating · version unknown · metrics unavailable: AWS is limiting');
    expect(view.text).toMatch(/^3 endpoints: 1 InService, 1 other, 1 unavailable/);
    expect(slackLimitProblems(view)).toEqual([]);
  });

  it('fits a thousand endpoints into 50 blocks and says how many are left out', () => {
    const lots = Array.from({ length: 1000 }, (_, i) => ({ ...rows[0], endpoint: `endpoint-${i}-${'x'.repeat(40)}` }) as EndpointSummaryRow);
    const big = endpointsSummaryView({ rows: lots, windowMinutes: 60, now });
    expect(slackLimitProblems(big)).toEqual([]);
    expect(blocksText(big.blocks)).toMatch(/…and \d+ more/);
  });

  it('explains an empty configuration', () => {
    const empty = endpointsSummaryView({ rows: [], windowMinutes: 60, now });
    expect(empty.text).toContain('models.&lt;name&gt;.endpoint');
  });

  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});
