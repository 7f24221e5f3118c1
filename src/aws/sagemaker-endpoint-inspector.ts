import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeTrainingJobCommand,
  ListModelsCommand,
  type ProductionVariant,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { ErrorCode } from '../core/errors';
import type { EndpointDescription, EndpointInspector, EndpointVariant, MetricSeries, SagemakerModelSummary, TrainingJobSummary } from '../core/ports';
import { awsErrorToMlopsError } from './aws-error-to-mlops-error';

/** One metric of an endpoint variant, as queried from CloudWatch. */
interface MetricSpec {
  /** Stable key, first part of MetricSeries.id. */
  key: EndpointMetricKey;
  namespace: 'AWS/SageMaker' | '/aws/sagemaker/Endpoints';
  metricName: string;
  stat: string;
  label: string;
  unit: string;
  /** Factor applied to every value (ModelLatency is reported in microseconds). */
  scale: number;
}

export type EndpointMetricKey =
  | 'invocations'
  | 'model_latency_avg'
  | 'model_latency_p50'
  | 'model_latency_p99'
  | 'invocation_4xx_errors'
  | 'invocation_5xx_errors'
  | 'cpu_utilization'
  | 'memory_utilization';

/** Metrics per variant, in the order the series are returned. */
export const ENDPOINT_METRICS: readonly MetricSpec[] = [
  { key: 'invocations', namespace: 'AWS/SageMaker', metricName: 'Invocations', stat: 'Sum', label: 'Invocations', unit: 'count', scale: 1 },
  // ModelLatency is published in microseconds: shown in milliseconds.
  {
    key: 'model_latency_avg',
    namespace: 'AWS/SageMaker',
    metricName: 'ModelLatency',
    stat: 'Average',
    label: 'Model latency (avg)',
    unit: 'ms',
    scale: 1 / 1000,
  },
  { key: 'model_latency_p99', namespace: 'AWS/SageMaker', metricName: 'ModelLatency', stat: 'p99', label: 'Model latency (p99)', unit: 'ms', scale: 1 / 1000 },
  { key: 'invocation_4xx_errors', namespace: 'AWS/SageMaker', metricName: 'Invocation4XXErrors', stat: 'Sum', label: '4XX errors', unit: 'count', scale: 1 },
  { key: 'invocation_5xx_errors', namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors', stat: 'Sum', label: '5XX errors', unit: 'count', scale: 1 },
  // Instance metrics: CPU is summed over cores (0-400 % on 4 vCPUs), memory is 0-100 %.
  {
    key: 'cpu_utilization',
    namespace: '/aws/sagemaker/Endpoints',
    metricName: 'CPUUtilization',
    stat: 'Average',
    label: 'CPU utilization',
    unit: 'percent',
    scale: 1,
  },
  {
    key: 'memory_utilization',
    namespace: '/aws/sagemaker/Endpoints',
    metricName: 'MemoryUtilization',
    stat: 'Average',
    label: 'Memory utilization',
    unit: 'percent',
    scale: 1,
  },
];

/** Asked only with `latencyP50` (bake report, shadow comparison), after the others. */
const MODEL_LATENCY_P50: MetricSpec = {
  key: 'model_latency_p50',
  namespace: 'AWS/SageMaker',
  metricName: 'ModelLatency',
  stat: 'p50',
  label: 'Model latency (p50)',
  unit: 'ms',
  scale: 1 / 1000,
};

/** GetMetricData returns at most 100,800 data points per call; keep well within it. */
const MAX_POINTS_PER_SERIES = 1440;

/**
 * EndpointInspector over SageMaker and CloudWatch (read-only).
 *
 * describeEndpoint: DescribeEndpoint + DescribeEndpointConfig. Variants follow the endpoint
 * config's order; model name and instance type come from the config, instance count and weight
 * are the endpoint's current ones when it reports them (else the config's initial ones). Variants
 * the endpoint reports that the config lacks (mid-update) are appended.
 *
 * endpointMetrics: ONE GetMetricData call with 7 queries per variant (see ENDPOINT_METRICS),
 * dimensions EndpointName + VariantName, period 60 s or the caller's (wider only when the window would
 * exceed 1,440 points per series). Series are PER VARIANT: id `<key>:<variant>` (e.g.
 * `model_latency_p99:AllTraffic`), label `<metric label> (<variant>)`; summing or averaging across
 * variants is the caller's job. Points are oldest first; latency is in ms. With no variants
 * given, the endpoint is described first to learn them (its production variants, not a shadow).
 * `latencyP50` adds an 8th query per variant (ModelLatency p50).
 */
export function createSagemakerEndpointInspector(sagemaker: SageMakerClient, cloudwatch: CloudWatchClient): EndpointInspector {
  async function describeEndpoint(name: string): Promise<EndpointDescription> {
    let endpoint;
    try {
      endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    } catch (error) {
      throw awsErrorToMlopsError(error, { action: 'sagemaker:DescribeEndpoint', resource: `endpoint ${name}` });
    }
    const configName = endpoint.EndpointConfigName;
    let configVariants: ProductionVariant[] = [];
    let configShadows: ProductionVariant[] = [];
    if (configName !== undefined) {
      try {
        const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
        configVariants = config.ProductionVariants ?? [];
        configShadows = config.ShadowProductionVariants ?? [];
      } catch (error) {
        const mapped = awsErrorToMlopsError(error, { action: 'sagemaker:DescribeEndpointConfig', resource: `endpoint config ${configName}` });
        // A deleted config must not hide the endpoint's own state; anything else is a real failure.
        if (mapped.code !== ErrorCode.AwsNotFound) throw mapped;
      }
    }

    const variants = mergeVariants(configVariants, endpoint.ProductionVariants);
    // A shadow test's variant (one at most): from the config, with the endpoint's live count when it reports one.
    const shadowVariants = mergeVariants(configShadows, endpoint.ShadowProductionVariants);
    return compact({
      name: endpoint.EndpointName ?? name,
      status: endpoint.EndpointStatus ?? 'Unknown',
      failureReason: endpoint.FailureReason,
      lastModified: endpoint.LastModifiedTime,
      createdAt: endpoint.CreationTime,
      endpointConfigName: configName,
      variants,
      ...(shadowVariants.length > 0 ? { shadowVariants } : {}),
    });
  }

  async function endpointMetrics(
    endpoint: string,
    variants: readonly string[],
    from: Date,
    to: Date,
    periodSeconds?: number,
    options: { latencyP50?: boolean } = {},
  ): Promise<MetricSeries[]> {
    const specs = options.latencyP50 === true ? [...ENDPOINT_METRICS, MODEL_LATENCY_P50] : ENDPOINT_METRICS;
    const names = variants.length > 0 ? [...variants] : (await describeEndpoint(endpoint)).variants.map((v) => v.variantName);
    if (names.length === 0) return [];
    const minutes = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / 60_000));
    const fitting = 60 * Math.max(1, Math.ceil(minutes / MAX_POINTS_PER_SERIES));
    // A caller's period (a multiple of 60 s) is kept unless it would give more points than the cap.
    const period = periodSeconds !== undefined && periodSeconds % 60 === 0 ? Math.max(periodSeconds, fitting) : fitting;

    // Query ids must match ^[a-z][a-zA-Z0-9_]*$: index-based, mapped back below.
    const plan: { id: string; spec: MetricSpec; variant: string }[] = [];
    const queries: MetricDataQuery[] = [];
    names.forEach((variant, vi) => {
      specs.forEach((spec, mi) => {
        const id = `m${mi}_v${vi}`;
        plan.push({ id, spec, variant });
        queries.push({
          Id: id,
          Label: `${spec.label} (${variant})`,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: spec.namespace,
              MetricName: spec.metricName,
              Dimensions: [
                { Name: 'EndpointName', Value: endpoint },
                { Name: 'VariantName', Value: variant },
              ],
            },
            Period: period,
            Stat: spec.stat,
          },
        });
      });
    });

    let output;
    try {
      output = await cloudwatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: from, EndTime: to, ScanBy: 'TimestampAscending' }));
    } catch (error) {
      throw awsErrorToMlopsError(error, { action: 'cloudwatch:GetMetricData', resource: `metrics of endpoint ${endpoint}` });
    }
    const results = new Map((output.MetricDataResults ?? []).map((r) => [r.Id, r]));
    return plan.map(({ id, spec, variant }) => {
      const r = results.get(id);
      const times = r?.Timestamps ?? [];
      const values = r?.Values ?? [];
      const points = times
        .map((at, i) => ({ at: new Date(at), value: (values[i] ?? Number.NaN) * spec.scale }))
        .filter((p) => Number.isFinite(p.value) && !Number.isNaN(p.at.getTime()))
        // Oldest first whatever order CloudWatch used (its default is newest first).
        .sort((a, b) => a.at.getTime() - b.at.getTime());
      return { id: `${spec.key}:${variant}`, label: `${spec.label} (${variant})`, unit: spec.unit, points };
    });
  }

  async function describeTrainingJob(name: string): Promise<TrainingJobSummary> {
    let job;
    try {
      job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    } catch (error) {
      throw awsErrorToMlopsError(error, { action: 'sagemaker:DescribeTrainingJob', resource: `training job ${name}` });
    }
    const finalMetrics: Record<string, number> = {};
    for (const m of job.FinalMetricDataList ?? []) if (m.MetricName !== undefined && m.Value !== undefined) finalMetrics[m.MetricName] = m.Value;
    return compact({
      name: job.TrainingJobName ?? name,
      status: job.TrainingJobStatus ?? 'Unknown',
      secondaryStatus: job.SecondaryStatus,
      failureReason: job.FailureReason,
      startedAt: job.TrainingStartTime,
      endedAt: job.TrainingEndTime,
      billableSeconds: job.BillableTimeInSeconds,
      instanceType: job.ResourceConfig?.InstanceType,
      instanceCount: job.ResourceConfig?.InstanceCount,
      image: job.AlgorithmSpecification?.TrainingImage,
      inputChannels: job.InputDataConfig?.map((c) => compact({ name: c.ChannelName ?? '(unnamed)', s3Uri: c.DataSource?.S3DataSource?.S3Uri })),
      hyperParameters: job.HyperParameters,
      finalMetrics,
    });
  }

  async function listModels(nameContains: string, limit = 10): Promise<SagemakerModelSummary[]> {
    try {
      const out = await sagemaker.send(
        new ListModelsCommand({ NameContains: nameContains, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: Math.min(100, Math.max(1, limit)) }),
      );
      return (out.Models ?? []).filter((m) => m.ModelName !== undefined).map((m) => compact({ name: m.ModelName as string, createdAt: m.CreationTime }));
    } catch (error) {
      throw awsErrorToMlopsError(error, { action: 'sagemaker:ListModels', resource: `models named like ${nameContains}` });
    }
  }

  return { describeEndpoint, endpointMetrics, describeTrainingJob, listModels };
}

/** Drops undefined properties, so optional fields are absent rather than undefined (exactOptional-friendly). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The endpoint's variants: each configured one with the live instance count and weight when the
 * endpoint reports them, then any live variant the config does not name.
 */
function mergeVariants(
  configured: readonly { VariantName?: string; ModelName?: string; InstanceType?: string; InitialInstanceCount?: number; InitialVariantWeight?: number }[],
  reported: readonly { VariantName?: string; CurrentInstanceCount?: number; CurrentWeight?: number }[] | undefined,
): EndpointVariant[] {
  const live = new Map((reported ?? []).filter((v) => v.VariantName).map((v) => [v.VariantName as string, v]));
  const variants: EndpointVariant[] = [];
  for (const cv of configured) {
    if (cv.VariantName === undefined) continue;
    const lv = live.get(cv.VariantName);
    live.delete(cv.VariantName);
    variants.push(
      compact({
        variantName: cv.VariantName,
        modelName: cv.ModelName,
        instanceType: cv.InstanceType,
        instanceCount: lv?.CurrentInstanceCount ?? cv.InitialInstanceCount,
        weight: lv?.CurrentWeight ?? cv.InitialVariantWeight,
      }),
    );
  }
  for (const [variantName, lv] of live) variants.push(compact({ variantName, instanceCount: lv.CurrentInstanceCount, weight: lv.CurrentWeight }));
  return variants;
}
