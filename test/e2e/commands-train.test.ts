import { ActionId } from '../../src/slack/slack-ids';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { nextResponse, sendCommand, sleep, startBotWithAws, waitFor } from './commands-kit';

const RUN_ID = /^mlops_train__fraud-detector__\d{8}T\d{6}Z__[0-9a-f]{6}$/;

interface InvokePayload {
  dag_name: string;
  dag_run_id: string;
  conf: { model: string; requested_by: string; retrain: boolean; params: Record<string, string> };
}
const invokes = (t: TestBot) => t.aws.callsTo('lambda', 'Invoke').map((c) => c.body as InvokePayload);

describe('/mlops train and retrain (lambda trigger)', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({
      fileConfig: {
        ...SAMPLE_CONFIG,
        models: {
          ...SAMPLE_CONFIG.models,
          'fraud-detector': { ...SAMPLE_CONFIG.models['fraud-detector'], operators: { users: ['U0OPS'], usergroups: ['S0OPS'] } },
          'no-dag': { channel: 'C0NODAG' },
        },
      },
    });
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(async () => {
    t.slack.reset();
    t.aws.reset();
    t.slack.setUsergroup('S0OPS', ['U0GROUPY']);
    // Each test starts without a previous request (the duplicate guard).
    await t.bot.deps.store.delete('model:fraud-detector:training-request');
    await t.bot.deps.store.delete('model:churn-predictor:training-request');
  });

  it('triggers the training DAG with the contract conf, posts in the channel and threads the run under that message', async () => {
    const ack = await sendCommand(t, 'train fraud-detector epochs=20 note="new features"', { userId: 'U0OPS' });
    expect(ack).toMatchObject({ status: 200 });
    expect(ack.body).toBeUndefined(); // empty ack: the work happens after it

    const [payload] = await waitFor('the Invoke', () => (invokes(t).length > 0 ? invokes(t) : undefined));
    expect(payload?.dag_name).toBe('fraud_detector_training');
    expect(payload?.dag_run_id).toMatch(RUN_ID);
    expect(payload?.conf).toEqual({ model: 'fraud-detector', requested_by: 'U0OPS', retrain: false, params: { epochs: '20', note: 'new features' } });
    const runId = payload?.dag_run_id ?? '';
    expect(t.aws.callsTo('lambda', 'Invoke')[0]?.path).toBe('/2015-03-31/functions/mlops-dag-trigger/invocations');

    const [message] = t.slack.messages('C0FRAUD');
    expect(message?.text).toBe(`training fraud-detector requested by <@U0OPS> (run ${runId})`);
    const run = await waitFor('the run record', () => t.bot.deps.runs.get(`run:${runId}`));
    expect(run).toMatchObject({
      model: 'fraud-detector',
      dagId: 'fraud_detector_training',
      runId,
      channel: 'C0FRAUD',
      ts: message?.ts,
      startedBy: 'U0OPS',
      stage: 'requested',
    });
    expect(run.outcome).toBeUndefined();
    const [audit] = await waitFor('the audit entry', async () => {
      const entries = await t.bot.deps.audit.recent('fraud-detector', 5);
      return entries.length > 0 ? entries : undefined;
    });
    expect(audit).toMatchObject({ action: 'training_requested', actor: 'U0OPS', dagRunId: runId, model: 'fraud-detector' });
    const logged = await waitFor('the log line', () => t.logs.lines.find((l) => l.includes('training DAG triggered')));
    expect(JSON.parse(logged)).toMatchObject({ model: 'fraud-detector', run: runId, slackUser: 'U0OPS', dagId: 'fraud_detector_training' });
    // Nothing ephemeral was needed: the channel message is the answer.
    expect(t.slack.responses).toHaveLength(0);
  });

  it('retrain sends retrain: true and no params, and refuses parameters', async () => {
    await sendCommand(t, 'retrain churn-predictor', { userId: 'U0ANYONE', channelId: 'C0CHURN' });
    const [payload] = await waitFor('the Invoke', () => (invokes(t).length > 0 ? invokes(t) : undefined));
    expect(payload?.dag_name).toBe('churn_predictor_training');
    expect(payload?.conf).toEqual({ model: 'churn-predictor', requested_by: 'U0ANYONE', retrain: true, params: {} });
    expect(t.slack.messages('C0CHURN')[0]?.text).toMatch(/^retraining churn-predictor requested by <@U0ANYONE> \(run mlops_train__churn-predictor__/);

    await sendCommand(t, 'retrain churn-predictor epochs=3', { userId: 'U0ANYONE' });
    const answer = await nextResponse(t, 0);
    expect(answer.text).toMatch(/^Retrain takes no parameters; use `\/mlops train &lt;model&gt; key=value…`/);
    expect(answer.responseType).toBe('ephemeral');
    expect(invokes(t)).toHaveLength(1);
  });

  it('refuses users who are not operators (user list or user group), and lets group members in', async () => {
    await sendCommand(t, 'train fraud-detector', { userId: 'U0EVE' });
    const refusal = await nextResponse(t, 0);
    expect(refusal.responseType).toBe('ephemeral');
    expect(refusal.all).toContain('Only operators of fraud-detector may start training: <@U0OPS> or members of <!subteam^S0OPS>');
    await sendCommand(t, 'retrain fraud-detector', { userId: 'U0EVE' });
    expect((await nextResponse(t, 1)).text).toContain('Only operators of fraud-detector');
    await sleep(200);
    expect(invokes(t)).toHaveLength(0);
    expect(t.slack.messages('C0FRAUD')).toHaveLength(0);

    await sendCommand(t, 'train fraud-detector', { userId: 'U0GROUPY' });
    const [payload] = await waitFor('the Invoke', () => (invokes(t).length > 0 ? invokes(t) : undefined));
    expect(payload?.conf.requested_by).toBe('U0GROUPY');
  });

  it('answers an unknown model, a missing argument and bad parameters at once, in the ack', async () => {
    const unknown = await sendCommand(t, 'train fraud-detektor');
    expect(unknown.body?.response_type).toBe('ephemeral');
    expect(unknown.body?.text).toContain(
      '"fraud-detektor" is not a configured model. Did you mean `fraud-detector`? Configured models: `fraud-detector`, `churn-predictor`, `no-dag`.',
    );
    const missing = await sendCommand(t, 'train');
    expect(missing.body?.text).toBe(
      'Missing &lt;model&gt;. Usage: `/mlops train &lt;model&gt; [key=value…]` — for example `/mlops train fraud-detector epochs=20 learning_rate=0.01`',
    );
    const repeated = await sendCommand(t, 'train fraud-detector a=1 a=2');
    expect(repeated.body?.text).toContain('option "a" is given twice');
    await sendCommand(t, 'train fraud-detector churn-predictor', { userId: 'U0OPS' });
    expect((await nextResponse(t, 0)).text).toMatch(/^Unexpected argument `churn-predictor`\. Usage: `\/mlops train/);
    await sleep(200);
    expect(invokes(t)).toHaveLength(0);
  });

  it('names the missing trainingDag setting', async () => {
    await sendCommand(t, 'train no-dag');
    expect((await nextResponse(t, 0)).text).toContain('no-dag has no training DAG configured: set `models.no-dag.trainingDag` in the config file');
    expect(invokes(t)).toHaveLength(0);
  });

  it('asks before starting a second run while the first has no outcome; Confirm starts it once, Cancel starts nothing', async () => {
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    const [first] = await waitFor('the first Invoke', () => (invokes(t).length === 1 ? invokes(t) : undefined));

    await sendCommand(t, 'train fraud-detector epochs=5', { userId: 'U0OPS' });
    const question = await nextResponse(t, 0);
    expect(question.responseType).toBe('ephemeral');
    expect(question.text).toContain(`already has a training run requested just now by <@U0OPS> (run ${first?.dag_run_id}) with no outcome yet`);
    const buttons = (t.slack.responses[0]?.blocks ?? []).flatMap((b) =>
      (b as { type: string }).type === 'actions' ? (b as { elements: { action_id: string; value: string }[] }).elements : [],
    );
    expect(buttons.map((b) => b.action_id)).toEqual([ActionId.ConfirmTrain, ActionId.CancelTrain]);
    const pendingId = buttons[0]?.value ?? '';
    await sleep(200);
    expect(invokes(t)).toHaveLength(1);

    // Confirm, twice (a double click): exactly one more run, with the asked-for params.
    const click = { actionId: ActionId.ConfirmTrain, value: pendingId, userId: 'U0OPS', channelId: 'C0FRAUD', messageTs: '1.000001' };
    expect((await t.click(click)).status).toBe(200);
    const started = await nextResponse(t, 1);
    expect(started.replaceOriginal).toBe(true);
    expect(started.text).toMatch(/^Training of fraud-detector started \(run mlops_train__fraud-detector__.*\)\. Updates follow in <#C0FRAUD>\./);
    await t.click(click);
    expect((await nextResponse(t, 2)).text).toContain('expired or was already answered; nothing was started');
    expect(invokes(t)).toHaveLength(2);
    expect(invokes(t)[1]?.conf.params).toEqual({ epochs: '5' });
    expect(invokes(t)[1]?.dag_run_id).not.toBe(first?.dag_run_id);

    // A third request asks again (the confirmed run is now the latest); Cancel starts nothing.
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    const again = await nextResponse(t, 3);
    const cancelId =
      ((t.slack.responses[3]?.blocks ?? []).find((b) => (b as { type: string }).type === 'actions') as { elements: { value: string }[] }).elements[1]?.value ??
      '';
    expect(again.text).toContain('with no outcome yet');
    await t.click({ ...click, actionId: ActionId.CancelTrain, value: cancelId });
    expect((await nextResponse(t, 4)).text).toBe('Cancelled: no new training of fraud-detector was started.');
    await sleep(200);
    expect(invokes(t)).toHaveLength(2);
  });

  it('starts without asking once the previous run has an outcome', async () => {
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    const [first] = await waitFor('the first Invoke', () => (invokes(t).length === 1 ? invokes(t) : undefined));
    await waitFor('the run record', () => t.bot.deps.runs.get(`run:${first?.dag_run_id}`));
    await t.bot.deps.runs.update(`run:${first?.dag_run_id}`, (r) => ({ ...r, outcome: 'succeeded', stage: 'trained' }));
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
    await waitFor('the second Invoke', () => (invokes(t).length === 2 ? true : undefined));
    expect(t.slack.responses).toHaveLength(0);
  });

  describe('trigger failures: a clear ephemeral answer, the channel message withdrawn, the guard released', () => {
    // A FunctionError (the function crashed) is not a refusal: the run may exist (issue 10, trigger-doubt-training.test.ts).
    const cases: [string, () => void, RegExp][] = [
      [
        'a refusal (statusCode >= 400)',
        () => t.aws.lambda.onInvoke(() => ({ payload: { statusCode: 400, message: 'DAG not found' } })),
        /refused to start DAG fraud_detector_training \(status 400\): DAG not found\. Nothing was started\.$/,
      ],
      [
        'AccessDenied (naming the permission)',
        () =>
          t.aws.failNext(
            'lambda',
            'Invoke',
            { error: { status: 403, type: 'AccessDeniedException', message: 'not authorized to perform: lambda:InvokeFunction' } },
            2,
          ),
        /not allowed to call lambda:InvokeFunction on Lambda function mlops-dag-trigger\. Grant the IAM action lambda:InvokeFunction.*Nothing was started\.$/,
      ],
      [
        'throttling',
        () => t.aws.failNext('lambda', 'Invoke', { error: { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' } }, 2),
        /AWS is limiting the rate of lambda:InvokeFunction calls right now.*Try again in a minute\. Nothing was started\.$/,
      ],
      [
        'a missing function',
        () => t.aws.failNext('lambda', 'Invoke', { error: { status: 404, type: 'ResourceNotFoundException', message: 'Function not found' } }, 2),
        /Lambda function mlops-dag-trigger does not exist in this AWS account and region\..*Check the `trigger` section of the config file\./,
      ],
    ];
    it.each(cases)('%s', async (_name, arrange, expected) => {
      arrange();
      await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
      const answer = await nextResponse(t, 0, 15_000);
      expect(answer.responseType).toBe('ephemeral');
      expect(answer.text).toMatch(expected);
      await waitFor('the withdrawn message', () => (t.slack.callsTo('chat.delete').length === 1 ? true : undefined));
      expect(t.slack.messages('C0FRAUD')).toHaveLength(0);
      const [failed] = await t.bot.deps.audit.recent('fraud-detector', 1);
      expect(failed).toMatchObject({ action: 'trigger_failed', actor: 'U0OPS' });
      const run = await t.bot.deps.runs.get(`run:${failed?.dagRunId}`);
      expect(run).toMatchObject({ outcome: 'failed', stage: 'failed' });
      // The guard is free: the next request goes straight to the trigger.
      t.aws.reset();
      await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS' });
      await waitFor('the retry Invoke', () => (invokes(t).length === 1 ? true : undefined));
      expect(t.slack.responses).toHaveLength(1);
    });
  });
});

describe('train edge configurations', () => {
  it('names the `trigger` section when no trigger is configured', async () => {
    const { trigger: _trigger, ...withoutTrigger } = SAMPLE_CONFIG;
    const t = await startTestBot({ fileConfig: withoutTrigger, store: 'memory' });
    try {
      await sendCommand(t, 'train fraud-detector');
      const answer = await nextResponse(t, 0);
      expect(answer.text).toContain('No DAG trigger is configured, so the bot cannot start DAGs: add a `trigger` section to the config file');
      expect(t.aws.callsTo('lambda')).toHaveLength(0);
    } finally {
      await t.stop();
    }
  });

  it('triggers through MWAA InvokeRestApi with kind: mwaa', async () => {
    const t = await startTestBot({ fileConfig: { ...SAMPLE_CONFIG, trigger: { kind: 'mwaa', environment: 'mlops-prod' } } });
    try {
      await sendCommand(t, 'train fraud-detector lr=0.1', { userId: 'U0ALICE' });
      const [run] = await waitFor('the MWAA run', () => (t.aws.mwaa.runs('mlops-prod').length > 0 ? t.aws.mwaa.runs('mlops-prod') : undefined));
      expect(run).toMatchObject({ environment: 'mlops-prod', dagId: 'fraud_detector_training', state: 'queued' });
      expect(run?.dagRunId).toMatch(RUN_ID);
      expect(run?.conf).toEqual({ model: 'fraud-detector', requested_by: 'U0ALICE', retrain: false, params: { lr: '0.1' } });
      const call = t.aws.callsTo('mwaa', 'InvokeRestApi')[0];
      expect(call?.path).toBe('/restapi/mlops-prod');
      expect(call?.body).toMatchObject({ Path: '/dags/fraud_detector_training/dagRuns', Method: 'POST' });
      expect(t.aws.callsTo('lambda')).toHaveLength(0);
      await waitFor('the channel message', () => (t.slack.messages('C0FRAUD').length === 1 ? true : undefined));
    } finally {
      await t.stop();
    }
  });

  it('acks before the trigger answers (the Lambda takes 5 s), and says so when the trigger times out', async () => {
    const t = await startBotWithAws({ requestTimeoutMs: 10_000, maxAttempts: 1 });
    try {
      t.aws.lambda.onInvoke(async () => {
        await sleep(5000);
        return undefined; // then the default behaviour: the run is queued
      });
      const ack = await sendCommand(t, 'train fraud-detector', { userId: 'U0ALICE' });
      expect(ack.status).toBe(200);
      expect(ack.ms).toBeLessThan(1500);
      expect(t.aws.lambda.runs()).toHaveLength(0);
      await waitFor('the queued run', () => (t.aws.lambda.runs().length === 1 ? true : undefined), 9000);
      expect(t.aws.lambda.runs()[0]?.conf).toMatchObject({ model: 'fraud-detector', requested_by: 'U0ALICE' });
    } finally {
      await t.stop();
    }
    const fast = await startBotWithAws({ requestTimeoutMs: 300, maxAttempts: 1 });
    try {
      fast.aws.lambda.onInvoke(async () => {
        await sleep(1000);
        return undefined;
      });
      await sendCommand(fast, 'train fraud-detector', { userId: 'U0ALICE' });
      const answer = await nextResponse(fast, 0);
      // Not a failure: the run may have started, so it is kept and confirmed (issue 10).
      expect(answer.text).toMatch(
        /AWS did not answer lambda:InvokeFunction on Lambda function mlops-dag-trigger in time.*The run may have started: it is kept as requested/,
      );
    } finally {
      await fast.stop();
    }
  }, 30_000);
});
