import { createHandler, generateDagRunId, type LambdaAnswer } from '../src/create-handler';
import { mwaaRestClient } from '../src/mwaa-rest-client';
import { fakeMwaa, type FakeMwaa } from './fake-mwaa';

const REGION = 'us-east-1';
const CREDS = { accessKeyId: 'AKIDFAKEMWAA', secretAccessKey: 'fake-secret-key' };
const ENV = 'mlops-prod';
const TRAINING = 'fraud_detector_training';
const DEPLOYMENT = 'fraud_detector_deployment';

let mwaa: FakeMwaa;
const logs: Record<string, unknown>[] = [];

beforeEach(async () => {
  logs.length = 0;
  mwaa = await fakeMwaa({
    region: REGION,
    ...CREDS,
    environments: { [ENV]: [TRAINING, DEPLOYMENT, 'not_allowed_dag'] },
  });
});
afterEach(() => mwaa.close());

function handlerWith(overrides: { credentials?: typeof CREDS; environment?: string; allowed?: string[] } = {}): (event: unknown) => Promise<LambdaAnswer> {
  const client = mwaaRestClient({ region: REGION, credentials: overrides.credentials ?? CREDS, endpoint: mwaa.url, timeoutMs: 2000 });
  return createHandler({
    client,
    environment: overrides.environment ?? ENV,
    allowedDags: new Set(overrides.allowed ?? [TRAINING, DEPLOYMENT, 'missing_in_airflow']),
    newRunId: () => generateDagRunId(new Date('2026-11-24T10:00:00Z'), 'abcd1234'),
    log: (line) => logs.push(line),
  });
}

describe('trigger', () => {
  it('starts the DAG with InvokeRestApi POST /dags/{dag_id}/dagRuns and answers {dag_run_id, state}', async () => {
    const conf = { model: 'fraud-detector', requested_by: 'U0ALICE', retrain: false, params: { epochs: 10 } };
    const answer = await handlerWith()({ dag_name: TRAINING, dag_run_id: 'mlops__train__fraud-detector__1', conf });

    expect(answer).toEqual({ dag_run_id: 'mlops__train__fraud-detector__1', state: 'queued' });
    expect(mwaa.calls).toEqual([
      {
        environment: ENV,
        Path: `/dags/${TRAINING}/dagRuns`,
        Method: 'POST',
        Body: { dag_run_id: 'mlops__train__fraud-detector__1', conf },
        host: new URL(mwaa.url).host,
      },
    ]);
    expect(mwaa.runs.get(`${TRAINING}/mlops__train__fraud-detector__1`)?.conf).toEqual(conf);
  });

  it('generates a run id when none is given, and defaults conf to {}', async () => {
    const answer = await handlerWith()({ dag_name: TRAINING });
    expect(answer).toEqual({ dag_run_id: 'mlops__2026-11-24T10:00:00.000Z__abcd1234', state: 'queued' });
    expect(mwaa.calls[0]?.Body).toEqual({ dag_run_id: 'mlops__2026-11-24T10:00:00.000Z__abcd1234', conf: {} });
  });

  it('treats Airflow 409 (run id exists) as already triggered, with the existing run state', async () => {
    const handler = handlerWith();
    const event = { dag_name: DEPLOYMENT, dag_run_id: 'deploy__cand-42__1', conf: { model: 'fraud-detector', version: '1.4.0' } };
    expect(await handler(event)).toEqual({ dag_run_id: 'deploy__cand-42__1', state: 'queued' });
    mwaa.setRunState(DEPLOYMENT, 'deploy__cand-42__1', 'running');

    expect(await handler(event)).toEqual({ dag_run_id: 'deploy__cand-42__1', state: 'running', already_triggered: true });
    // One run only: the second POST was refused by Airflow, then the run was read.
    expect(mwaa.calls.map((c) => `${c.Method} ${c.Path}`)).toEqual([
      `POST /dags/${DEPLOYMENT}/dagRuns`,
      `POST /dags/${DEPLOYMENT}/dagRuns`,
      `GET /dags/${DEPLOYMENT}/dagRuns/deploy__cand-42__1`,
    ]);
  });

  it('refuses DAGs outside ALLOWED_DAGS with 403 and never calls MWAA', async () => {
    const answer = await handlerWith()({ dag_name: 'not_allowed_dag', conf: {} });
    expect(answer).toMatchObject({ statusCode: 403 });
    expect((answer as { message: string }).message).toContain('not_allowed_dag');
    expect(mwaa.calls).toHaveLength(0);
  });

  it.each([
    ['a non-object event', 'train please', '(input)'],
    ['an array', [{ dag_name: TRAINING }], '(input)'],
    ['a missing dag_name', { conf: {} }, 'dag_name'],
    ['a DAG name with a slash', { dag_name: '../admin', conf: {} }, 'dag_name'],
    ['a conf that is not an object', { dag_name: TRAINING, conf: 'x=1' }, 'conf'],
    ['a run id with a slash', { dag_name: TRAINING, dag_run_id: 'a/b', conf: {} }, 'dag_run_id'],
    ['an unknown action', { action: 'delete', dag_name: TRAINING }, 'action'],
    ['a status without run id', { action: 'status', dag_name: TRAINING }, 'dag_run_id'],
  ])('answers 400 listing the problem for %s', async (_name, event, path) => {
    const answer = await handlerWith()(event);
    expect(answer).toMatchObject({ statusCode: 400 });
    const problems = (answer as { problems: string[] }).problems;
    expect(problems.some((p) => p.startsWith(`${path}:`))).toBe(true);
    expect(mwaa.calls).toHaveLength(0);
  });

  it('answers 404 when an allow-listed DAG does not exist in Airflow', async () => {
    const answer = await handlerWith()({ dag_name: 'missing_in_airflow', conf: {} });
    expect(answer).toMatchObject({ statusCode: 404 });
    expect((answer as { message: string }).message).toContain("DAG with dag_id: 'missing_in_airflow' not found");
  });

  it('retries a transient MWAA fault and then succeeds', async () => {
    mwaa.failNext({ kind: 'mwaa', status: 503, type: 'ServiceUnavailableException' });
    mwaa.failNext({ kind: 'drop' });
    const answer = await handlerWith()({ dag_name: TRAINING, dag_run_id: 'retry-1', conf: {} });
    expect(answer).toEqual({ dag_run_id: 'retry-1', state: 'queued' });
    expect(mwaa.runs.size).toBe(1);
  });

  it('answers 502 with the reason when MWAA keeps failing', async () => {
    mwaa.failNext({ kind: 'mwaa', status: 500, type: 'InternalServerException' }, 3);
    const answer = await handlerWith()({ dag_name: TRAINING, conf: {} });
    expect(answer).toMatchObject({ statusCode: 502 });
    expect((answer as { message: string }).message).toContain('InternalServerException');
  });

  it('answers 502 with Airflow status and detail for an Airflow 5xx (RestApiServerException)', async () => {
    mwaa.failNext({ kind: 'airflow', status: 500 }, 3);
    const answer = await handlerWith()({ dag_name: TRAINING, conf: {} });
    expect(answer).toMatchObject({ statusCode: 502 });
    const { message } = answer as { message: string };
    expect(message).toContain('RestApiServerException');
    expect(message).toContain('Airflow answered 500');
  });

  it('does not retry AccessDeniedException and answers 502', async () => {
    mwaa.failNext({ kind: 'access-denied' });
    const answer = await handlerWith()({ dag_name: TRAINING, conf: {} });
    expect(answer).toMatchObject({ statusCode: 502 });
    expect((answer as { message: string }).message).toContain('AccessDeniedException');
    expect(mwaa.calls).toHaveLength(0);
  });

  it('signs with SigV4 (service airflow): wrong credentials are refused by MWAA', async () => {
    const answer = await handlerWith({ credentials: { accessKeyId: CREDS.accessKeyId, secretAccessKey: 'wrong' } })({ dag_name: TRAINING, conf: {} });
    expect(answer).toMatchObject({ statusCode: 502 });
    expect((answer as { message: string }).message).toContain('InvalidSignatureException');
  });

  it('answers 502 for an unknown MWAA environment', async () => {
    const answer = await handlerWith({ environment: 'no-such-env' })({ dag_name: TRAINING, conf: {} });
    expect(answer).toMatchObject({ statusCode: 502 });
    expect((answer as { message: string }).message).toContain('ResourceNotFoundException');
  });

  it('logs one line per call without the conf', async () => {
    await handlerWith()({ dag_name: TRAINING, dag_run_id: 'log-1', conf: { secret_param: 'hidden' } });
    expect(logs).toEqual([{ msg: 'trigger', dag: TRAINING, dag_run_id: 'log-1', state: 'queued' }]);
  });
});

describe('status', () => {
  it('answers the run state from GET /dags/{dag_id}/dagRuns/{dag_run_id}', async () => {
    const handler = handlerWith();
    const runId = 'train__fd__7';
    await handler({ dag_name: TRAINING, dag_run_id: runId, conf: {} });

    expect(await handler({ action: 'status', dag_name: TRAINING, dag_run_id: runId })).toEqual({
      dag_run_id: runId,
      state: 'queued',
      start_date: null,
      end_date: null,
    });
    mwaa.setRunState(TRAINING, runId, 'failed');
    const answer = await handler({ action: 'status', dag_name: TRAINING, dag_run_id: runId });
    expect(answer).toMatchObject({ dag_run_id: runId, state: 'failed' });
    expect(typeof (answer as { end_date: unknown }).end_date).toBe('string');
    expect(mwaa.calls.at(-1)).toMatchObject({ Method: 'GET', Path: `/dags/${TRAINING}/dagRuns/${runId}` });
  });

  it('lists recent runs when the run path exceeds the 64-character InvokeRestApi Path limit', async () => {
    const handler = handlerWith();
    const runId = 'manual__2026-11-24T10:00:00+00:00';
    const direct = `/dags/${TRAINING}/dagRuns/${encodeURIComponent(runId)}`;
    expect(direct.length).toBeGreaterThan(64);
    await handler({ dag_name: TRAINING, dag_run_id: 'other-run', conf: {} });
    await handler({ dag_name: TRAINING, dag_run_id: runId, conf: {} });
    mwaa.setRunState(TRAINING, runId, 'running');

    expect(await handler({ action: 'status', dag_name: TRAINING, dag_run_id: runId })).toMatchObject({ dag_run_id: runId, state: 'running' });
    expect(mwaa.calls.at(-1)).toEqual(
      expect.objectContaining({ Method: 'GET', Path: `/dags/${TRAINING}/dagRuns`, QueryParameters: { limit: 100, offset: 0, order_by: '-execution_date' } }),
    );
    // The 409 path uses the same look-up.
    expect(await handler({ dag_name: TRAINING, dag_run_id: runId, conf: {} })).toEqual({ dag_run_id: runId, state: 'running', already_triggered: true });
    expect(await handler({ action: 'status', dag_name: TRAINING, dag_run_id: `${runId}-never-started` })).toMatchObject({ statusCode: 404 });
  });

  it('pages through the run list (newest first) for an older run; no conclusion is a 502, not a 404', async () => {
    const handler = handlerWith();
    const runId = 'manual__2026-11-24T10:00:00+00:00';
    await handler({ dag_name: TRAINING, dag_run_id: runId, conf: {} });
    for (let i = 0; i < 120; i++) await handler({ dag_name: TRAINING, dag_run_id: `newer-${i}`, conf: {} });
    expect(await handler({ action: 'status', dag_name: TRAINING, dag_run_id: runId })).toMatchObject({ dag_run_id: runId, state: 'queued' });
    expect(mwaa.calls.at(-1)?.QueryParameters).toMatchObject({ limit: 100, offset: 100 });
    // Over 500 newer runs: the run may exist further back, so the answer is an error, not "no such run".
    for (let i = 0; i < 400; i++) await handler({ dag_name: TRAINING, dag_run_id: `newest-${i}`, conf: {} });
    const answer = await handler({ action: 'status', dag_name: TRAINING, dag_run_id: runId });
    expect(answer).toMatchObject({ statusCode: 502 });
    expect((answer as { message: string }).message).toContain('not among the 500 most recent runs');
  });

  it('refuses a DAG id too long for the Path limit with 400', async () => {
    const long = `dag_${'x'.repeat(50)}`;
    const answer = await handlerWith({ allowed: [long] })({ dag_name: long, conf: {} });
    expect(answer).toMatchObject({ statusCode: 400 });
    expect(mwaa.calls).toHaveLength(0);
  });

  it('answers 404 for an unknown run and 403 for a DAG outside the allowlist', async () => {
    const handler = handlerWith();
    expect(await handler({ action: 'status', dag_name: TRAINING, dag_run_id: 'nope' })).toMatchObject({ statusCode: 404 });
    expect(await handler({ action: 'status', dag_name: 'not_allowed_dag', dag_run_id: 'x' })).toMatchObject({ statusCode: 403 });
  });
});
