/** Ports the core and services depend on; adapters live in src/aws, src/store, src/slack. */

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface DagTriggerRequest {
  dagId: string;
  dagRunId: string;
  conf: Record<string, unknown>;
}
export interface DagTriggerResult {
  dagRunId: string;
  state: string;
  /** True when the run id already existed (MWAA 409, or the Lambda said so): idempotent success. */
  alreadyTriggered: boolean;
}
/** `not_found`: the trigger answered that there is no such run (Airflow 404), unlike a failed call, which rejects. */
export type DagRunState = 'queued' | 'running' | 'success' | 'failed' | 'unknown' | 'not_found';

/**
 * Starts DAG runs (contract section 6). Failures reject with MlopsError codes TriggerFailed,
 * AwsAccessDenied, AwsThrottled, AwsTimeout or AwsFailed, with a plain-words message.
 */
export interface DagTrigger {
  readonly kind: 'lambda' | 'mwaa';
  trigger(request: DagTriggerRequest): Promise<DagTriggerResult>;
  /** State of a run, for the watchdog and for confirming a trigger whose outcome is unknown. */
  runState(dagId: string, dagRunId: string): Promise<{ state: DagRunState; raw?: string }>;
}

export interface EndpointVariant {
  variantName: string;
  modelName?: string;
  instanceType?: string;
  instanceCount?: number;
  weight?: number;
}
export interface EndpointDescription {
  name: string;
  status: string;
  failureReason?: string;
  lastModified?: Date;
  createdAt?: Date;
  endpointConfigName?: string;
  variants: EndpointVariant[];
  /** ShadowProductionVariants: a shadow test's variant, which gets a copy of the traffic and answers no one (issue 14). */
  shadowVariants?: EndpointVariant[];
}
export interface MetricSeries {
  id: string;
  label: string;
  unit: string;
  /** Oldest first. */
  points: { at: Date; value: number }[];
}
export interface TrainingJobSummary {
  name: string;
  status: string;
  secondaryStatus?: string;
  failureReason?: string;
  startedAt?: Date;
  endedAt?: Date;
  billableSeconds?: number;
  instanceType?: string;
  instanceCount?: number;
  /** AlgorithmSpecification.TrainingImage (lineage). */
  image?: string;
  /** InputDataConfig: each channel's name and S3 URI (lineage). */
  inputChannels?: { name: string; s3Uri?: string }[];
  /** HyperParameters as SageMaker stores them (strings). */
  hyperParameters?: Record<string, string>;
  /** FinalMetricDataList, by metric name. */
  finalMetrics: Record<string, number>;
}
export interface SagemakerModelSummary {
  name: string;
  createdAt?: Date;
}

/** SageMaker + CloudWatch, read-only (`status`, `models`, the Home tab, training messages). */
export interface EndpointInspector {
  /** DescribeTrainingJob: duration, instance and final metrics of a training job. */
  describeTrainingJob(name: string): Promise<TrainingJobSummary>;
  /** ListModels (NameContains, newest first, at most `limit`): the model versions SageMaker knows. */
  listModels(nameContains: string, limit?: number): Promise<SagemakerModelSummary[]>;
  describeEndpoint(name: string): Promise<EndpointDescription>;
  /**
   * Invocations, ModelLatency avg/p99 (ms), 4XX, 5XX, CPU, memory over the window, one GetMetricData call;
   * `latencyP50` adds ModelLatency p50 (the bake report and the shadow comparison; `/mlops status` does not ask).
   */
  endpointMetrics(
    endpoint: string,
    variants: readonly string[],
    from: Date,
    to: Date,
    periodSeconds?: number,
    options?: { latencyP50?: boolean },
  ): Promise<MetricSeries[]>;
}

/** A model package as DescribeModelPackage answers, the fields the registry sync reads. */
export interface ModelPackageState {
  /** ModelApprovalStatus: Approved, Rejected or PendingManualApproval. */
  status: string;
  description?: string;
  /** LastModifiedBy: the Studio user profile or IAM identity. */
  modifiedBy?: string;
  modifiedAt?: string;
}

/** The SageMaker Model Registry (contract 10): read and set a package's approval status. */
export interface ModelRegistry {
  /** DescribeModelPackage. */
  describePackage(arn: string): Promise<ModelPackageState>;
  /** UpdateModelPackage with ModelApprovalStatus and ApprovalDescription (idempotent: the same status twice changes nothing). */
  setApproval(arn: string, status: 'Approved' | 'Rejected', description: string): Promise<void>;
}
