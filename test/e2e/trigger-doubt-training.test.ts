/**
 * Issue 10 item 2, training: a Lambda whose answer is lost or unclear after it received the Invoke
 * is not "nothing was started". The real bot and Lambda client (400 ms per attempt, 2 attempts)
 * against a fake AWS that acts on the request and loses the answer; fake Slack at 300 ms.
 */
import { SAMPLE_CONFIG, type TestBot } from '../kit/start-test-bot';
import type { FakeAwsRequest } from '../kit/fake-aws-server';
import { nextResponse, sendCommand, startBotWithAws, waitFor } from './commands-kit';

const CONFIG = {
  ...SAMPLE_CONFIG,
  models: { ...SAMPLE_CONFIG.models, 'fraud-detector': { ...SAMPLE_CONFIG.models['fraud-detector'], operators: { users: ['U0OPS'], usergroups: [] } } },
};
const DAG = 'fraud_detector_training';
const isTrigger = (r: FakeAwsRequest) => (r.body as { action?: string } | undefined)?.action === undefined;
const triggerRunIds = (t: TestBot) =>
  t.aws
    .callsTo('lambda', 'Invoke')
    .map((c) => c.body as { action?: string; dag_run_id?: string })
    .filter((b) => b.action === undefined)
    .map((b) => b.dag_run_id);
const auditActions = async (t: TestBot) => (await t.bot.deps.audit.recent('fraud-detector', 20)).map((e) => e.action).reverse();

describe('DOUBT (training): an unclear trigger answer keeps the run, its guard and its message, and says so', () => {
  let t: TestBot;
  beforeEach(async () => {
    t = await startBotWithAws({ requestTimeoutMs: 400, maxAttempts: 2 }, { fileConfig: CONFIG });
    t.slack.setLatency(300);
  });
  afterEach(async () => {
    await t.stop();
  });

  it('answers lost (trigger and status): the user is told it is being confirmed; nothing is withdrawn; a second train asks first', async () => {
    t.aws.answerFate('lambda', 'Invoke', { fate: 'lost' });
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    const answer = await nextResponse(t, 0, 20_000);
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toContain("the trigger's answer did not come back clearly");
    expect(answer.text).not.toContain('Nothing was started');
    const [runId] = triggerRunIds(t);
    expect(t.aws.lambda.runs().filter((r) => r.dagId === DAG)).toHaveLength(1); // the lost request did start it
    expect(t.slack.callsTo('chat.delete')).toHaveLength(0);
    const run = await t.bot.deps.runs.get(`run:${runId}`);
    expect(run).toMatchObject({ stage: 'requested' });
    expect(run?.outcome).toBeUndefined();
    expect(await auditActions(t)).toEqual(['trigger_unclear']);

    // The duplicate guard still holds this run id: a second train asks instead of starting another run.
    t.aws.clearFates();
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    const second = await nextResponse(t, 1);
    expect(second.text).toContain(`(run ${runId}) with no outcome yet`);
    expect(new Set(triggerRunIds(t))).toEqual(new Set([runId]));
  }, 40_000);

  it('answers lost but the status finds the run: started as usual, one run, nothing to tell', async () => {
    t.aws.answerFate('lambda', 'Invoke', { fate: 'lost', when: isTrigger });
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    await waitFor('the training request in the audit log', async () => ((await auditActions(t)).includes('training_requested') ? true : undefined), 20_000);
    expect(t.aws.lambda.runs().filter((r) => r.dagId === DAG)).toHaveLength(1);
    expect(new Set(triggerRunIds(t)).size).toBe(1);
    expect(t.slack.callsTo('chat.delete')).toHaveLength(0);
    expect(t.slack.responses).toHaveLength(0);
  }, 40_000);

  it('the function crashed before Airflow (FunctionError) and the status proves no run: started again with the SAME run id', async () => {
    let crashes = 1;
    t.aws.lambda.onInvoke((payload) =>
      (payload as { action?: string }).action === undefined && crashes-- > 0
        ? { functionError: { errorMessage: 'Runtime exited with error: signal: killed', errorType: 'Runtime.ExitError' } }
        : undefined,
    );
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    await waitFor('the training request in the audit log', async () => ((await auditActions(t)).includes('training_requested') ? true : undefined), 20_000);
    const ids = triggerRunIds(t);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
    expect(t.aws.lambda.runs().map((r) => r.dagRunId)).toEqual([ids[0]]);
    expect(t.slack.responses).toHaveLength(0);
  }, 40_000);
});
