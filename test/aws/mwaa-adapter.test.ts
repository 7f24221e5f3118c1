import { MWAAClient } from '@aws-sdk/client-mwaa';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createMwaaDagTrigger, resolveMwaaRestEndpoint } from '../../src/aws/mwaa-dag-trigger';
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
  // No retryDelayMs: the MWAAClient's own SDK retry strategy (maxAttempts 2) paces the retries.
  trigger = createMwaaDagTrigger(clients.mwaa, ENV, { attemptTimeoutMs: 300 });
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

  it("Airflow 400 is TriggerFailed with Airflow's title and detail", async () => {
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
    fake.mwaa.onInvokeRestApi(() => ({
      statusCode: 404,
      response: { title: 'DAG not found', detail: `Dag with id ${request.dagId} was not found`, status: 404 },
    }));
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

  it("throttling is retried up to the client's maxAttempts, then AwsThrottled", async () => {
    fake.mwaa.onInvokeRestApi(() => ({ error: { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' } }));
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.AwsThrottled);
    expect(fake.callsTo('mwaa')).toHaveLength(2);
  });

  it('a throttle then success succeeds (the retry reuses the same run id)', async () => {
    fake.failNext('mwaa', 'InvokeRestApi', { error: { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' } });
    await expect(trigger.trigger(request)).resolves.toMatchObject({ alreadyTriggered: false });
    expect(fake.callsTo('mwaa').map((c) => (c.body as { Body: { dag_run_id: string } }).Body.dag_run_id)).toEqual([request.dagRunId, request.dagRunId]);
  });

  it('a slow answer is AwsTimeout (the attempt deadline), retried once', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ delayMs: 3000, statusCode: 200, response: {} }));
    const started = Date.now();
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.AwsTimeout);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(fake.callsTo('mwaa')).toHaveLength(2);
  });

  it("the adapter's own attempt deadline applies to a client without timeouts", async () => {
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

  it('a run Airflow does not have is not_found (an answer); an Airflow error, or no answer, rejects', async () => {
    await expect(trigger.runState('d', 'missing')).resolves.toEqual({ state: 'not_found', raw: 'not_found' });
    fake.mwaa.onInvokeRestApi(() => ({ statusCode: 403, response: { title: 'Forbidden', detail: 'Insufficient permissions' } }));
    const error = await mlopsError(trigger.runState('d', 'r'));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('Insufficient permissions');
    fake.mwaa.onInvokeRestApi(() => ({ delayMs: 2000, statusCode: 200, response: { state: 'running' } }));
    expect((await mlopsError(trigger.runState('d', 'r'))).code).toBe(ErrorCode.AwsTimeout);
  });

  it("a run whose own path is over 64 characters is found in the DAG's run list (the real run id shape)", async () => {
    // Run ids as the bot makes them (mlops__train__<model>__<iso>__<random>) with a real DAG id:
    // GET /dags/{dag}/dagRuns/{run} is 97 characters, which InvokeRestApi refuses.
    const dagId = 'fraud_detector_training';
    const runId = 'mlops__train__fraud-detector__2026-11-24T10:00:00.000Z__abcd1234';
    expect(`/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`.length).toBeGreaterThan(64);
    await trigger.trigger({ dagId, dagRunId: runId, conf: {} });
    for (let i = 0; i < 3; i++) await trigger.trigger({ dagId, dagRunId: `other-${i}`, conf: {} });
    fake.mwaa.setRunState(dagId, runId, 'failed', ENV);
    await expect(trigger.runState(dagId, runId)).resolves.toEqual({ state: 'failed', raw: 'failed' });
    const reads = fake
      .callsTo('mwaa')
      .slice(4)
      .map((c) => c.body as { Path: string; QueryParameters?: unknown });
    expect(reads.every((b) => b.Path.length <= 64)).toBe(true);
    expect(reads[0]).toMatchObject({ Path: `/dags/${dagId}/dagRuns`, QueryParameters: { limit: 100, offset: 0, order_by: '-execution_date' } });
    // Not in a complete list: not_found; a DAG id that cannot fit at all: a clear error, no call.
    await expect(trigger.runState(dagId, `${runId}-gone`)).resolves.toEqual({ state: 'not_found', raw: 'not_found' });
    const calls = fake.calls.length;
    const long = await mlopsError(trigger.runState('d'.repeat(60), 'r'));
    expect(long.message).toContain('over 64 characters');
    expect(fake.calls.length).toBe(calls);
  });

  it('an Airflow answer over 6 MB is refused by MWAA (the fake enforces it): a clear TriggerFailed, not a crash', async () => {
    fake.mwaa.onInvokeRestApi(() => ({ statusCode: 200, response: { state: 'running', note: 'x'.repeat(6 * 1024 * 1024) } }));
    const error = await mlopsError(trigger.runState('d', 'r'));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('HTTP 502');
  });

  it('the fake refuses a Path over 64 characters as MWAA does (ValidationException)', async () => {
    const res = await fetch(`${fake.url}/restapi/${ENV}`, {
      method: 'POST',
      body: JSON.stringify({ Path: `/dags/d/dagRuns/${'r'.repeat(60)}`, Method: 'GET' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
    const badMethod = await fetch(`${fake.url}/restapi/${ENV}`, { method: 'POST', body: JSON.stringify({ Path: '/dags', Method: 'HEAD' }) });
    expect(badMethod.headers.get('x-amzn-errortype')).toBe('ValidationException');
  });

  it('URL-encodes ids in the Airflow path', async () => {
    await trigger.runState('d', 'manual__2026-11-24T10:00:00+00:00');
    expect((fake.calls[0]?.body as { Path: string }).Path).toBe('/dags/d/dagRuns/manual__2026-11-24T10%3A00%3A00%2B00%3A00');
  });
});

describe('endpoint resolution', () => {
  it('on AWS itself, prefixes the regional host with "env."', async () => {
    const client = new MWAAClient({ region: 'eu-west-1', credentials });
    expect((await resolveMwaaRestEndpoint(client, ENV)).href).toBe('https://env.airflow.eu-west-1.amazonaws.com/');
    client.destroy();
  });

  it('honours disableHostPrefix', async () => {
    const client = new MWAAClient({ region: 'eu-west-1', credentials, disableHostPrefix: true });
    expect((await resolveMwaaRestEndpoint(client, ENV)).hostname).toBe('airflow.eu-west-1.amazonaws.com');
    client.destroy();
  });

  describe('with AWS_ENDPOINT_URL_MWAA set (resolved by the SDK, not read by the adapter)', () => {
    const saved = process.env.AWS_ENDPOINT_URL_MWAA;
    afterEach(() => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_MWAA;
      else process.env.AWS_ENDPOINT_URL_MWAA = saved;
    });

    it('sends to the overridden endpoint, without the host prefix, SigV4-signed for the client region', async () => {
      process.env.AWS_ENDPOINT_URL_MWAA = fake.url;
      const client = new MWAAClient({ region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
      await expect(createMwaaDagTrigger(client, ENV).trigger(request)).resolves.toMatchObject({ alreadyTriggered: false });
      expect(fake.callsTo('mwaa', 'InvokeRestApi')).toHaveLength(1);
      expect(fake.calls[0]?.headers.host).toBe(new URL(fake.url).host);
      expect(fake.calls[0]?.headers.authorization).toContain('/us-east-1/airflow/aws4_request');
      client.destroy();
    });
  });
});
