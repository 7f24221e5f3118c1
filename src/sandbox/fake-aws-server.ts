/**
 * A loopback fake of the AWS APIs the bot calls, for adapter tests, end-to-end tests and benchmarks.
 *
 * Point the real SDK v3 clients at `url` (client option `endpoint`, or AWS_ENDPOINT_URL) with any
 * static credentials. One server speaks each client's wire protocol, as installed here:
 * - Lambda, restJson1: `POST /2015-03-31/functions/{name}/invocations`; the body is the payload,
 *   a function error is HTTP 200 + `X-Amz-Function-Error: Unhandled` + `{errorMessage,errorType}`.
 * - SageMaker, awsJson1_1: `POST /`, `X-Amz-Target: SageMaker.<Operation>` (DescribeEndpoint,
 *   DescribeEndpointConfig, ListModels, DescribeTrainingJob, DescribeModelPackage, UpdateModelPackage);
 *   timestamps are epoch seconds.
 * - CloudWatch, awsJson1_0 with query compatibility (client-cloudwatch 3.11xx; not the old query
 *   protocol): `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`; errors also carry
 *   `x-amzn-query-error: <Code>;Sender`, from which the SDK takes the error name ('Throttling',
 *   'AccessDenied').
 * - MWAA, restJson1: `POST /restapi/{Name}` with `{Path, Method, QueryParameters, Body}` answering
 *   `{RestApiStatusCode, RestApiResponse}`; an Airflow status >= 400 is HTTP 400 with
 *   `x-amzn-errortype: RestApiClientException` (RestApiServerException for 5xx) and the same two
 *   members, as in the MWAA model.
 * AWS errors are sent the way each protocol does (`x-amzn-errortype` header and/or `__type`), so
 * the SDK raises an error whose `name` is the type. Signatures are not verified; each call records
 * whether an Authorization header was present (`signed`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type FakeAwsService = 'lambda' | 'sagemaker' | 'cloudwatch' | 'mwaa';

export interface FakeAwsCall {
  service: FakeAwsService | 'unknown';
  operation: string;
  /** Parsed JSON body (Lambda: the payload, or its text when not JSON). */
  body: unknown;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  method: string;
  path: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** An Authorization header was present (the signature itself is not checked). */
  signed: boolean;
}

/** An AWS error, serialised per protocol. */
export interface FakeAwsError {
  /** HTTP status, e.g. 400 ThrottlingException (JSON services), 429 TooManyRequestsException (Lambda), 403 AccessDeniedException. */
  status: number;
  /** Error type as AWS names it: 'ThrottlingException', 'AccessDeniedException', 'ValidationException', … */
  type: string;
  message?: string;
  /** Extra members of the error structure (e.g. RestApiStatusCode). */
  fields?: Record<string, unknown>;
  /** CloudWatch only: the legacy query code for `x-amzn-query-error`; derived from `type` when unset. */
  queryCode?: string;
}

/** What a handler answers. Nothing set: an empty success. */
export interface FakeAwsReply {
  /** Wait this long before answering (a client with a shorter timeout gives up first). */
  delayMs?: number;
  /** Success body, JSON-serialised. */
  result?: unknown;
  /** Success body as is (Lambda payloads that are not JSON). */
  rawBody?: string;
  /** Success status, default 200. */
  status?: number;
  headers?: Record<string, string>;
  error?: FakeAwsError;
  /**
   * What happens to the answer after the request was handled (its side effects done, e.g. a DAG
   * run stored): 'lost' never answers (the client times out), 'reset' destroys the connection.
   */
  fate?: FakeAwsFate;
}

/** An answer that never arrives although the request was received and acted on. */
export type FakeAwsFate = 'lost' | 'reset';

/** For answerFate(): which answers are lost, and how. 'late' answers after `lateMs` (beyond the client's timeout). */
export interface FakeAwsFateRule {
  fate: FakeAwsFate | 'late';
  /** 'late' only: extra delay before the answer, default 10 s. */
  lateMs?: number;
  /** How many matching calls, default all until clearFates(). */
  times?: number;
  /** Only calls this matches (e.g. Lambda trigger Invokes, not status reads). */
  when?: (request: FakeAwsRequest) => boolean;
}

export interface FakeAwsRequest {
  service: FakeAwsService;
  operation: string;
  body: unknown;
  headers: Record<string, string>;
  path: string;
  query: URLSearchParams;
  /** Lambda: `functionName`; MWAA: `environment`. */
  params: Record<string, string>;
}

/** Answer a call; `undefined` falls through to the fake's default behaviour. */
export type FakeAwsHandler = (request: FakeAwsRequest) => FakeAwsReply | undefined | Promise<FakeAwsReply | undefined>;

export interface FakeLambdaReply {
  delayMs?: number;
  /** The function ran (side effects done) but its answer is lost or the connection reset. */
  fate?: FakeAwsFate;
  /** The function's result, JSON-serialised (a string is sent as is). */
  payload?: unknown;
  /** The function threw: HTTP 200 + X-Amz-Function-Error. */
  functionError?: { errorMessage: string; errorType?: string; kind?: 'Unhandled' | 'Handled' };
  /** The Invoke API itself failed (throttled, access denied, …). */
  error?: FakeAwsError;
}
export type FakeLambdaHandler = (payload: unknown, request: FakeAwsRequest) => FakeLambdaReply | undefined | Promise<FakeLambdaReply | undefined>;

export interface FakeRestApiCall {
  environment: string;
  /** Airflow REST path, e.g. /dags/x/dagRuns (a leading /api/v1 is removed). */
  path: string;
  method: string;
  body: unknown;
  queryParameters: unknown;
}
export interface FakeRestApiReply {
  delayMs?: number;
  /** Airflow's HTTP status; >= 400 becomes RestApiClientException / RestApiServerException. */
  statusCode?: number;
  response?: unknown;
  /** An AWS-level error instead (AccessDenied, ResourceNotFound for an unknown environment, …). */
  error?: FakeAwsError;
}
export type FakeRestApiHandler = (call: FakeRestApiCall, request: FakeAwsRequest) => FakeRestApiReply | undefined | Promise<FakeRestApiReply | undefined>;

export interface FakeVariantSpec {
  name: string;
  model: string;
  instanceType?: string;
  instanceCount?: number;
  /** Config's InitialVariantWeight. */
  initialWeight?: number;
  /** Endpoint's CurrentWeight (default: initialWeight). */
  currentWeight?: number;
  /** Endpoint's CurrentInstanceCount (default: instanceCount). */
  currentInstanceCount?: number;
}
export interface FakeEndpointSpec {
  name: string;
  status?: string;
  configName?: string;
  failureReason?: string;
  createdAt?: Date;
  lastModified?: Date;
  variants: FakeVariantSpec[];
  /** ShadowProductionVariants (a shadow test's variant), in DescribeEndpoint and DescribeEndpointConfig. */
  shadowVariants?: FakeVariantSpec[];
}

export interface FakeSeriesKey {
  metricName: string;
  stat?: string;
  endpoint?: string;
  variant?: string;
}

export interface FakeDagRun {
  dagId: string;
  dagRunId: string;
  state: string;
  conf: unknown;
}

export interface FakeAws {
  /** Base URL (http://127.0.0.1:port) for AWS_ENDPOINT_URL or a client's `endpoint`. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly calls: FakeAwsCall[];
  callsTo(service: FakeAwsService, operation?: string): FakeAwsCall[];
  /** Replaces the handler of one operation (e.g. ('cloudwatch', 'GetMetricData')). */
  on(service: FakeAwsService, operation: string, handler: FakeAwsHandler): void;
  off(service: FakeAwsService, operation: string): void;
  /** Answers the next `times` calls of an operation with `reply`, before any handler. */
  failNext(service: FakeAwsService, operation: string, reply: FakeAwsReply, times?: number): void;
  /** Base latency of every answer of an operation ('*': every operation of the service), on top of a reply's delayMs. */
  latency(service: FakeAwsService, operation: string, ms: number): void;
  /**
   * Answers of matching calls are lost, reset or late AFTER the call was handled as usual (a Lambda
   * trigger still stores its run): the request was received, the client never learns the outcome.
   */
  answerFate(service: FakeAwsService, operation: string, rule: FakeAwsFateRule): void;
  /** Forgets the fate rules (answers arrive again). */
  clearFates(): void;
  /** Calls whose answer was lost, reset or sent late, in arrival order. */
  readonly unanswered: FakeAwsCall[];
  lambda: {
    onInvoke(handler: FakeLambdaHandler): void;
    /** Runs the default Lambda accepted. */
    runs(): FakeDagRun[];
    setRunState(dagId: string, dagRunId: string, state: string): void;
  };
  mwaa: {
    onInvokeRestApi(handler: FakeRestApiHandler): void;
    /** Runs the default Airflow stored, per environment or all. */
    runs(environment?: string): (FakeDagRun & { environment: string })[];
    setRunState(dagId: string, dagRunId: string, state: string, environment?: string): void;
  };
  sagemaker: {
    setEndpoint(spec: FakeEndpointSpec): void;
    /** The endpoint as set (undefined when there is none). */
    endpoint(name: string): FakeEndpointSpec | undefined;
    removeEndpoint(name: string): void;
    /** A DescribeTrainingJob answer (SDK field names, timestamps as Date or epoch seconds). */
    setTrainingJob(job: { TrainingJobName: string } & Record<string, unknown>): void;
    /**
     * A Model Registry package (DescribeModelPackage / UpdateModelPackage): wire field names, e.g. the
     * `detail` of a "SageMaker Model Package State Change" event. UpdateModelPackage changes it in place.
     */
    setModelPackage(pkg: { ModelPackageArn: string } & Record<string, unknown>): void;
    /** The package as it stands now (undefined when unknown). */
    modelPackage(arn: string): Record<string, unknown> | undefined;
  };
  cloudwatch: {
    /**
     * Values (oldest first) or a function of the point index (0 = oldest of 60) for matching queries;
     * the function also gets the point's time (epoch seconds): a step change at a given time.
     */
    setSeries(key: FakeSeriesKey, values: readonly number[] | ((index: number, atSeconds: number) => number)): void;
  };
  /** Forgets calls, handlers, failures and state; fixtures return to their defaults. */
  reset(): void;
  close(): Promise<void>;
}

/** MWAA InvokeRestApi refuses a `Path` longer than this (API reference, ValidationException). */
export const MWAA_MAX_PATH = 64;
/** MWAA gives Airflow 10 s to answer an InvokeRestApi call. */
export const MWAA_AIRFLOW_TIMEOUT_MS = 10_000;
/** MWAA refuses an Airflow answer over 6 MB. */
export const MWAA_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';
export const DEFAULT_ENDPOINT_NAME = 'fraud-detector-prod';
export const DEFAULT_TRAINING_JOB_NAME = 'fraud-detector-1-4-0-20261124-100000';

/** InService, one variant 'AllTraffic', two ml.m5.large instances. */
export const DEFAULT_ENDPOINT: FakeEndpointSpec = {
  name: DEFAULT_ENDPOINT_NAME,
  status: 'InService',
  configName: 'fraud-detector-prod-config-1-4-0',
  createdAt: new Date('2026-11-01T09:00:00Z'),
  lastModified: new Date('2026-11-20T14:30:00Z'),
  variants: [{ name: 'AllTraffic', model: 'fraud-detector-1-4-0', instanceType: 'ml.m5.large', instanceCount: 2, initialWeight: 1 }],
};

const secs = (d: Date) => d.getTime() / 1000;

function defaultTrainingJob(): Record<string, unknown> {
  const name = DEFAULT_TRAINING_JOB_NAME;
  return {
    TrainingJobName: name,
    TrainingJobArn: `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:training-job/${name}`,
    TrainingJobStatus: 'Completed',
    SecondaryStatus: 'Completed',
    CreationTime: secs(new Date('2026-11-24T10:00:00Z')),
    TrainingStartTime: secs(new Date('2026-11-24T10:02:10Z')),
    TrainingEndTime: secs(new Date('2026-11-24T10:41:55Z')),
    LastModifiedTime: secs(new Date('2026-11-24T10:42:30Z')),
    AlgorithmSpecification: { TrainingImage: `${FAKE_ACCOUNT}.dkr.ecr.${FAKE_REGION}.amazonaws.com/mlops/fraud-detector:1.4.0`, TrainingInputMode: 'File' },
    RoleArn: `arn:aws:iam::${FAKE_ACCOUNT}:role/mlops-sagemaker-training`,
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 7200 },
    HyperParameters: { epochs: '20', learning_rate: '0.01' },
    ModelArtifacts: { S3ModelArtifacts: `s3://mlops-artifacts-${FAKE_ACCOUNT}/fraud-detector/${name}/output/model.tar.gz` },
    FinalMetricDataList: [
      { MetricName: 'validation:f1', Value: 0.91, Timestamp: secs(new Date('2026-11-24T10:41:00Z')) },
      { MetricName: 'validation:precision', Value: 0.93, Timestamp: secs(new Date('2026-11-24T10:41:00Z')) },
    ],
    BillableTimeInSeconds: 2385,
  };
}

/** Deterministic default values, index 0 = oldest point. ModelLatency is in microseconds, as AWS reports it. */
function defaultValue(metricName: string, stat: string, i: number): number {
  switch (metricName) {
    case 'Invocations':
      return 100 + ((i * 7) % 13);
    case 'ModelLatency':
      if (stat === 'p50') return 15_000 + ((i * 37) % 11) * 100;
      return stat === 'Average' ? 20_000 + ((i * 37) % 11) * 100 : 45_000 + ((i * 37) % 11) * 500;
    case 'OverheadLatency':
      return 1_500 + (i % 4) * 10;
    case 'Invocation4XXErrors':
      return i % 10 === 0 ? 1 : 0;
    case 'Invocation5XXErrors':
      return 0;
    case 'CPUUtilization':
      return 30 + (i % 20);
    case 'MemoryUtilization':
      return 55 + (i % 5);
    default:
      return i;
  }
}

// Legacy query codes CloudWatch sends in x-amzn-query-error.
const QUERY_CODES: Record<string, string> = {
  ThrottlingException: 'Throttling',
  AccessDeniedException: 'AccessDenied',
  ResourceNotFoundException: 'ResourceNotFound',
  InternalServiceFault: 'InternalServiceError',
};

type Protocol = 'restJson1' | 'awsJson1_1' | 'awsJson1_0';
const PROTOCOL: Record<FakeAwsService, Protocol> = {
  lambda: 'restJson1',
  mwaa: 'restJson1',
  sagemaker: 'awsJson1_1',
  cloudwatch: 'awsJson1_0',
};
const TARGET_PREFIX: Record<string, FakeAwsService> = {
  SageMaker: 'sagemaker',
  GraniteServiceVersion20100801: 'cloudwatch',
};

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function airflowProblem(status: number, title: string, detail: string, kind: string): JsonObject {
  return { detail, status, title, type: `https://airflow.apache.org/docs/apache-airflow/2.10.3/stable-rest-api-ref.html#section/Errors/${kind}` };
}

export async function startFakeAws(): Promise<FakeAws> {
  const calls: FakeAwsCall[] = [];
  const handlers = new Map<string, FakeAwsHandler>();
  const failures = new Map<string, { reply: FakeAwsReply; times: number }>();
  const lambdaRuns = new Map<string, FakeDagRun>();
  const mwaaRuns = new Map<string, Map<string, FakeDagRun>>();
  const endpoints = new Map<string, FakeEndpointSpec>();
  const trainingJobs = new Map<string, Record<string, unknown>>();
  const modelPackages = new Map<string, Record<string, unknown>>();
  let series: { key: FakeSeriesKey; values: readonly number[] | ((i: number, atSeconds: number) => number) }[] = [];
  const pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const latencies = new Map<string, number>();
  let fateRules: { service: FakeAwsService; operation: string; rule: FakeAwsFateRule; left: number }[] = [];
  const unanswered: FakeAwsCall[] = [];

  function seed(): void {
    endpoints.clear();
    endpoints.set(DEFAULT_ENDPOINT.name, DEFAULT_ENDPOINT);
    trainingJobs.clear();
    trainingJobs.set(DEFAULT_TRAINING_JOB_NAME, defaultTrainingJob());
    modelPackages.clear();
    lambdaRuns.clear();
    mwaaRuns.clear();
    series = [];
  }
  seed();

  const key = (service: string, operation: string) => `${service}.${operation}`;
  const runKey = (dagId: string, runId: string) => `${dagId}\u0000${runId}`;

  // ---------- defaults ----------

  function lambdaDefault(payload: unknown): FakeLambdaReply {
    const p = isObject(payload) ? payload : {};
    const dagId = str(p.dag_name);
    const runId = str(p.dag_run_id);
    if (dagId === undefined || runId === undefined) {
      return { payload: { statusCode: 400, message: 'dag_name and dag_run_id are required' } };
    }
    const existing = lambdaRuns.get(runKey(dagId, runId));
    if (p.action === 'status') {
      return existing
        ? { payload: { dag_run_id: runId, state: existing.state } }
        : { payload: { statusCode: 404, message: `DAG run ${runId} of ${dagId} not found` } };
    }
    if (existing) return { payload: { dag_run_id: runId, state: existing.state, already_triggered: true } };
    lambdaRuns.set(runKey(dagId, runId), { dagId, dagRunId: runId, state: 'queued', conf: p.conf ?? {} });
    return { payload: { dag_run_id: runId, state: 'queued' } };
  }

  function airflowDefault(call: FakeRestApiCall): FakeRestApiReply {
    const parts = call.path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    let runs = mwaaRuns.get(call.environment);
    if (!runs) mwaaRuns.set(call.environment, (runs = new Map<string, FakeDagRun>()));
    if (parts[0] === 'dags' && parts[2] === 'dagRuns' && parts.length === 3 && parts[1] !== undefined && call.method === 'POST') {
      const dagId = parts[1];
      const body = isObject(call.body) ? call.body : {};
      const now = new Date().toISOString();
      const runId = str(body.dag_run_id) ?? `manual__${now}`;
      if (runs.has(runKey(dagId, runId))) {
        return {
          statusCode: 409,
          response: airflowProblem(409, 'Conflict', `DAGRun with DAG ID: '${dagId}' and DAGRun ID: '${runId}' already exists`, 'AlreadyExists'),
        };
      }
      const run: FakeDagRun = { dagId, dagRunId: runId, state: 'queued', conf: body.conf ?? {} };
      runs.set(runKey(dagId, runId), run);
      return { statusCode: 200, response: dagRunJson(run, now) };
    }
    if (parts[0] === 'dags' && parts[2] === 'dagRuns' && parts.length === 3 && parts[1] !== undefined && call.method === 'GET') {
      // List, newest first (the fake's insertion order stands for execution_date), limit/offset pages.
      const dagId = parts[1];
      const q = isObject(call.queryParameters) ? call.queryParameters : {};
      const limit = Math.min(100, Math.max(1, Number(q.limit ?? 100) || 100));
      const offset = Math.max(0, Number(q.offset ?? 0) || 0);
      const all = [...runs.values()].filter((r) => r.dagId === dagId).reverse();
      return { statusCode: 200, response: { dag_runs: all.slice(offset, offset + limit).map((r) => dagRunJson(r)), total_entries: all.length } };
    }
    if (parts[0] === 'dags' && parts[2] === 'dagRuns' && parts.length === 4 && call.method === 'GET') {
      const [, dagId = '', , runId = ''] = parts;
      const run = runs.get(runKey(dagId, runId));
      return run
        ? { statusCode: 200, response: dagRunJson(run) }
        : {
            statusCode: 404,
            response: airflowProblem(404, 'DAGRun not found', `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`, 'NotFound'),
          };
    }
    return { statusCode: 404, response: airflowProblem(404, 'Not Found', `No Airflow API route for ${call.method} ${call.path} in this fake`, 'NotFound') };
  }

  function dagRunJson(run: FakeDagRun, at = '2026-11-24T10:00:00+00:00'): JsonObject {
    return {
      conf: run.conf,
      dag_id: run.dagId,
      dag_run_id: run.dagRunId,
      data_interval_end: at,
      data_interval_start: at,
      end_date: null,
      execution_date: at,
      external_trigger: true,
      last_scheduling_decision: null,
      logical_date: at,
      note: null,
      run_type: 'manual',
      start_date: run.state === 'queued' ? null : at,
      state: run.state,
    };
  }

  function endpointArn(name: string) {
    return `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:endpoint/${name.toLowerCase()}`;
  }

  function sagemakerDefault(operation: string, body: JsonObject): FakeAwsReply {
    switch (operation) {
      case 'DescribeEndpoint': {
        const name = str(body.EndpointName) ?? '';
        const ep = endpoints.get(name);
        if (!ep) return { error: { status: 400, type: 'ValidationException', message: `Could not find endpoint "${endpointArn(name)}".` } };
        const configName = ep.configName ?? `${ep.name}-config`;
        return {
          result: {
            EndpointName: ep.name,
            EndpointArn: endpointArn(ep.name),
            EndpointConfigName: configName,
            ProductionVariants: ep.variants.map((v) => ({
              VariantName: v.name,
              DeployedImages: [
                {
                  SpecifiedImage: `${FAKE_ACCOUNT}.dkr.ecr.${FAKE_REGION}.amazonaws.com/mlops/${v.model}:latest`,
                  ResolvedImage: `${FAKE_ACCOUNT}.dkr.ecr.${FAKE_REGION}.amazonaws.com/mlops/${v.model}@sha256:${'0'.repeat(64)}`,
                  ResolutionTime: secs(ep.lastModified ?? new Date('2026-11-20T14:30:00Z')),
                },
              ],
              CurrentWeight: v.currentWeight ?? v.initialWeight ?? 1,
              DesiredWeight: v.currentWeight ?? v.initialWeight ?? 1,
              CurrentInstanceCount: v.currentInstanceCount ?? v.instanceCount ?? 1,
              DesiredInstanceCount: v.currentInstanceCount ?? v.instanceCount ?? 1,
            })),
            ...(ep.shadowVariants !== undefined
              ? {
                  ShadowProductionVariants: ep.shadowVariants.map((v) => ({
                    VariantName: v.name,
                    CurrentWeight: v.currentWeight ?? v.initialWeight ?? 1,
                    CurrentInstanceCount: v.currentInstanceCount ?? v.instanceCount ?? 1,
                  })),
                }
              : {}),
            EndpointStatus: ep.status ?? 'InService',
            ...(ep.failureReason !== undefined ? { FailureReason: ep.failureReason } : {}),
            CreationTime: secs(ep.createdAt ?? new Date('2026-11-01T09:00:00Z')),
            LastModifiedTime: secs(ep.lastModified ?? new Date('2026-11-20T14:30:00Z')),
          },
        };
      }
      case 'DescribeEndpointConfig': {
        const name = str(body.EndpointConfigName) ?? '';
        const ep = [...endpoints.values()].find((e) => (e.configName ?? `${e.name}-config`) === name);
        if (!ep) {
          return {
            error: {
              status: 400,
              type: 'ValidationException',
              message: `Could not find endpoint configuration "arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:endpoint-config/${name.toLowerCase()}".`,
            },
          };
        }
        return {
          result: {
            EndpointConfigName: name,
            EndpointConfigArn: `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:endpoint-config/${name.toLowerCase()}`,
            ProductionVariants: ep.variants.map((v) => ({
              VariantName: v.name,
              ModelName: v.model,
              InitialInstanceCount: v.instanceCount ?? 1,
              InstanceType: v.instanceType ?? 'ml.m5.large',
              InitialVariantWeight: v.initialWeight ?? 1,
            })),
            ...(ep.shadowVariants !== undefined
              ? {
                  ShadowProductionVariants: ep.shadowVariants.map((v) => ({
                    VariantName: v.name,
                    ModelName: v.model,
                    InitialInstanceCount: v.instanceCount ?? 1,
                    InstanceType: v.instanceType ?? 'ml.m5.large',
                    InitialVariantWeight: v.initialWeight ?? 1,
                  })),
                }
              : {}),
            CreationTime: secs(ep.lastModified ?? new Date('2026-11-20T14:00:00Z')),
          },
        };
      }
      case 'ListModels': {
        const contains = str(body.NameContains);
        const names = [...new Set([...endpoints.values()].flatMap((e) => e.variants.map((v) => v.model)))].sort();
        return {
          result: {
            Models: names
              .filter((n) => contains === undefined || n.includes(contains))
              .map((n) => ({
                ModelName: n,
                ModelArn: `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:model/${n}`,
                CreationTime: secs(new Date('2026-11-20T13:55:00Z')),
              })),
          },
        };
      }
      case 'DescribeTrainingJob': {
        const job = trainingJobs.get(str(body.TrainingJobName) ?? '');
        return job ? { result: job } : { error: { status: 400, type: 'ValidationException', message: 'Requested resource not found.' } };
      }
      case 'DescribeModelPackage': {
        const name = str(body.ModelPackageName) ?? '';
        const pkg = modelPackages.get(name);
        return pkg ? { result: pkg } : { error: { status: 400, type: 'ValidationException', message: `ModelPackage ${name} does not exist.` } };
      }
      case 'UpdateModelPackage': {
        // As SageMaker validates (API reference): the package must exist, a known status, ApprovalDescription <= 1024.
        const arn = str(body.ModelPackageArn) ?? '';
        const pkg = modelPackages.get(arn);
        if (!pkg) return { error: { status: 400, type: 'ValidationException', message: `ModelPackage ${arn} does not exist.` } };
        const status = body.ModelApprovalStatus;
        if (status !== undefined && status !== 'Approved' && status !== 'Rejected' && status !== 'PendingManualApproval') {
          return {
            error: {
              status: 400,
              type: 'ValidationException',
              message: `1 validation error detected: Value ${JSON.stringify(status)} at 'modelApprovalStatus' failed to satisfy constraint`,
            },
          };
        }
        const description = body.ApprovalDescription;
        if (typeof description === 'string' && description.length > 1024) {
          return {
            error: {
              status: 400,
              type: 'ValidationException',
              message:
                "1 validation error detected: Value at 'approvalDescription' failed to satisfy constraint: Member must have length less than or equal to 1024",
            },
          };
        }
        modelPackages.set(arn, {
          ...pkg,
          ...(status !== undefined ? { ModelApprovalStatus: status } : {}),
          ...(typeof description === 'string' ? { ApprovalDescription: description } : {}),
          LastModifiedTime: secs(new Date()),
          LastModifiedBy: { IamIdentity: { Arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/mlops-chatops-bot/bot`, PrincipalId: 'AROAFAKE:bot' } },
        });
        return { result: { ModelPackageArn: arn } };
      }
      default:
        return { error: { status: 400, type: 'UnknownOperationException', message: `The fake does not implement SageMaker.${operation}` } };
    }
  }

  function seriesValues(q: { metricName: string; stat: string; endpoint?: string; variant?: string }, timeOf: (i: number) => number): number[] {
    const matches = (k: FakeSeriesKey) =>
      k.metricName === q.metricName &&
      (k.stat === undefined || k.stat === q.stat) &&
      (k.endpoint === undefined || k.endpoint === q.endpoint) &&
      (k.variant === undefined || k.variant === q.variant);
    const custom = [...series].reverse().find((s) => matches(s.key));
    if (custom && typeof custom.values !== 'function') return [...custom.values];
    const fn = custom && typeof custom.values === 'function' ? custom.values : (i: number) => defaultValue(q.metricName, q.stat, i);
    return Array.from({ length: 60 }, (_, i) => fn(i, timeOf(i)));
  }

  function cloudwatchDefault(operation: string, body: JsonObject): FakeAwsReply {
    if (operation !== 'GetMetricData') {
      return { error: { status: 400, type: 'InvalidAction', message: `The fake does not implement CloudWatch ${operation}` } };
    }
    const endSec = typeof body.EndTime === 'number' ? body.EndTime : Date.now() / 1000;
    const end = Math.floor(endSec / 60) * 60; // CloudWatch's end time is exclusive
    const ascending = body.ScanBy === 'TimestampAscending';
    const queries = Array.isArray(body.MetricDataQueries) ? body.MetricDataQueries : [];
    const results = queries.filter(isObject).map((q) => {
      const stat = isObject(q.MetricStat) ? q.MetricStat : undefined;
      const metric = stat && isObject(stat.Metric) ? stat.Metric : undefined;
      const dims = metric && Array.isArray(metric.Dimensions) ? metric.Dimensions.filter(isObject) : [];
      const dim = (n: string) => str(dims.find((d) => d.Name === n)?.Value);
      const metricName = str(metric?.MetricName) ?? '';
      const period = typeof stat?.Period === 'number' && stat.Period > 0 ? stat.Period : 60;
      const values = metric
        ? seriesValues(
            { metricName, stat: str(stat?.Stat) ?? 'Average', endpoint: dim('EndpointName'), variant: dim('VariantName') },
            (i) => end - period * (60 - i),
          )
        : [];
      const times = values.map((_, i) => end - period * (values.length - i));
      return {
        Id: q.Id,
        Label: str(q.Label) ?? metricName,
        Timestamps: ascending ? times : [...times].reverse(),
        Values: ascending ? values : [...values].reverse(),
        StatusCode: 'Complete',
      };
    });
    return { result: { MetricDataResults: results, Messages: [] } };
  }

  // ---------- wire ----------

  function send(res: ServerResponse, service: FakeAwsService, reply: FakeAwsReply): void {
    if (res.destroyed || res.writableEnded) return; // the client gave up (timeout)
    const protocol = PROTOCOL[service];
    const contentType = protocol === 'restJson1' ? 'application/json' : `application/x-amz-json-${protocol === 'awsJson1_1' ? '1.1' : '1.0'}`;
    const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), ...reply.headers };
    if (reply.error) {
      const e = reply.error;
      const body: JsonObject = { message: e.message ?? e.type, ...e.fields };
      headers['x-amzn-errortype'] = e.type;
      if (protocol === 'awsJson1_1') body.__type = e.type;
      if (protocol === 'awsJson1_0') {
        body.__type = `com.amazonaws.cloudwatch#${e.type}`;
        headers['x-amzn-query-error'] = `${e.queryCode ?? QUERY_CODES[e.type] ?? e.type};${e.status >= 500 ? 'Receiver' : 'Sender'}`;
      }
      res.writeHead(e.status, headers).end(JSON.stringify(body));
      return;
    }
    const text = reply.rawBody ?? (reply.result === undefined ? (protocol === 'restJson1' ? '' : '{}') : JSON.stringify(reply.result));
    res.writeHead(reply.status ?? 200, headers).end(text);
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          pendingDelays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      pendingDelays.add(entry);
    });
  }

  function lambdaToReply(r: FakeLambdaReply): FakeAwsReply {
    const base = { ...(r.delayMs !== undefined ? { delayMs: r.delayMs } : {}), ...(r.fate !== undefined ? { fate: r.fate } : {}) };
    if (r.error) return { ...base, error: r.error };
    if (r.functionError) {
      const f = r.functionError;
      return {
        ...base,
        headers: { 'x-amz-function-error': f.kind ?? 'Unhandled', 'x-amz-executed-version': '$LATEST' },
        result: {
          errorType: f.errorType ?? 'Error',
          errorMessage: f.errorMessage,
          trace: [`${f.errorType ?? 'Error'}: ${f.errorMessage}`, '    at handler (/var/task/index.js:1:1)'],
        },
      };
    }
    const headers = { 'x-amz-executed-version': '$LATEST' };
    if (typeof r.payload === 'string') return { ...base, headers, rawBody: r.payload };
    return { ...base, headers, ...(r.payload !== undefined ? { result: r.payload } : {}) };
  }

  function restApiToReply(r: FakeRestApiReply): FakeAwsReply {
    const base = r.delayMs !== undefined ? { delayMs: r.delayMs } : {};
    if (r.error) return { ...base, error: r.error };
    const statusCode = r.statusCode ?? 200;
    if (statusCode >= 400) {
      return {
        ...base,
        error: {
          status: 400,
          type: statusCode >= 500 ? 'RestApiServerException' : 'RestApiClientException',
          message: `Airflow answered ${statusCode}`,
          fields: { RestApiStatusCode: statusCode, RestApiResponse: r.response ?? null },
        },
      };
    }
    return { ...base, result: { RestApiStatusCode: statusCode, RestApiResponse: r.response ?? null } };
  }

  function defaultReply(req: FakeAwsRequest): FakeAwsReply {
    switch (req.service) {
      case 'lambda':
        return lambdaToReply(lambdaDefault(req.body));
      case 'mwaa':
        return restApiToReply(airflowDefault(restApiCall(req)));
      case 'sagemaker':
        return sagemakerDefault(req.operation, isObject(req.body) ? req.body : {});
      case 'cloudwatch':
        return cloudwatchDefault(req.operation, isObject(req.body) ? req.body : {});
    }
  }

  /**
   * InvokeRestApi's input limits, as the MWAA API reference states them: Name 1..80 characters
   * (a letter, then letters, digits, - and _), Path 1..64 characters, Method one of five. A call
   * outside them is refused with HTTP 400 ValidationException, as AWS does.
   */
  function invokeRestApiLimits(req: FakeAwsRequest): FakeAwsReply | undefined {
    const b = isObject(req.body) ? req.body : {};
    const invalid = (message: string): FakeAwsReply => ({ error: { status: 400, type: 'ValidationException', message } });
    const name = req.params.environment ?? '';
    if (!/^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/.test(name))
      return invalid(
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z][0-9a-zA-Z-_]*$`,
      );
    if (typeof b.Path !== 'string' || b.Path.length < 1 || b.Path.length > MWAA_MAX_PATH) {
      return invalid(
        `1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to ${MWAA_MAX_PATH}`,
      );
    }
    if (typeof b.Method !== 'string' || !['GET', 'PUT', 'POST', 'PATCH', 'DELETE'].includes(b.Method)) {
      return invalid(
        "1 validation error detected: Value at 'method' failed to satisfy constraint: Member must satisfy enum value set: [DELETE, POST, GET, PUT, PATCH]",
      );
    }
    return undefined;
  }

  /**
   * InvokeRestApi's answer limits (PLATFORM-FACTS): MWAA waits 10 s for Airflow and refuses an
   * answer over 6 MB. Airflow's side effects stay done (a slow POST still created its run): the
   * caller only loses the answer. The exact error AWS sends is not documented; the fake answers
   * Airflow-side failures the way MWAA wraps them (HTTP 400 RestApiServerException, 504 / 502).
   */
  function invokeRestApiAnswerLimits(reply: FakeAwsReply): FakeAwsReply {
    if (reply.delayMs !== undefined && reply.delayMs > MWAA_AIRFLOW_TIMEOUT_MS) {
      const response = { title: 'Gateway Timeout', status: 504, detail: `Airflow did not answer within ${MWAA_AIRFLOW_TIMEOUT_MS / 1000} s` };
      return {
        delayMs: MWAA_AIRFLOW_TIMEOUT_MS,
        ...(reply.fate !== undefined ? { fate: reply.fate } : {}),
        error: { status: 400, type: 'RestApiServerException', message: 'Airflow answered 504', fields: { RestApiStatusCode: 504, RestApiResponse: response } },
      };
    }
    if (reply.error === undefined && reply.result !== undefined && Buffer.byteLength(JSON.stringify(reply.result)) > MWAA_MAX_RESPONSE_BYTES) {
      const response = { title: 'Bad Gateway', status: 502, detail: `Airflow's answer is over ${MWAA_MAX_RESPONSE_BYTES} bytes` };
      return {
        ...reply,
        error: { status: 400, type: 'RestApiServerException', message: 'Airflow answered 502', fields: { RestApiStatusCode: 502, RestApiResponse: response } },
      };
    }
    return reply;
  }

  function restApiCall(req: FakeAwsRequest): FakeRestApiCall {
    const b = isObject(req.body) ? req.body : {};
    const path = (str(b.Path) ?? '/').replace(/^\/api\/v1(?=\/)/, '');
    return { environment: req.params.environment ?? '', path, method: str(b.Method) ?? 'GET', body: b.Body, queryParameters: b.QueryParameters };
  }

  function route(
    method: string,
    url: URL,
    headers: Record<string, string>,
  ): { service: FakeAwsService; operation: string; params: Record<string, string> } | undefined {
    const target = headers['x-amz-target'];
    if (target !== undefined) {
      const dot = target.lastIndexOf('.');
      const service = TARGET_PREFIX[target.slice(0, dot)];
      return service ? { service, operation: target.slice(dot + 1), params: {} } : undefined;
    }
    const lambda = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/.exec(url.pathname);
    if (lambda && method === 'POST') return { service: 'lambda', operation: 'Invoke', params: { functionName: decodeURIComponent(lambda[1] ?? '') } };
    const mwaa = /^\/restapi\/([^/]+)\/?$/.exec(url.pathname);
    if (mwaa && method === 'POST') return { service: 'mwaa', operation: 'InvokeRestApi', params: { environment: decodeURIComponent(mwaa[1] ?? '') } };
    return undefined;
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const method = req.method ?? 'GET';
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (a Lambda payload may be anything): keep the text.
    }
    const r = route(method, url, headers);
    const call: FakeAwsCall = {
      service: r?.service ?? 'unknown',
      operation: r?.operation ?? `${method} ${url.pathname}`,
      body,
      headers,
      method,
      path: url.pathname,
      at: Date.now(),
      signed: typeof headers.authorization === 'string' && headers.authorization !== '',
    };
    calls.push(call);
    if (!r) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' });
      res.end(JSON.stringify({ message: `The fake AWS does not serve ${method} ${url.pathname}` }));
      return;
    }
    const request: FakeAwsRequest = {
      service: r.service,
      operation: r.operation,
      body,
      headers,
      path: url.pathname,
      query: url.searchParams,
      params: r.params,
    };
    const k = key(r.service, r.operation);
    // MWAA validates the request before any Airflow answer (handlers see only valid calls).
    let reply: FakeAwsReply | undefined = r.service === 'mwaa' ? invokeRestApiLimits(request) : undefined;
    const failure = reply === undefined ? failures.get(k) : undefined;
    if (failure) {
      reply = failure.reply;
      if (--failure.times <= 0) failures.delete(k);
    }
    reply ??= await handlers.get(k)?.(request);
    reply ??= defaultReply(request);
    if (r.service === 'mwaa') reply = invokeRestApiAnswerLimits(reply);
    const rule = fateRules.find((f) => f.service === r.service && f.operation === r.operation && f.left > 0 && (f.rule.when?.(request) ?? true));
    if (rule !== undefined) rule.left--;
    const fate = reply.fate ?? rule?.rule.fate;
    const latency = latencies.get(k) ?? latencies.get(key(r.service, '*')) ?? 0;
    const wait = (reply.delayMs ?? 0) + latency + (fate === 'late' ? (rule?.rule.lateMs ?? 10_000) : 0);
    if (fate !== undefined) unanswered.push(call);
    if (wait > 0) await delay(wait);
    if (fate === 'lost') return; // received and acted on; the answer never leaves (closed by the client or close())
    if (fate === 'reset') {
      req.socket.destroy();
      return;
    }
    send(res, r.service, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' });
        res.end(JSON.stringify({ message: `fake AWS handler failed: ${error instanceof Error ? error.message : String(error)}` }));
      }
    });
  });
  // AWS endpoints keep idle connections open far longer than Node's default 5 s. With 5 s, a
  // client reusing a socket the fake had just closed saw an ECONNRESET no AWS service sends
  // (a flaky test); resets are injected on purpose through answerFate instead.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const fake: FakeAws = {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (service, operation) => calls.filter((c) => c.service === service && (operation === undefined || c.operation === operation)),
    on: (service, operation, handler) => void handlers.set(key(service, operation), handler),
    off: (service, operation) => void handlers.delete(key(service, operation)),
    failNext: (service, operation, reply, times = 1) => void failures.set(key(service, operation), { reply, times }),
    latency: (service, operation, ms) => void latencies.set(key(service, operation), ms),
    answerFate: (service, operation, rule) => void fateRules.push({ service, operation, rule, left: rule.times ?? Number.POSITIVE_INFINITY }),
    clearFates: () => void (fateRules = []),
    unanswered,
    lambda: {
      onInvoke(handler) {
        handlers.set(key('lambda', 'Invoke'), async (req) => {
          const r = await handler(req.body, req);
          return r === undefined ? undefined : lambdaToReply(r);
        });
      },
      runs: () => [...lambdaRuns.values()].map((r) => ({ ...r })),
      setRunState(dagId, dagRunId, state) {
        const run = lambdaRuns.get(runKey(dagId, dagRunId));
        if (run) run.state = state;
        else lambdaRuns.set(runKey(dagId, dagRunId), { dagId, dagRunId, state, conf: {} });
      },
    },
    mwaa: {
      onInvokeRestApi(handler) {
        handlers.set(key('mwaa', 'InvokeRestApi'), async (req) => {
          const r = await handler(restApiCall(req), req);
          return r === undefined ? undefined : restApiToReply(r);
        });
      },
      runs: (environment) =>
        [...mwaaRuns.entries()]
          .filter(([env]) => environment === undefined || env === environment)
          .flatMap(([env, runs]) => [...runs.values()].map((r) => ({ ...r, environment: env }))),
      setRunState(dagId, dagRunId, state, environment) {
        const envs = environment !== undefined ? [environment] : [...mwaaRuns.keys()];
        let found = false;
        for (const env of envs) {
          const run = mwaaRuns.get(env)?.get(runKey(dagId, dagRunId));
          if (run) {
            run.state = state;
            found = true;
          }
        }
        if (!found) {
          const env = environment ?? 'default';
          let runs = mwaaRuns.get(env);
          if (!runs) mwaaRuns.set(env, (runs = new Map<string, FakeDagRun>()));
          runs.set(runKey(dagId, dagRunId), { dagId, dagRunId, state, conf: {} });
        }
      },
    },
    sagemaker: {
      setEndpoint: (spec) => void endpoints.set(spec.name, spec),
      endpoint: (name) => endpoints.get(name),
      removeEndpoint: (name) => void endpoints.delete(name),
      setTrainingJob(job) {
        // Dates anywhere in the answer (e.g. FinalMetricDataList[].Timestamp) go out as epoch seconds.
        const toWire = (v: unknown): unknown =>
          v instanceof Date
            ? secs(v)
            : Array.isArray(v)
              ? v.map(toWire)
              : v !== null && typeof v === 'object'
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]))
                : v;
        trainingJobs.set(job.TrainingJobName, toWire(job) as Record<string, unknown>);
      },
      setModelPackage(pkg) {
        // EventBridge renders times as ISO text; the API answers epoch seconds.
        const wire = Object.fromEntries(
          Object.entries(pkg).map(([k, v]) => [k, (k === 'CreationTime' || k === 'LastModifiedTime') && typeof v === 'string' ? Date.parse(v) / 1000 : v]),
        );
        modelPackages.set(pkg.ModelPackageArn, wire);
      },
      modelPackage: (arn) => modelPackages.get(arn),
    },
    cloudwatch: {
      setSeries: (k, values) => void series.push({ key: k, values }),
    },
    reset() {
      calls.length = 0;
      handlers.clear();
      failures.clear();
      latencies.clear();
      fateRules = [];
      unanswered.length = 0;
      seed();
    },
    async close() {
      for (const entry of pendingDelays) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      pendingDelays.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
