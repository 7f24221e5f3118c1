import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { MWAAClient } from '@aws-sdk/client-mwaa';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeTrainingJobCommand,
  ListModelsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { StandardRetryStrategy } from '@smithy/util-retry';
import { mwaaRestClient, MwaaRestError } from '../../lambda/dag-trigger/src/mwaa-rest-client';
import { DEFAULT_ENDPOINT_NAME, DEFAULT_TRAINING_JOB_NAME, startFakeAws, type FakeAws } from '../kit/fake-aws-server';

/** The fake, checked with the REAL SDK v3 clients (static credentials, us-east-1, endpoint = fake). */

let fake: FakeAws;
let lambda: LambdaClient;
let sagemaker: SageMakerClient;
let cloudwatch: CloudWatchClient;
let mwaa: MWAAClient;

const base = () => ({
  region: 'us-east-1',
  endpoint: fake.url,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 2,
});
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : '');

beforeAll(async () => {
  fake = await startFakeAws();
  lambda = new LambdaClient(base());
  sagemaker = new SageMakerClient(base());
  cloudwatch = new CloudWatchClient(base());
  mwaa = new MWAAClient({ ...base(), disableHostPrefix: true });
});
afterEach(() => fake.reset());
afterAll(async () => {
  lambda.destroy();
  sagemaker.destroy();
  cloudwatch.destroy();
  mwaa.destroy();
  await fake.close();
});

describe('recording', () => {
  it('records service, operation, parsed body, headers and the presence of a signature', async () => {
    await lambda.send(new InvokeCommand({ FunctionName: 'mlops-dag-trigger', Payload: encode({ dag_name: 'd', dag_run_id: 'r1', conf: { a: 1 } }) }));
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call).toMatchObject({
      service: 'lambda',
      operation: 'Invoke',
      method: 'POST',
      path: '/2015-03-31/functions/mlops-dag-trigger/invocations',
      body: { dag_name: 'd', dag_run_id: 'r1', conf: { a: 1 } },
      signed: true,
    });
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/lambda\/aws4_request/);
    expect(typeof call.at).toBe('number');
    expect(fake.callsTo('lambda', 'Invoke')).toHaveLength(1);
    expect(fake.callsTo('sagemaker')).toHaveLength(0);
  });

  it('reset() forgets calls, handlers and state', async () => {
    fake.lambda.onInvoke(() => ({ payload: { custom: true } }));
    await lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({ dag_name: 'd', dag_run_id: 'r' }) }));
    fake.sagemaker.removeEndpoint(DEFAULT_ENDPOINT_NAME);
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({ dag_name: 'd', dag_run_id: 'r' }) }));
    expect(JSON.parse(decode(out.Payload))).toEqual({ dag_run_id: 'r', state: 'queued' });
    await expect(sagemaker.send(new DescribeEndpointCommand({ EndpointName: DEFAULT_ENDPOINT_NAME }))).resolves.toMatchObject({ EndpointStatus: 'InService' });
  });

  it('answers an unknown route with 404 and records it as unknown', async () => {
    const res = await fetch(`${fake.url}/nothing-here`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(fake.calls[0]).toMatchObject({ service: 'unknown' });
  });
});

describe('Lambda (restJson1)', () => {
  it('echoes the run by default and remembers it for status and duplicates', async () => {
    const first = await lambda.send(
      new InvokeCommand({ FunctionName: 'f', InvocationType: 'RequestResponse', Payload: encode({ dag_name: 'train', dag_run_id: 'r1', conf: {} }) }),
    );
    expect(first.StatusCode).toBe(200);
    expect(first.FunctionError).toBeUndefined();
    expect(JSON.parse(decode(first.Payload))).toEqual({ dag_run_id: 'r1', state: 'queued' });
    expect(fake.calls[0]!.headers['x-amz-invocation-type']).toBe('RequestResponse');

    const again = await lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({ dag_name: 'train', dag_run_id: 'r1', conf: {} }) }));
    expect(JSON.parse(decode(again.Payload))).toMatchObject({ dag_run_id: 'r1', already_triggered: true });

    fake.lambda.setRunState('train', 'r1', 'running');
    const status = await lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({ action: 'status', dag_name: 'train', dag_run_id: 'r1' }) }));
    expect(JSON.parse(decode(status.Payload))).toEqual({ dag_run_id: 'r1', state: 'running' });
    expect(fake.lambda.runs()).toEqual([{ dagId: 'train', dagRunId: 'r1', state: 'running', conf: {} }]);
  });

  it('reports a function error with X-Amz-Function-Error and the error payload', async () => {
    fake.lambda.onInvoke(() => ({ functionError: { errorMessage: 'boom', errorType: 'ValueError' } }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({}) }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(decode(out.Payload))).toMatchObject({ errorMessage: 'boom', errorType: 'ValueError' });
  });

  it('serialises API errors so the SDK raises them by name (429 TooManyRequestsException, retried)', async () => {
    fake.lambda.onInvoke(() => ({ error: { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' } }));
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({}) }))).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 429 },
    });
    expect(fake.callsTo('lambda')).toHaveLength(2); // maxAttempts 2: the SDK retried a throttle
  });

  it('failNext injects a reply for the next calls only', async () => {
    fake.failNext('lambda', 'Invoke', { error: { status: 403, type: 'AccessDeniedException', message: 'not authorized to perform: lambda:InvokeFunction' } });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({}) }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({ dag_name: 'd', dag_run_id: 'r' }) }))).resolves.toMatchObject({
      StatusCode: 200,
    });
  });

  it('delays an answer past the client timeout', async () => {
    const impatient = new LambdaClient({
      ...base(),
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    fake.lambda.onInvoke(() => ({ delayMs: 1500, payload: { late: true } }));
    const started = Date.now();
    await expect(impatient.send(new InvokeCommand({ FunctionName: 'f', Payload: encode({}) }))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(1400);
    impatient.destroy();
  });
});

describe('SageMaker (awsJson1_1)', () => {
  it('describes the default InService endpoint and its config', async () => {
    const ep = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: DEFAULT_ENDPOINT_NAME }));
    expect(ep).toMatchObject({ EndpointName: DEFAULT_ENDPOINT_NAME, EndpointStatus: 'InService' });
    expect(ep.CreationTime).toBeInstanceOf(Date);
    expect(ep.ProductionVariants?.[0]).toMatchObject({ VariantName: 'AllTraffic', CurrentWeight: 1, CurrentInstanceCount: 2 });
    const call = fake.calls[0]!;
    expect(call.headers['x-amz-target']).toBe('SageMaker.DescribeEndpoint');
    expect(call.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(call.body).toEqual({ EndpointName: DEFAULT_ENDPOINT_NAME });

    const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: ep.EndpointConfigName! }));
    expect(config.ProductionVariants?.[0]).toMatchObject({ ModelName: 'fraud-detector-1-4-0', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 });
  });

  it('answers an unknown endpoint like SageMaker: ValidationException "Could not find endpoint"', async () => {
    await expect(sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'nope' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Could not find endpoint'),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('lists models and describes a training job', async () => {
    fake.sagemaker.setEndpoint({
      name: 'churn-prod',
      variants: [{ name: 'AllTraffic', model: 'churn-2-0-0' }],
    });
    const models = await sagemaker.send(new ListModelsCommand({}));
    expect(models.Models?.map((m) => m.ModelName)).toEqual(['churn-2-0-0', 'fraud-detector-1-4-0']);
    const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: DEFAULT_TRAINING_JOB_NAME }));
    expect(job).toMatchObject({ TrainingJobStatus: 'Completed' });
    expect(job.TrainingEndTime).toEqual(new Date('2026-11-24T10:41:55Z'));
    await expect(sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'missing' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('serves a generic handler and its errors (ThrottlingException is retried by the SDK)', async () => {
    fake.on('sagemaker', 'DescribeEndpoint', () => ({ error: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } }));
    await expect(sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'x' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(fake.callsTo('sagemaker', 'DescribeEndpoint')).toHaveLength(2);
    fake.off('sagemaker', 'DescribeEndpoint');
    await expect(sagemaker.send(new DescribeEndpointCommand({ EndpointName: DEFAULT_ENDPOINT_NAME }))).resolves.toBeDefined();
  });
});

describe('CloudWatch (awsJson1_0, query-compatible)', () => {
  const query = (id: string, metricName: string, stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/SageMaker',
        MetricName: metricName,
        Dimensions: [
          { Name: 'EndpointName', Value: DEFAULT_ENDPOINT_NAME },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
      },
      Period: 60,
      Stat: stat,
    },
  });

  it('speaks JSON 1.0 and returns 60 one-minute points per query, in the requested order', async () => {
    const end = new Date('2026-11-24T11:00:30Z');
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date('2026-11-24T10:00:00Z'),
        EndTime: end,
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [query('inv', 'Invocations', 'Sum'), query('lat', 'ModelLatency', 'p99')],
      }),
    );
    const call = fake.calls[0]!;
    expect(call.headers['x-amz-target']).toBe('GraniteServiceVersion20100801.GetMetricData');
    expect(call.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(call.body).toMatchObject({ StartTime: Date.parse('2026-11-24T10:00:00Z') / 1000, ScanBy: 'TimestampAscending' });
    const [inv, lat] = out.MetricDataResults ?? [];
    expect(inv?.Id).toBe('inv');
    expect(inv?.Values).toHaveLength(60);
    expect(inv?.Timestamps?.[59]).toEqual(new Date('2026-11-24T10:59:00Z'));
    expect(inv!.Timestamps![1]!.getTime() - inv!.Timestamps![0]!.getTime()).toBe(60_000);
    expect(lat?.Values?.[0]).toBe(45_000); // microseconds, as AWS reports ModelLatency

    // Without ScanBy, CloudWatch's default order: newest first.
    const desc = await cloudwatch.send(
      new GetMetricDataCommand({ StartTime: new Date('2026-11-24T10:00:00Z'), EndTime: end, MetricDataQueries: [query('inv', 'Invocations', 'Sum')] }),
    );
    expect(desc.MetricDataResults?.[0]?.Timestamps?.[0]).toEqual(new Date('2026-11-24T10:59:00Z'));
  });

  it('serves programmed series', async () => {
    fake.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'p99', variant: 'AllTraffic' }, [1000, 2000, 3000]);
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 3600_000),
        EndTime: new Date(),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [query('lat', 'ModelLatency', 'p99'), query('avg', 'ModelLatency', 'Average')],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([1000, 2000, 3000]);
    expect(out.MetricDataResults?.[1]?.Values).toHaveLength(60);
  });

  it('sends errors with x-amzn-query-error so the SDK names them by the query code', async () => {
    fake.on('cloudwatch', 'GetMetricData', () => ({ error: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } }));
    const send = () => cloudwatch.send(new GetMetricDataCommand({ StartTime: new Date(0), EndTime: new Date(60_000), MetricDataQueries: [] }));
    await expect(send()).rejects.toMatchObject({ name: 'Throttling', message: 'Rate exceeded' });
    expect(fake.callsTo('cloudwatch')).toHaveLength(2); // retried as a throttle
    fake.on('cloudwatch', 'GetMetricData', () => ({ error: { status: 403, type: 'AccessDeniedException', message: 'no' } }));
    await expect(send()).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});

describe('MWAA InvokeRestApi (restJson1)', () => {
  /** Airflow's answer whatever its status, through the client the bot and the Lambda share. */
  async function invokeMwaaRestApi(_client: MWAAClient, environment: string, call: { Path: string; Method: 'GET' | 'POST'; Body?: Record<string, unknown> }) {
    const rest = mwaaRestClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: fake.url,
      retryStrategy: new StandardRetryStrategy(1),
    });
    try {
      const answer = await rest.invokeRestApi(environment, { path: call.Path, method: call.Method, ...(call.Body !== undefined ? { body: call.Body } : {}) });
      return { statusCode: answer.restApiStatusCode, response: answer.restApiResponse };
    } catch (error) {
      if (error instanceof MwaaRestError && error.restApiStatusCode !== undefined)
        return { statusCode: error.restApiStatusCode, response: error.restApiResponse };
      throw error;
    }
  }

  it('stores DAG runs, answers 409 as RestApiClientException for a duplicate run id, and GETs runs', async () => {
    const post = { Path: '/dags/train/dagRuns', Method: 'POST' as const, Body: { dag_run_id: 'r1', conf: { x: 1 } } };
    const created = await invokeMwaaRestApi(mwaa, 'mlops-prod', post);
    expect(created.statusCode).toBe(200);
    expect(created.response).toMatchObject({ dag_id: 'train', dag_run_id: 'r1', state: 'queued', conf: { x: 1 } });
    expect(fake.calls[0]).toMatchObject({ service: 'mwaa', operation: 'InvokeRestApi', path: '/restapi/mlops-prod', body: post, signed: true });

    const dup = await invokeMwaaRestApi(mwaa, 'mlops-prod', post);
    expect(dup.statusCode).toBe(409);
    expect(dup.response).toMatchObject({ status: 409, title: 'Conflict' });

    fake.mwaa.setRunState('train', 'r1', 'success', 'mlops-prod');
    const got = await invokeMwaaRestApi(mwaa, 'mlops-prod', { Path: '/dags/train/dagRuns/r1', Method: 'GET' });
    expect(got).toMatchObject({ statusCode: 200, response: { state: 'success' } });
    const missing = await invokeMwaaRestApi(mwaa, 'mlops-prod', { Path: '/dags/train/dagRuns/zzz', Method: 'GET' });
    expect(missing.statusCode).toBe(404);
    expect(fake.mwaa.runs('mlops-prod')).toHaveLength(1);
  });

  it('puts an Airflow error on the wire as HTTP 400 RestApiClientException with its members', async () => {
    const res = await fetch(`${fake.url}/restapi/mlops-prod`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Path: '/dags/x/dagRuns/none', Method: 'GET' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('RestApiClientException');
    expect(await res.json()).toMatchObject({ RestApiStatusCode: 404, RestApiResponse: { status: 404 } });
    expect(fake.calls[0]!.signed).toBe(false);

    fake.mwaa.onInvokeRestApi(() => ({ statusCode: 503, response: { title: 'Service Unavailable' } }));
    const server = await fetch(`${fake.url}/restapi/mlops-prod`, { method: 'POST', body: '{"Path":"/x","Method":"GET"}' });
    expect(server.status).toBe(400);
    expect(server.headers.get('x-amzn-errortype')).toBe('RestApiServerException');
  });
});
