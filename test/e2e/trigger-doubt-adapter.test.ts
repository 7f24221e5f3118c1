/**
 * Issue 10 item 2, at the adapter: which trigger failures leave the outcome unknown. The real
 * Lambda client (SDK retries included) talks to the fake AWS, whose answers are lost, reset,
 * late, 5xx or throttled AFTER the function ran (the run is stored): only a failure that proves
 * nothing happened may count as definitive.
 */
import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createLambdaDagTrigger } from '../../src/aws/lambda-dag-trigger';
import { isDefinitiveTriggerFailure } from '../../src/core/candidate-state-machine';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import type { DagTrigger } from '../../src/core/ports';
import { startFakeAws, type FakeAws, type FakeAwsRequest } from '../kit/fake-aws-server';

let fake: FakeAws;
let clients: AwsClients;
let trigger: DagTrigger;

const FUNCTION = 'mlops-dag-trigger';
const request = { dagId: 'fraud_detector_deployment', dagRunId: 'mlops_deploy__cand-42__1', conf: { model: 'fraud-detector', version: '1.4.0' } };
const isTrigger = (r: FakeAwsRequest) => (r.body as { action?: string } | undefined)?.action === undefined;
const THROTTLED = { error: { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' } };

async function failure(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlopsError);
  return error as MlopsError;
}
const definitive = (e: MlopsError) => isDefinitiveTriggerFailure(e.code, e.details);

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

describe('a trigger whose answer never arrives is in doubt, not failed', () => {
  it('lost answers (request received, run started, no response): unknown outcome, the run exists', async () => {
    fake.answerFate('lambda', 'Invoke', { fate: 'lost', when: isTrigger });
    const error = await failure(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsTimeout);
    expect(definitive(error)).toBe(false);
    expect(fake.lambda.runs()).toHaveLength(1); // the function did start it
    expect(fake.unanswered).toHaveLength(2); // both SDK attempts received
  });

  it('a connection reset after the request was sent: unknown outcome', async () => {
    fake.answerFate('lambda', 'Invoke', { fate: 'reset', when: isTrigger });
    const error = await failure(trigger.trigger(request));
    expect(definitive(error)).toBe(false);
    expect(fake.lambda.runs()).toHaveLength(1);
  });

  it('answers slower than the client timeout: unknown outcome', async () => {
    fake.answerFate('lambda', 'Invoke', { fate: 'late', lateMs: 2000, when: isTrigger });
    expect(definitive(await failure(trigger.trigger(request)))).toBe(false);
  });

  it('per-operation latency beyond the timeout is the same as a late answer', async () => {
    fake.latency('lambda', 'Invoke', 2000);
    expect(definitive(await failure(trigger.trigger(request)))).toBe(false);
  });

  it('a 5xx from the Invoke API after the request was sent: unknown outcome', async () => {
    fake.failNext('lambda', 'Invoke', { error: { status: 500, type: 'ServiceException', message: 'internal' } }, 2);
    expect(definitive(await failure(trigger.trigger(request)))).toBe(false);
  });

  it('throttling after an earlier attempt timed out: unknown outcome (the first attempt may have run)', async () => {
    fake.answerFate('lambda', 'Invoke', { fate: 'lost', times: 1, when: isTrigger });
    fake.on('lambda', 'Invoke', () => (fake.unanswered.length > 0 ? THROTTLED : undefined));
    const error = await failure(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsThrottled);
    expect(error.details).toMatchObject({ outcomeUnknown: true, attempts: 2 });
    expect(definitive(error)).toBe(false);
  });

  it('throttling on every attempt is definitive: Lambda refused to run the function', async () => {
    fake.failNext('lambda', 'Invoke', THROTTLED, 2);
    const error = await failure(trigger.trigger(request));
    expect(error.code).toBe(ErrorCode.AwsThrottled);
    expect(error.details['outcomeUnknown']).toBeUndefined();
    expect(definitive(error)).toBe(true);
  });

  it('the function crashed (FunctionError) or answered 502: unknown outcome', async () => {
    fake.lambda.onInvoke(() => ({ functionError: { errorMessage: 'Task timed out after 3.00 seconds', errorType: 'Sandbox.Timedout' } }));
    expect(definitive(await failure(trigger.trigger(request)))).toBe(false);
    fake.lambda.onInvoke(() => ({ payload: { statusCode: 502, message: 'cannot trigger DAG: MWAA answered 503' } }));
    expect(definitive(await failure(trigger.trigger(request)))).toBe(false);
  });

  it('runState tells a run that does not exist (404) apart from a failed status call', async () => {
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toEqual({ state: 'not_found', raw: 'not_found' });
    fake.lambda.setRunState(request.dagId, request.dagRunId, 'running');
    await expect(trigger.runState(request.dagId, request.dagRunId)).resolves.toMatchObject({ state: 'running' });
    fake.answerFate('lambda', 'Invoke', { fate: 'lost' });
    await expect(trigger.runState(request.dagId, request.dagRunId)).rejects.toBeInstanceOf(MlopsError);
  });
});
