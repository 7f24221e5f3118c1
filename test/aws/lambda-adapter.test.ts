import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createLambdaDagTrigger } from '../../src/aws/lambda-dag-trigger';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import type { DagTrigger } from '../../src/core/ports';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';

let fake: FakeAws;
let clients: AwsClients;
let trigger: DagTrigger;

const FUNCTION = 'mlops-dag-trigger';
const request = { dagId: 'fraud_detector_deployment', dagRunId: 'deploy__cand-42__1', conf: { model: 'fraud-detector', version: '1.4.0' } };

/** Resolves to the MlopsError a promise rejects with (fails the test if it resolves or rejects otherwise). */
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
  clients = createAwsClients({
    endpoint: fake.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
    requestTimeoutMs: 300,
  });
  trigger = createLambdaDagTrigger(clients.lambda, FUNCTION);
});
afterEach(() => fake.reset());
afterAll(async () => {
  clients.destroy();
  await fake.close();
});

describe('trigger', () => {
  it('invokes the function synchronously with {dag_name, dag_run_id, conf} and returns its answer', async () => {
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: request.dagRunId, state: 'queued', alreadyTriggered: false });
    expect(trigger.kind).toBe('lambda');
    const [call] = fake.callsTo('lambda', 'Invoke');
    expect(fake.calls).toHaveLength(1);
    expect(call?.path).toBe(`/2015-03-31/functions/${FUNCTION}/invocations`);
    expect(call?.headers['x-amz-invocation-type']).toBe('RequestResponse');
    expect(call?.body).toEqual({ dag_name: request.dagId, dag_run_id: request.dagRunId, conf: request.conf });
    expect(call?.signed).toBe(true);
  });

  it('takes the run id and state the function reports', async () => {
    fake.lambda.onInvoke(() => ({ payload: { dag_run_id: 'server-side-id', state: 'running' } }));
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: 'server-side-id', state: 'running', alreadyTriggered: false });
  });

  it('reads an API Gateway style answer {statusCode, body: "<json>"}', async () => {
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 200, body: JSON.stringify({ dag_run_id: 'x1', state: 'queued' }) } }));
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: 'x1', state: 'queued', alreadyTriggered: false });
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 502, body: JSON.stringify({ message: 'Airflow is down' }) } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('Airflow is down');
  });

  it("a FunctionError is TriggerFailed with the function's errorMessage", async () => {
    fake.lambda.onInvoke(() => ({ functionError: { errorMessage: 'DAG fraud_detector_deployment is not allow-listed', errorType: 'ValueError' } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('DAG fraud_detector_deployment is not allow-listed');
    expect(error.message).toContain(FUNCTION);
    expect(error.details).toMatchObject({ functionError: 'Unhandled', errorType: 'ValueError' });
  });

  it('a payload with statusCode 500 is TriggerFailed with its message', async () => {
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 500, message: 'MWAA InvokeRestApi failed: environment mlops-prod is UPDATING' } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('environment mlops-prod is UPDATING');
    expect(error.details).toMatchObject({ statusCode: 500 });
  });

  it('a payload with statusCode 400 is TriggerFailed too', async () => {
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 400, message: 'conf.version is required' } }));
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.TriggerFailed);
  });

  it('statusCode 409 counts as already triggered', async () => {
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 409, message: 'DAG run exists', dag_run_id: request.dagRunId } }));
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: request.dagRunId, state: 'unknown', alreadyTriggered: true });
  });

  it('already_triggered: true counts as already triggered (the default fake on a repeated run id)', async () => {
    await trigger.trigger(request);
    await expect(trigger.trigger(request)).resolves.toEqual({ dagRunId: request.dagRunId, state: 'queued', alreadyTriggered: true });
    expect(fake.lambda.runs()).toHaveLength(1);
  });

  it('throttling (429 TooManyRequestsException) is AwsThrottled after the SDK retried', async () => {
    fake.lambda.onInvoke(() => ({ error: { status: 429, type: 'TooManyRequestsException', message: 'Rate Exceeded.' } }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsThrottled);
    expect(fake.callsTo('lambda', 'Invoke')).toHaveLength(2);
  });

  it('access denied is AwsAccessDenied naming lambda:InvokeFunction', async () => {
    fake.lambda.onInvoke(() => ({
      error: {
        status: 403,
        type: 'AccessDeniedException',
        message: `User: arn:aws:sts::123456789012:assumed-role/mlops-bot/x is not authorized to perform: lambda:InvokeFunction on resource: ${FUNCTION}`,
      },
    }));
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsAccessDenied);
    expect(error.message).toContain('lambda:InvokeFunction');
    expect(error.details).toMatchObject({ action: 'lambda:InvokeFunction' });
    expect(fake.callsTo('lambda')).toHaveLength(1); // not retried
  });

  it('an unknown function is AwsNotFound', async () => {
    fake.lambda.onInvoke(() => ({ error: { status: 404, type: 'ResourceNotFoundException', message: `Function not found: ${FUNCTION}` } }));
    expect((await mlopsError(trigger.trigger(request))).code).toBe(ErrorCode.AwsNotFound);
  });

  it('a function slower than the request timeout is AwsTimeout, bounded by timeout x attempts', async () => {
    fake.lambda.onInvoke(() => ({ delayMs: 3000, payload: { dag_run_id: 'late', state: 'queued' } }));
    const started = Date.now();
    const error = await mlopsError(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsTimeout);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(fake.callsTo('lambda')).toHaveLength(2); // a timed-out attempt is retried
  });
});

describe('runState', () => {
  it('invokes {action:"status", dag_name, dag_run_id} and maps Airflow states', async () => {
    await trigger.trigger(request);
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state: 'queued', raw: 'queued' });
    expect(fake.calls[1]?.body).toEqual({ action: 'status', dag_name: request.dagId, dag_run_id: request.dagRunId });
    for (const state of ['running', 'success', 'failed'] as const) {
      fake.lambda.setRunState(request.dagId, request.dagRunId, state);
      await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state, raw: state });
    }
    fake.lambda.setRunState(request.dagId, request.dagRunId, 'up_for_retry');
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state: 'unknown', raw: 'up_for_retry' });
  });

  it('a run the function reports as absent (404) is state not_found', async () => {
    await expect(trigger.runState('x', 'nope')).resolves.toEqual({ state: 'not_found', raw: 'not_found' });
  });

  it('a FunctionError or statusCode >= 400 rejects with TriggerFailed', async () => {
    fake.lambda.onInvoke(() => ({ functionError: { errorMessage: 'KeyError: action' } }));
    const error = await mlopsError(trigger.runState('d', 'r'));
    expect(error.code).toBe(ErrorCode.TriggerFailed);
    expect(error.message).toContain('KeyError: action');
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 500, message: 'MWAA error' } }));
    expect((await mlopsError(trigger.runState('d', 'r'))).code).toBe(ErrorCode.TriggerFailed);
  });
});
