import { DEFAULT_ENDPOINT } from '../kit/fake-aws-server';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { nextResponse, sendCommand, sleep, startBotWithAws } from './commands-kit';

/** 60 one-minute points, oldest first. */
const series = (f: (i: number) => number) => Array.from({ length: 60 }, (_, i) => f(i));

interface MetricQuery {
  Id: string;
  MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Stat: string; Period: number };
}

describe('/mlops status', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({
      fileConfig: { ...SAMPLE_CONFIG, models: { ...SAMPLE_CONFIG.models, 'no-endpoint': { channel: 'C0NOEP' } } },
    });
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.slack.reset();
    t.aws.reset();
  });

  function serveMetrics(): void {
    // AWS reports ModelLatency in microseconds: the bot must show milliseconds.
    t.aws.cloudwatch.setSeries(
      { metricName: 'Invocations' },
      series((i) => (i === 59 ? 321 : 100)),
    );
    t.aws.cloudwatch.setSeries(
      { metricName: 'ModelLatency', stat: 'Average' },
      series(() => 18_400),
    );
    t.aws.cloudwatch.setSeries(
      { metricName: 'ModelLatency', stat: 'p99' },
      series((i) => (i === 59 ? 52_300 : 40_000)),
    );
    t.aws.cloudwatch.setSeries(
      { metricName: 'Invocation4XXErrors' },
      series((i) => (i < 7 ? 1 : 0)),
    );
    t.aws.cloudwatch.setSeries(
      { metricName: 'Invocation5XXErrors' },
      series((i) => (i === 30 || i === 31 ? 1 : 0)),
    );
    t.aws.cloudwatch.setSeries(
      { metricName: 'CPUUtilization' },
      series((i) => (i === 59 ? 48.5 : 30)),
    );
    t.aws.cloudwatch.setSeries(
      { metricName: 'MemoryUtilization' },
      series(() => 61),
    );
  }

  it('renders the endpoint, its variants, the deployed version and the metrics served by SageMaker and CloudWatch', async () => {
    serveMetrics();
    await t.bot.deps.production.recordDeployed({
      model: 'fraud-detector',
      version: '1.4.0',
      metrics: { f1: 0.91 },
      deployedAt: '2026-11-20T14:35:00Z',
      endpoint: 'fraud-detector-prod',
    });
    const ack = await sendCommand(t, 'status fraud-detector');
    expect(ack.status).toBe(200);
    expect(ack.body).toBeUndefined();
    const answer = await nextResponse(t, 0);
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toMatch(/^fraud-detector-prod is InService, version 1\.4\.0: 6,221 invocations in 3 h, p99 52\.3 ms, 5XX 2 \(as of /);
    expect(answer.all).toContain(':large_green_circle: *InService* · model *fraud-detector* · deployed version *1.4.0* · last modified <!date^1795185000^');
    expect(answer.all).toContain('*AllTraffic*\\nmodel `fraud-detector-1-4-0`\\n2 × ml.m5.large · weight 1');
    expect(answer.all).toMatch(/Invocations +[▁▂▃▄▅▆▇█]{30} +321 +\(6,221 in 3 h\)/);
    expect(answer.all).toMatch(/Latency avg +▁{30} +18\.4 ms/);
    expect(answer.all).toMatch(/Latency p99 +▁{29}█ +52\.3 ms/);
    expect(answer.all).toMatch(/4XX errors +[▁▂▃▄▅▆▇█]{30} +0 +\(7 in 3 h\)/);
    expect(answer.all).toMatch(/5XX errors +[▁▂▃▄▅▆▇█]{30} +0 +\(2 in 3 h\)/);
    expect(answer.all).toMatch(/CPU +[▁▂▃▄▅▆▇█]{30} +48\.5%/);
    expect(answer.all).toMatch(/Memory +▁{30} +61%/);

    // One GetMetricData call: 7 queries with the documented namespaces, stats and dimensions.
    const calls = t.aws.callsTo('cloudwatch', 'GetMetricData');
    expect(calls).toHaveLength(1);
    const queries = (calls[0]?.body as { MetricDataQueries: MetricQuery[] }).MetricDataQueries;
    expect(queries.map((q) => [q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName, q.MetricStat.Stat])).toEqual([
      ['AWS/SageMaker', 'Invocations', 'Sum'],
      ['AWS/SageMaker', 'ModelLatency', 'Average'],
      ['AWS/SageMaker', 'ModelLatency', 'p99'],
      ['AWS/SageMaker', 'Invocation4XXErrors', 'Sum'],
      ['AWS/SageMaker', 'Invocation5XXErrors', 'Sum'],
      ['/aws/sagemaker/Endpoints', 'CPUUtilization', 'Average'],
      ['/aws/sagemaker/Endpoints', 'MemoryUtilization', 'Average'],
    ]);
    for (const q of queries) {
      expect(q.MetricStat.Metric.Dimensions).toEqual([
        { Name: 'EndpointName', Value: 'fraud-detector-prod' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ]);
    }
    const body = calls[0]?.body as { StartTime: number; EndTime: number };
    expect(body.EndTime - body.StartTime).toBe(3 * 3600);
  });

  it('accepts the endpoint name too, and shows a failed endpoint with its reason and several variants', async () => {
    t.aws.sagemaker.setEndpoint({
      ...DEFAULT_ENDPOINT,
      status: 'Failed',
      failureReason: 'The primary container for production variant Canary did not pass the ping health check.',
      variants: [
        { name: 'Main', model: 'fraud-detector-1-4-0', instanceType: 'ml.m5.large', instanceCount: 2, initialWeight: 0.9 },
        { name: 'Canary', model: 'fraud-detector-1-5-0', instanceType: 'ml.m5.xlarge', instanceCount: 1, initialWeight: 0.1 },
      ],
    });
    await sendCommand(t, 'status fraud-detector-prod');
    const answer = await nextResponse(t, 0);
    expect(answer.all).toContain(':red_circle: *Failed*');
    expect(answer.all).toContain('Failure reason:* The primary container for production variant Canary did not pass the ping health check.');
    expect(answer.all).toContain('*Main*\\nmodel `fraud-detector-1-4-0`\\n2 × ml.m5.large · weight 0.90');
    expect(answer.all).toContain('*Canary*\\nmodel `fraud-detector-1-5-0`\\n1 × ml.m5.xlarge · weight 0.10');
    const queries = (t.aws.callsTo('cloudwatch', 'GetMetricData')[0]?.body as { MetricDataQueries: unknown[] }).MetricDataQueries;
    expect(queries).toHaveLength(14);
  });

  it('lists every configured endpoint without an argument, one failing endpoint not hiding the others', async () => {
    await t.bot.deps.production.recordDeployed({ model: 'fraud-detector', version: '1.4.0', metrics: {}, deployedAt: '2026-11-20T14:35:00Z' });
    serveMetrics();
    await sendCommand(t, 'status');
    const answer = await nextResponse(t, 0);
    expect(answer.all).toContain(
      ':large_green_circle: *fraud-detector-prod* (fraud-detector) · InService · version 1.4.0 · 6,221 calls/h · p99 52.3 ms · errors 7 4XX / 2 5XX',
    );
    expect(answer.all).toContain(
      ':grey_question: *churn-predictor-prod* (churn-predictor) · unavailable: Endpoint churn-predictor-prod does not exist in this AWS account and region.',
    );
    expect(answer.text).toMatch(/^2 endpoints: 1 InService, 0 other, 1 unavailable/);
  });

  describe('errors, each with its own clear answer', () => {
    it('a missing endpoint', async () => {
      await sendCommand(t, 'status churn-predictor');
      const answer = await nextResponse(t, 0);
      expect(answer.responseType).toBe('ephemeral');
      expect(answer.text).toMatch(
        /^Endpoint churn-predictor-prod does not exist in this AWS account and region\. AWS said: Could not find endpoint .*Check the names in the config file\.$/,
      );
      expect(t.aws.callsTo('cloudwatch')).toHaveLength(0);
    });

    it('AccessDenied on DescribeEndpoint names the missing permission', async () => {
      t.aws.failNext(
        'sagemaker',
        'DescribeEndpoint',
        { error: { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: sagemaker:DescribeEndpoint' } },
        2,
      );
      await sendCommand(t, 'status fraud-detector');
      const answer = await nextResponse(t, 0);
      expect(answer.text).toMatch(
        /^The bot's AWS role is not allowed to call sagemaker:DescribeEndpoint on endpoint fraud-detector-prod\. Grant the IAM action sagemaker:DescribeEndpoint to the role the bot runs as\./,
      );
    });

    it('AccessDenied on GetMetricData keeps the endpoint and names the permission in place of the metrics', async () => {
      t.aws.failNext(
        'cloudwatch',
        'GetMetricData',
        { error: { status: 400, type: 'AccessDeniedException', message: 'not authorized to perform: cloudwatch:GetMetricData' } },
        2,
      );
      await sendCommand(t, 'status fraud-detector');
      const answer = await nextResponse(t, 0);
      expect(answer.all).toContain(':large_green_circle: *InService*');
      expect(answer.all).toContain(
        ":warning: Metrics unavailable: The bot's AWS role is not allowed to call cloudwatch:GetMetricData on metrics of endpoint fraud-detector-prod. Grant the IAM action cloudwatch:GetMetricData",
      );
      expect(answer.text).toContain('(metrics unavailable)');
    });

    it('throttling', async () => {
      t.aws.failNext('sagemaker', 'DescribeEndpoint', { error: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } }, 2);
      await sendCommand(t, 'status fraud-detector');
      const answer = await nextResponse(t, 0, 15_000);
      expect(answer.text).toBe(
        'AWS is limiting the rate of sagemaker:DescribeEndpoint calls right now (throttled, even after retries). Try again in a minute.',
      );
    });

    it('an unknown name gets the configured models and a did-you-mean; a model without endpoint names the setting', async () => {
      const ack = await sendCommand(t, 'status fraud-detectr');
      expect(ack.body?.text).toBeUndefined();
      const answer = await nextResponse(t, 0);
      expect(answer.text).toMatch(
        /^"fraud-detectr" is not a configured model\. Did you mean `fraud-detector`\? Configured models: `fraud-detector`, `churn-predictor`, `no-endpoint`\./,
      );
      await sendCommand(t, 'status no-endpoint');
      expect((await nextResponse(t, 1)).text).toContain('no-endpoint has no endpoint configured: set `models.no-endpoint.endpoint` in the config file.');
      await sendCommand(t, 'status a 3h b');
      expect((await nextResponse(t, 2)).text).toMatch(/^Unexpected argument `b`\. Usage: `\/mlops status \[model\|endpoint\] \[3h\|24h\|7d\]`/);
      expect(t.aws.calls).toHaveLength(0);
    });
  });
});

describe('/mlops status timing', () => {
  it('acks before AWS answers: SageMaker takes 5 s, the ack does not wait, the answer follows through response_url', async () => {
    const t = await startBotWithAws({ requestTimeoutMs: 10_000, maxAttempts: 1 });
    try {
      t.aws.on('sagemaker', 'DescribeEndpoint', async () => {
        await sleep(5000);
        return undefined; // then the default endpoint
      });
      const sent = Date.now();
      const ack = await sendCommand(t, 'status fraud-detector');
      expect(ack.status).toBe(200);
      expect(ack.ms).toBeLessThan(1500);
      expect(t.slack.responses).toHaveLength(0);
      const answer = await nextResponse(t, 0, 9000);
      expect(answer.at - sent).toBeGreaterThanOrEqual(4900);
      expect(answer.text).toMatch(/^fraud-detector-prod is InService/);
    } finally {
      await t.stop();
    }
  }, 20_000);

  it('says when AWS does not answer in time', async () => {
    const t = await startBotWithAws({ requestTimeoutMs: 300, maxAttempts: 1 });
    try {
      t.aws.on('sagemaker', 'DescribeEndpoint', async () => {
        await sleep(1000);
        return undefined;
      });
      await sendCommand(t, 'status fraud-detector');
      const answer = await nextResponse(t, 0);
      expect(answer.text).toBe(
        'AWS did not answer sagemaker:DescribeEndpoint on endpoint fraud-detector-prod in time. It may be slow or unreachable; try again shortly.',
      );
    } finally {
      await t.stop();
    }
  });
});
