import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { ENDPOINT_METRICS, createSagemakerEndpointInspector } from '../../src/aws/sagemaker-endpoint-inspector';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import type { EndpointInspector } from '../../src/core/ports';
import { DEFAULT_ENDPOINT_NAME, startFakeAws, type FakeAws } from '../kit/fake-aws-server';

let fake: FakeAws;
let clients: AwsClients;
let inspector: EndpointInspector;

async function mlopsError(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlopsError);
  return error as MlopsError;
}

const from = new Date('2026-11-24T10:00:00Z');
const to = new Date('2026-11-24T11:00:00Z');

interface RecordedQuery {
  Id: string;
  Label?: string;
  ReturnData?: boolean;
  MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string };
}

beforeAll(async () => {
  fake = await startFakeAws();
  clients = createAwsClients({
    endpoint: fake.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
    requestTimeoutMs: 1000,
  });
  inspector = createSagemakerEndpointInspector(clients.sagemaker, clients.cloudwatch);
});
afterEach(() => fake.reset());
afterAll(async () => {
  clients.destroy();
  await fake.close();
});

describe('describeEndpoint', () => {
  it('combines DescribeEndpoint and DescribeEndpointConfig', async () => {
    const ep = await inspector.describeEndpoint(DEFAULT_ENDPOINT_NAME);
    expect(ep).toEqual({
      name: DEFAULT_ENDPOINT_NAME,
      status: 'InService',
      createdAt: new Date('2026-11-01T09:00:00Z'),
      lastModified: new Date('2026-11-20T14:30:00Z'),
      endpointConfigName: 'fraud-detector-prod-config-1-4-0',
      variants: [{ variantName: 'AllTraffic', modelName: 'fraud-detector-1-4-0', instanceType: 'ml.m5.large', instanceCount: 2, weight: 1 }],
    });
    expect(fake.calls.map((c) => c.operation)).toEqual(['DescribeEndpoint', 'DescribeEndpointConfig']);
    expect(fake.calls[1]?.body).toEqual({ EndpointConfigName: 'fraud-detector-prod-config-1-4-0' });
  });

  it('reports two variants with the CURRENT weights and instance counts, models and types from the config', async () => {
    fake.sagemaker.setEndpoint({
      name: 'churn-prod',
      status: 'Updating',
      configName: 'churn-prod-canary',
      variants: [
        {
          name: 'primary',
          model: 'churn-1-0-0',
          instanceType: 'ml.c5.xlarge',
          instanceCount: 2,
          initialWeight: 1,
          currentWeight: 0.9,
          currentInstanceCount: 3,
        },
        { name: 'canary', model: 'churn-1-1-0', instanceType: 'ml.c5.large', instanceCount: 1, initialWeight: 0, currentWeight: 0.1 },
      ],
    });
    const ep = await inspector.describeEndpoint('churn-prod');
    expect(ep.status).toBe('Updating');
    expect(ep.variants).toEqual([
      { variantName: 'primary', modelName: 'churn-1-0-0', instanceType: 'ml.c5.xlarge', instanceCount: 3, weight: 0.9 },
      { variantName: 'canary', modelName: 'churn-1-1-0', instanceType: 'ml.c5.large', instanceCount: 1, weight: 0.1 },
    ]);
  });

  it("reports a shadow test's variant (ShadowProductionVariants) apart from the production variants", async () => {
    fake.sagemaker.setEndpoint({
      name: 'fraud-shadow',
      variants: [{ name: 'prod-1-3-0', model: 'fraud-1-3-0', instanceType: 'ml.m5.large', instanceCount: 2, initialWeight: 1 }],
      shadowVariants: [{ name: 'shadow-1-4-0', model: 'fraud-1-4-0', instanceType: 'ml.m5.xlarge', instanceCount: 1, initialWeight: 1 }],
    });
    const ep = await inspector.describeEndpoint('fraud-shadow');
    expect(ep.variants).toEqual([{ variantName: 'prod-1-3-0', modelName: 'fraud-1-3-0', instanceType: 'ml.m5.large', instanceCount: 2, weight: 1 }]);
    expect(ep.shadowVariants).toEqual([{ variantName: 'shadow-1-4-0', modelName: 'fraud-1-4-0', instanceType: 'ml.m5.xlarge', instanceCount: 1, weight: 1 }]);
    // Without a shadow the field is absent.
    expect(await inspector.describeEndpoint(DEFAULT_ENDPOINT_NAME)).not.toHaveProperty('shadowVariants');
  });

  it('passes the failure reason of a Failed endpoint', async () => {
    fake.sagemaker.setEndpoint({ name: 'broken', status: 'Failed', failureReason: 'Image pull failed', variants: [{ name: 'AllTraffic', model: 'm' }] });
    await expect(inspector.describeEndpoint('broken')).resolves.toMatchObject({ status: 'Failed', failureReason: 'Image pull failed' });
  });

  it('uses initial values when the endpoint reports none, and keeps the endpoint when its config is gone', async () => {
    fake.on('sagemaker', 'DescribeEndpoint', () => ({
      result: {
        EndpointName: 'e',
        EndpointConfigName: 'gone-config',
        EndpointStatus: 'InService',
        ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, CurrentInstanceCount: 1 }],
      },
    }));
    const ep = await inspector.describeEndpoint('e');
    expect(ep.variants).toEqual([{ variantName: 'AllTraffic', instanceCount: 1, weight: 1 }]);

    fake.on('sagemaker', 'DescribeEndpoint', () => ({ result: { EndpointName: 'e', EndpointConfigName: 'c', EndpointStatus: 'Creating' } }));
    fake.on('sagemaker', 'DescribeEndpointConfig', () => ({
      result: {
        EndpointConfigName: 'c',
        ProductionVariants: [{ VariantName: 'v', ModelName: 'm', InstanceType: 'ml.t2.medium', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
      },
    }));
    await expect(inspector.describeEndpoint('e')).resolves.toMatchObject({
      status: 'Creating',
      variants: [{ variantName: 'v', modelName: 'm', instanceType: 'ml.t2.medium', instanceCount: 1, weight: 1 }],
    });
  });

  it('an unknown endpoint is AwsNotFound naming it', async () => {
    const error = await mlopsError(inspector.describeEndpoint('no-such-endpoint'));
    expect(error.code).toBe(ErrorCode.AwsNotFound);
    expect(error.message).toContain('no-such-endpoint');
    expect(fake.calls).toHaveLength(1); // a 400 ValidationException is not retried
  });

  it('access denied is AwsAccessDenied naming sagemaker:DescribeEndpoint', async () => {
    fake.on('sagemaker', 'DescribeEndpoint', () => ({
      error: { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: sagemaker:DescribeEndpoint' },
    }));
    const error = await mlopsError(inspector.describeEndpoint(DEFAULT_ENDPOINT_NAME));
    expect(error.code).toBe(ErrorCode.AwsAccessDenied);
    expect(error.message).toContain('sagemaker:DescribeEndpoint');
    expect(error.details).toMatchObject({ action: 'sagemaker:DescribeEndpoint' });
  });

  it('access denied on the config names sagemaker:DescribeEndpointConfig', async () => {
    fake.on('sagemaker', 'DescribeEndpointConfig', () => ({ error: { status: 400, type: 'AccessDeniedException', message: 'denied' } }));
    const error = await mlopsError(inspector.describeEndpoint(DEFAULT_ENDPOINT_NAME));
    expect(error.code).toBe(ErrorCode.AwsAccessDenied);
    expect(error.message).toContain('sagemaker:DescribeEndpointConfig');
  });

  it('throttling is AwsThrottled after the SDK retried', async () => {
    fake.on('sagemaker', 'DescribeEndpoint', () => ({ error: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } }));
    expect((await mlopsError(inspector.describeEndpoint(DEFAULT_ENDPOINT_NAME))).code).toBe(ErrorCode.AwsThrottled);
    expect(fake.callsTo('sagemaker', 'DescribeEndpoint')).toHaveLength(2);
  });
});

describe('endpointMetrics', () => {
  it('makes ONE GetMetricData call with all seven queries per variant', async () => {
    const series = await inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic', 'canary'], from, to);
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call.operation).toBe('GetMetricData');
    const body = call.body as { MetricDataQueries: RecordedQuery[]; StartTime: number; EndTime: number; ScanBy: string };
    expect(body.StartTime).toBe(from.getTime() / 1000);
    expect(body.EndTime).toBe(to.getTime() / 1000);
    expect(body.ScanBy).toBe('TimestampAscending');
    const queries = body.MetricDataQueries;
    expect(queries).toHaveLength(14);
    const summary = queries.map((q) => [
      q.MetricStat.Metric.Namespace,
      q.MetricStat.Metric.MetricName,
      q.MetricStat.Stat,
      q.MetricStat.Period,
      Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d) => [d.Name, d.Value])),
    ]);
    for (const variant of ['AllTraffic', 'canary']) {
      const dims = { EndpointName: DEFAULT_ENDPOINT_NAME, VariantName: variant };
      expect(summary).toEqual(
        expect.arrayContaining([
          ['AWS/SageMaker', 'Invocations', 'Sum', 60, dims],
          ['AWS/SageMaker', 'ModelLatency', 'Average', 60, dims],
          ['AWS/SageMaker', 'ModelLatency', 'p99', 60, dims],
          ['AWS/SageMaker', 'Invocation4XXErrors', 'Sum', 60, dims],
          ['AWS/SageMaker', 'Invocation5XXErrors', 'Sum', 60, dims],
          ['/aws/sagemaker/Endpoints', 'CPUUtilization', 'Average', 60, dims],
          ['/aws/sagemaker/Endpoints', 'MemoryUtilization', 'Average', 60, dims],
        ]),
      );
    }
    for (const q of queries) expect(q.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    expect(new Set(queries.map((q) => q.Id)).size).toBe(14);

    expect(series).toHaveLength(14);
    expect(series.map((s) => s.id)).toEqual(['AllTraffic', 'canary'].flatMap((v) => ENDPOINT_METRICS.map((m) => `${m.key}:${v}`)));
    for (const s of series) {
      expect(s.points).toHaveLength(60);
      for (let i = 1; i < s.points.length; i++) expect(s.points[i]!.at.getTime()).toBeGreaterThan(s.points[i - 1]!.at.getTime());
    }
  });

  it('latencyP50 adds ModelLatency p50 per variant (in ms), in the same one call; without it the status set is unchanged', async () => {
    fake.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'p50', variant: 'canary' }, [12_500]);
    const series = await inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic', 'canary'], from, to, undefined, { latencyP50: true });
    expect(fake.calls).toHaveLength(1);
    const queries = (fake.calls[0]!.body as { MetricDataQueries: RecordedQuery[] }).MetricDataQueries;
    expect(queries).toHaveLength(16);
    expect(queries.filter((q) => q.MetricStat.Stat === 'p50').map((q) => q.MetricStat.Metric.Dimensions.find((d) => d.Name === 'VariantName')?.Value)).toEqual([
      'AllTraffic',
      'canary',
    ]);
    const p50 = series.find((s) => s.id === 'model_latency_p50:canary');
    expect(p50).toMatchObject({ unit: 'ms', label: 'Model latency (p50) (canary)' });
    expect(p50?.points.map((p) => p.value)).toEqual([12.5]);
    fake.reset();
    expect(await inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic'], from, to)).toHaveLength(ENDPOINT_METRICS.length);
  });

  it('converts ModelLatency from microseconds to milliseconds and labels units', async () => {
    fake.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'p99', variant: 'AllTraffic' }, [120_000, 85_500, 4_250]);
    fake.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'Average', variant: 'AllTraffic' }, [20_000, 21_500, 1_000]);
    fake.cloudwatch.setSeries({ metricName: 'Invocations', variant: 'AllTraffic' }, [5, 7, 9]);
    const series = await inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic'], from, to);
    const byId = new Map(series.map((s) => [s.id, s]));
    expect(byId.get('model_latency_p99:AllTraffic')).toMatchObject({ unit: 'ms', label: 'Model latency (p99) (AllTraffic)' });
    expect(byId.get('model_latency_p99:AllTraffic')?.points.map((p) => p.value)).toEqual([120, 85.5, 4.25]);
    expect(byId.get('model_latency_avg:AllTraffic')?.points.map((p) => p.value)).toEqual([20, 21.5, 1]);
    expect(byId.get('invocations:AllTraffic')).toMatchObject({ unit: 'count' });
    expect(byId.get('invocations:AllTraffic')?.points.map((p) => p.value)).toEqual([5, 7, 9]);
    expect(byId.get('cpu_utilization:AllTraffic')?.unit).toBe('percent');
    expect(byId.get('memory_utilization:AllTraffic')?.unit).toBe('percent');
    expect(byId.get('invocation_5xx_errors:AllTraffic')?.unit).toBe('count');
  });

  it('returns points oldest first even when CloudWatch answers newest first', async () => {
    fake.on('cloudwatch', 'GetMetricData', (req) => {
      const queries = (req.body as { MetricDataQueries: { Id: string }[] }).MetricDataQueries;
      return {
        result: {
          MetricDataResults: queries.map((q) => ({
            Id: q.Id,
            Timestamps: [1795946580, 1795946520, 1795946460],
            Values: [3000, 2000, 1000],
            StatusCode: 'Complete',
          })),
        },
      };
    });
    const series = await inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic'], from, to);
    const inv = series.find((s) => s.id === 'invocations:AllTraffic')!;
    expect(inv.points.map((p) => p.at.getTime() / 1000)).toEqual([1795946460, 1795946520, 1795946580]);
    expect(inv.points.map((p) => p.value)).toEqual([1000, 2000, 3000]);
  });

  it('with no variants given, describes the endpoint to learn them, still with one GetMetricData call', async () => {
    const series = await inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, [], from, to);
    expect(fake.callsTo('cloudwatch', 'GetMetricData')).toHaveLength(1);
    expect(series.map((s) => s.id)).toContain('invocations:AllTraffic');
  });

  it('throttling is AwsThrottled (CloudWatch reports the query code "Throttling")', async () => {
    fake.on('cloudwatch', 'GetMetricData', () => ({ error: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } }));
    const error = await mlopsError(inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic'], from, to));
    expect(error.code).toBe(ErrorCode.AwsThrottled);
    expect(error.details).toMatchObject({ awsError: 'Throttling' });
  });

  it('access denied is AwsAccessDenied naming cloudwatch:GetMetricData', async () => {
    fake.on('cloudwatch', 'GetMetricData', () => ({ error: { status: 403, type: 'AccessDeniedException', message: 'denied' } }));
    const error = await mlopsError(inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic'], from, to));
    expect(error.code).toBe(ErrorCode.AwsAccessDenied);
    expect(error.message).toContain('cloudwatch:GetMetricData');
  });

  it('a slow CloudWatch is AwsTimeout', async () => {
    fake.on('cloudwatch', 'GetMetricData', () => ({ delayMs: 4000, result: { MetricDataResults: [] } }));
    expect((await mlopsError(inspector.endpointMetrics(DEFAULT_ENDPOINT_NAME, ['AllTraffic'], from, to))).code).toBe(ErrorCode.AwsTimeout);
  });
});

describe('training jobs and models', () => {
  it('describeTrainingJob returns status, duration, instance and final metrics', async () => {
    fake.sagemaker.setTrainingJob({
      TrainingJobName: 'fraud-detector-1-4-0-20261124-100000',
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      TrainingStartTime: new Date('2026-11-24T10:00:00Z'),
      TrainingEndTime: new Date('2026-11-24T10:42:00Z'),
      BillableTimeInSeconds: 2520,
      ResourceConfig: { InstanceType: 'ml.p3.2xlarge', InstanceCount: 1, VolumeSizeInGB: 50 },
      FinalMetricDataList: [
        { MetricName: 'validation:f1', Value: 0.91, Timestamp: new Date('2026-11-24T10:41:00Z') },
        { MetricName: 'validation:mse', Value: 0.041, Timestamp: new Date('2026-11-24T10:41:00Z') },
      ],
    });
    const job = await inspector.describeTrainingJob('fraud-detector-1-4-0-20261124-100000');
    expect(job).toMatchObject({ status: 'Completed', billableSeconds: 2520, instanceType: 'ml.p3.2xlarge', instanceCount: 1 });
    expect(job.finalMetrics).toEqual({ 'validation:f1': 0.91, 'validation:mse': 0.041 });
    expect((job.endedAt?.getTime() ?? 0) - (job.startedAt?.getTime() ?? 0)).toBe(42 * 60_000);
    const missing = await mlopsError(inspector.describeTrainingJob('nope'));
    expect(missing.code).toBe(ErrorCode.AwsNotFound);
  });

  it('listModels asks SageMaker for models by name, newest first', async () => {
    const models = await inspector.listModels('fraud-detector', 5);
    expect(models.map((m) => m.name)).toContain('fraud-detector-1-4-0');
    const call = fake.callsTo('sagemaker', 'ListModels').at(-1);
    expect(call?.body).toMatchObject({ NameContains: 'fraud-detector', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 5 });
  });
});
