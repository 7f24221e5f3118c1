import { Readable } from 'node:stream';
import { MWAAClient } from '@aws-sdk/client-mwaa';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createMwaaDagTrigger, invokeMwaaRestApi } from '../../src/aws/mwaa-dag-trigger';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import type { DagTrigger } from '../../src/core/ports';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';

let fake: FakeAws;
let clients: AwsClients;
let trigger: DagTrigger;

const ENV = 'mlops-prod';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const request = { dagId: 'fraud_detector_training', dagRunId: 'train__fraud-detector__abc', conf: { model: 'fraud-detector', retrain: false } };

async function mlopsError(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlopsError);
  return error as MlopsError;
}

beforeAll(async () => {
  fake = await startFakeAws();
  clients = createAwsClients({ endpoint: fake.url, region: 'us-east-1', credentials, maxAttempts: 2, requestTimeoutMs: 300 });
  trigger = createMwaaDagTrigger(clients.mwaa, ENV);
});
afterEach(() => fake.reset());
afterAll(async () => {
  clients.destroy();
  await fake.close();
});

describe('trigger', () => {
  it('POSTs /restapi/{Name} with {Path, Method, Body:{dag_run_id, conf}}, SigV4-signed for "airflow", no host prefix on an overridden endpoint', async () => {
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: request.dagRunId, state: 'queued', alreadyTriggered: false });
    expect(trigger.kind).toBe('mwaa');
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call).toMatchObject({ service: 'mwaa', operation: 'InvokeRestApi', method: 'POST', path: `/restapi/${ENV}`, signed: true });
    expect(call.body).toEqual({ Path: `/dags/${request.dagId}/dagRuns`, Method: 'POST', Body: { dag_run_id: request.dagRunId, conf: request.conf } });
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/airflow\/aws4_request, SignedHeaders=[^,]*host/);
    expect(call.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(call.headers.host).toBe(new URL(fake.url).host);
    expect(call.headers['content-type']).toBe('application/json');
  });

  it('Airflow 409 (run id exists) is alreadyTriggered', async () => {
    await trigger.trigger(request);
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: request.dagRunId, state: 'unknown', alreadyTriggered: true });
    expect(fake.mwaa.runs(ENV)).toHaveLength(1);
  });

  it('Airflow 400 is TriggerFailed with Airflow\'s title and detail', async () => {
    fake.mwaa.onInvokeRestApi(() => ({
      statusCode: 400,
      response: { detail: "{'foo': ['Unknown field.']}", status: 400, title: 'Bad Request', type: 'https://airflow.apache.org/…/BadRequest' },
    }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain("Bad Request: {'foo': ['Unknown field.']}");
    expect(error.details).toMatchObject({ airflowStatus: 400, environment: ENV });
  });

  it('Airflow 404 (unknown DAG) is TriggerFailed with a hint', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ statusCode: 404, response: { title: 'DAG not found', detail: `Dag with id ${request.dagId} was not found`, status: 404 } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('DAG not found');
    expect(error.message).toContain('Check that the DAG exists');
  });

  it('Airflow 5xx (RestApiServerException) is TriggerFailed', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ statusCode: 500, response: { title: 'Internal Server Error', status: 500 } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.details).toMatchObject({ airflowStatus: 500 });
  });

  it('AWS AccessDeniedException is AwsAccessDenied naming airflow:InvokeRestApi', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ error: { status: 403, type: 'AccessDeniedException', message: 'not authorized to perform: airflow:InvokeRestApi' } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsAccessDenied);
    expect(error.message).toContain('airflow:InvokeRestApi');
    expect(fake.callsTo('mwaa')).toHaveLength(1);
  });

  it('an unknown environment (ResourceNotFoundException) is AwsNotFound', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ error: { status: 404, type: 'ResourceNotFoundException', message: 'Environment not found' } }));
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.AwsNotFound);
  });

  it('throttling is retried up to the client\'s maxAttempts, then AwsThrottled', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ error: { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' } }));
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.AwsThrottled);
    expect(fake.callsTo('mwaa')).toHaveLength(2);
  });

  it('a throttle then success succeeds (the retry reuses the same run id)', async () => {
    fake.failNext('mwaa', 'InvokeRestApi', { error: { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' } });
    await expect(trigger.trigger(request)).resolves.toMatchObject({ alreadyTriggered: false });
    expect(fake.callsTo('mwaa').map((c) => (c.body as { Body: { dag_run_id: string } }).Body.dag_run_id)).toEqual([request.dagRunId, request.dagRunId]);
  });

  it('a slow answer is AwsTimeout (client request timeout), retried once', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ delayMs: 3000, statusCode: 200, response: {} }));
    const started = Date.now();
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.AwsTimeout);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(fake.callsTo('mwaa')).toHaveLength(2);
  });

  it('the adapter\'s own attempt deadline applies to a client without timeouts', async () => {
    // A handler with no timeouts at all (client-mwaa's bundled v2 handler would leave a timer behind).
    const plain = new MWAAClient({ region: 'us-east-1', endpoint: fake.url, credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    const t = createMwaaDagTrigger(plain, ENV, { attemptTimeoutMs: 200 });
    fake.mwaa.onInvokeRestApi(() => ({ delayMs: 2000, statusCode: 200, response: {} }));
    const started = Date.now();
    expect((await mlopsError(t.trigger(request))).code).toBe(ErrorCode.AwsTimeout);
    expect(Date.now() - started).toBeLessThan(1500);
    plain.destroy();
  });
});

describe('runState', () => {
  it('GETs /dags/{id}/dagRuns/{run} and maps the state', async () => {
    await trigger.trigger(request);
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state: 'queued', raw: 'queued' });
    expect(fake.calls[1]?.body).toEqual({ Path: `/dags/${request.dagId}/dagRuns/${request.dagRunId}`, Method: 'GET' });
    fake.mwaa.setRunState(request.dagId, request.dagRunId, 'failed', ENV);
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state: 'failed', raw: 'failed' });
    fake.mwaa.setRunState(request.dagId, request.dagRunId, 'success', ENV);
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state: 'success', raw: 'success' });
  });

  it('an unknown run is unknown (not_found); another Airflow error is TriggerFailed', async () => {
    await expect(trigger.runState('d', 'missing')).resolves.toEqual({ state: 'unknown', raw: 'not_found' });
    fake.mwaa.onInvokeRestApi(() => ({ statusCode: 403, response: { title: 'Forbidden', detail: 'Insufficient permissions' } }));
    const error = await mlopsError(trigger.runState('d', 'r'));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('Insufficient permissions');
  });

  it('URL-encodes ids in the Airflow path', async () => {
    await trigger.runState('d', 'manual__2026-11-24T10:00:00+00:00');
    expect((fake.calls[0]?.body as { Path: string }).Path).toBe('/dags/d/dagRuns/manual__2026-11-24T10%3A00%3A00%2B00%3A00');
  });
});

describe('endpoint resolution', () => {
  /** A request handler that records the signed request and answers 200 without any network. */
  function capturingClient(config: ConstructorParameters<typeof MWAAClient>[0]) {
    const seen: { protocol: string; hostname: string; path: string; headers: Record<string, string> }[] = [];
    const client = new MWAAClient({
      ...config,
      credentials,
      requestHandler: {
        handle: async (req: { protocol: string; hostname: string; path: string; headers: Record<string, string> }) => {
          seen.push(req);
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/json' },
              body: Readable.from([Buffer.from(JSON.stringify({ RestApiStatusCode: 200, RestApiResponse: { state: 'running' } }))]),
            },
          };
        },
      },
    });
    return { client, seen };
  }

  it('on AWS itself, prefixes the regional host with "env." and signs the host header', async () => {
    const { client, seen } = capturingClient({ region: 'eu-west-1' });
    await expect(invokeMwaaRestApi(client, ENV, { Path: '/dags/d/dagRuns/r', Method: 'GET' })).resolves.toEqual({ statusCode: 200, response: { state: 'running' } });
    expect(seen[0]).toMatchObject({ protocol: 'https:', hostname: 'env.airflow.eu-west-1.amazonaws.com', path: `/restapi/${ENV}` });
    expect(seen[0]?.headers.host).toBe('env.airflow.eu-west-1.amazonaws.com');
    expect(seen[0]?.headers.authorization).toContain('/eu-west-1/airflow/aws4_request');
  });

  it('honours disableHostPrefix', async () => {
    const { client, seen } = capturingClient({ region: 'eu-west-1', disableHostPrefix: true });
    await invokeMwaaRestApi(client, ENV, { Path: '/x', Method: 'GET' });
    expect(seen[0]?.hostname).toBe('airflow.eu-west-1.amazonaws.com');
  });

  describe('with AWS_ENDPOINT_URL_MWAA set (resolved by the SDK, not read by the adapter)', () => {
    const saved = process.env.AWS_ENDPOINT_URL_MWAA;
    afterEach(() => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_MWAA;
      else process.env.AWS_ENDPOINT_URL_MWAA = saved;
    });

    it('sends to the overridden endpoint, without the host prefix', async () => {
      process.env.AWS_ENDPOINT_URL_MWAA = fake.url;
      const client = new MWAAClient({ region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
      await expect(createMwaaDagTrigger(client, ENV).trigger(request)).resolves.toMatchObject({ alreadyTriggered: false });
      expect(fake.callsTo('mwaa', 'InvokeRestApi')).toHaveLength(1);
      expect(fake.calls[0]?.headers.host).toBe(new URL(fake.url).host);
      client.destroy();
    });
  });
});
