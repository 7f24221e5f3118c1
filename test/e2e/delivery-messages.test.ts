import { randomUUID } from 'node:crypto';
import { deploymentRunIdFor } from '../../src/core/candidate';
import { ActionId } from '../../src/slack/slack-ids';
import { evaluationCompleted, trainingFailed, trainingStarted } from '../fixtures/pipeline-events';
import type { FakeSlackMessage } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { DEFAULT_TRAINING_JOB_NAME } from '../kit/fake-aws-server';

/** Every block text of a message, joined, for "contains" assertions. */
function textOf(message: FakeSlackMessage | undefined): string {
  return JSON.stringify(message?.blocks ?? []) + (message?.text ?? '');
}

async function until<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('delivery: pipeline events become Slack messages (signed hook → fake Slack)', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('threads a run: the first event posts the top message, later ones reply, the top shows the current stage', async () => {
    const runId = `manual__${randomUUID()}`;
    const run = { dagId: 'fraud_detector_training', runId, url: 'https://mwaa.example.com/dags/fraud_detector_training/grid' };
    expect((await t.hook(trainingStarted({ run, requestedBy: 'U0ALICE' }))).status).toBe(202);
    const top = await until(() => t.slack.messages('C0FRAUD').find((m) => m.text.includes(runId) && m.thread_ts === undefined));
    expect(textOf(top)).toContain('Training of');
    expect(textOf(top)).toContain('<@U0ALICE>');
    expect(textOf(top)).toMatch(/Stage: \*started\*/);

    const succeeded = {
      id: randomUUID(),
      type: 'training.succeeded',
      model: 'fraud-detector',
      version: '1.4.0',
      timestamp: '2026-11-24T10:42:00Z',
      run,
      trainingJob: DEFAULT_TRAINING_JOB_NAME,
    };
    expect((await t.hook(succeeded)).status).toBe(202);
    const reply = await until(() => t.slack.messages('C0FRAUD').find((m) => m.thread_ts === top.ts && m.ts !== top.ts && m.text.includes('succeeded')));
    // Enriched from DescribeTrainingJob: duration 39m 45s, ml.m5.xlarge, billable 2385 s.
    expect(textOf(reply)).toContain('39m 45s');
    expect(textOf(reply)).toContain('ml.m5.xlarge');
    await until(() => (textOf(t.slack.message('C0FRAUD', top.ts)).includes('Stage: started ✓ → *trained*') ? true : undefined));

    const evaluation = evaluationCompleted({ run });
    expect((await t.hook(evaluation)).status).toBe(202);
    const evalMessage = await until(() => t.slack.messages('C0FRAUD').find((m) => m.thread_ts === top.ts && m.ts !== top.ts && m.text.includes('evaluated')));
    expect(evalMessage.reply_broadcast).toBe(true);
    await until(() => (textOf(t.slack.message('C0FRAUD', top.ts)).includes('*evaluated*') ? true : undefined));
    // One message per event, all in the run's thread.
    const runMessages = t.slack.messages('C0FRAUD').filter((m) => m.ts === top.ts || m.thread_ts === top.ts);
    expect(runMessages).toHaveLength(3);
  });

  it('posts an evaluation with deltas against the recorded production version, a confusion matrix and Deploy/Reject on the candidate', async () => {
    // The production baseline: the last version that reached deployment.succeeded (with metrics).
    const deployed = {
      id: randomUUID(),
      type: 'deployment.succeeded',
      model: 'fraud-detector',
      version: '1.3.0',
      timestamp: '2026-11-20T14:30:00Z',
      run: { dagId: 'fraud_detector_deployment', runId: `deploy__${randomUUID()}` },
      endpoint: 'fraud-detector-prod',
      metrics: { f1: 0.88, precision: 0.9, recall: 0.86, mse: 0.05 },
    };
    expect((await t.hook(deployed)).status).toBe(202);
    const live = await until(() => t.slack.messages('C0FRAUD').find((m) => m.text.includes('1.3.0 is live')));
    expect(textOf(live)).toContain('AllTraffic'); // endpoint details from DescribeEndpoint
    await until(async () => ((await t.bot.deps.production.current('fraud-detector'))?.version === '1.3.0' ? true : undefined));

    const evaluation = evaluationCompleted();
    expect((await t.hook(evaluation)).status).toBe(202);
    const message = await until(() =>
      t.slack
        .messages('C0FRAUD')
        .find(
          (m) =>
            m.text.includes('1.4.0 evaluated') &&
            !textOf(m).includes(evaluation.run.runId.slice(-8)) &&
            m.thread_ts === undefined &&
            textOf(m).includes('1.3.0'),
        ),
    );
    const text = textOf(message);
    expect(text).toContain('better than 1.3.0 in production: F1 0.91 vs 0.88');
    expect(text).toContain('+0.03');
    // Every metric judged by its direction: MSE 0.041 against 0.05 is lower, hence better.
    expect(text).toMatch(/F1 +0\.91 +0\.88 +\+0\.03 +▲ better/);
    expect(text).toMatch(/MSE +0\.041 +0\.05 +−0\.009 +▲ better/);
    expect(text).toContain('malicious');
    expect(text).toContain('950');
    const actions = (message.blocks as { type: string; elements?: { action_id: string; value: string; confirm?: unknown }[] }[]).find(
      (b) => b.type === 'actions',
    );
    const deploy = actions?.elements?.find((e) => e.action_id === ActionId.Deploy);
    const reject = actions?.elements?.find((e) => e.action_id === ActionId.Reject);
    expect(deploy?.confirm).toBeDefined();
    expect(reject).toBeDefined();
    const candidate = await t.bot.deps.candidates.get(deploy?.value ?? '');
    expect(candidate).toMatchObject({
      model: 'fraud-detector',
      version: '1.4.0',
      state: 'pending',
      origin: 'evaluation',
      requiredApprovals: 1,
      endpoint: 'fraud-detector-prod',
    });
    await until(async () => ((await t.bot.deps.candidates.get(deploy?.value ?? ''))?.message?.ts === message.ts ? true : undefined));
  });

  it('sends failures to the model channel and the alert channel, red, with the task, the error, the log link and the run', async () => {
    const failed = trainingFailed();
    expect((await t.hook(failed)).status).toBe(202);
    const inModel = await until(() => t.slack.messages('C0FRAUD').find((m) => textOf(m).includes(failed.run.runId)));
    const inAlerts = await until(() => t.slack.messages('C0ALERTS').find((m) => textOf(m).includes(failed.run.runId)));
    for (const m of [inModel, inAlerts]) {
      expect(textOf(m)).toContain('🔴');
      expect(textOf(m)).toContain('train_model');
      expect(textOf(m)).toContain('ResourceLimitExceeded');
      expect(textOf(m)).toContain('|logs>');
    }
    expect(textOf(inAlerts)).toContain('<#C0FRAUD>');
    const last = JSON.parse((await t.bot.deps.store.get('model:fraud-detector:last-failure')) ?? '{}');
    expect(last).toMatchObject({ type: 'training.failed', task: 'train_model', runId: failed.run.runId });
  });

  it('groups repeated failures of one model and DAG: one alert per channel, updated with the count, the others in its thread', async () => {
    const dagId = `nightly_${randomUUID().slice(0, 8)}`;
    const failures = [1, 2, 3].map((n) => trainingFailed({ run: { dagId, runId: `scheduled__${n}-${randomUUID()}` } }));
    for (const f of failures) expect((await t.hook(f)).status).toBe(202);
    for (const channel of ['C0ALERTS', 'C0FRAUD']) {
      const root = await until(() =>
        t.slack
          .messages(channel)
          .find((m) => m.thread_ts !== undefined && m.ts === m.thread_ts && textOf(m).includes(dagId) && textOf(m).includes('3 failures in 10 min')),
      );
      expect(textOf(root)).toContain(failures[0]?.run.runId);
      const replies = t.slack.messages(channel).filter((m) => m.thread_ts === root.ts && m.ts !== root.ts);
      expect(replies.map((m) => [failures.findIndex((f) => textOf(m).includes(f.run.runId)), /Failure \d/.exec(textOf(m))?.[0]])).toEqual([
        [1, 'Failure 2'],
        [2, 'Failure 3'],
      ]);
      expect(t.slack.messages(channel).filter((m) => textOf(m).includes(dagId) && (m.thread_ts === undefined || m.thread_ts === m.ts))).toHaveLength(1);
    }
  });

  it('cuts a long error cleanly in the alert and posts the full text in its thread (inline, or as a file when very long)', async () => {
    const dagId = `long_${randomUUID().slice(0, 8)}`;
    const traceback =
      Array.from({ length: 80 }, (_, i) => `  File "/opt/ml/code/train.py", line ${i + 10}, in step_${i} <module> & more`).join('\n') +
      '\nRuntimeError: CUDA out of memory';
    const long = trainingFailed({
      run: { dagId, runId: `scheduled__${randomUUID()}` },
      error: { task: 'train_model', message: traceback, logUrl: 'https://mwaa.example.com/log' },
    });
    expect((await t.hook(long)).status).toBe(202);
    for (const channel of ['C0FRAUD', 'C0ALERTS']) {
      const alert = await until(() =>
        t.slack.messages(channel).find((m) => textOf(m).includes(long.run.runId) && (m.thread_ts === undefined || m.ts === m.thread_ts)),
      );
      expect(textOf(alert)).toContain('Cut short');
      const sections = (alert.blocks as { type: string; text?: { text: string } }[]).filter((b) => b.type === 'section' && b.text !== undefined);
      expect(sections.every((b) => (b.text?.text.length ?? 0) <= 3000 && (b.text?.text.match(/```/g) ?? []).length % 2 === 0)).toBe(true);
      const detail = await until(() => t.slack.messages(channel).find((m) => m.thread_ts === alert.ts && m.ts !== alert.ts));
      expect(textOf(detail)).toContain('CUDA out of memory');
      expect(textOf(detail)).toContain('&amp; more');
    }
    const huge = trainingFailed({
      run: { dagId: `huge_${randomUUID().slice(0, 8)}`, runId: `scheduled__${randomUUID()}` },
      error: { task: 'train_model', message: 'x'.repeat(40_000) + ' END' },
    });
    expect((await t.hook(huge)).status).toBe(202);
    const files = await until(() => {
      const found = t.slack.files().filter((f) => f.completed && f.content?.toString('utf8').endsWith(' END'));
      return found.length === 2 ? found : undefined;
    });
    expect(files.map((f) => f.channel_id).sort()).toEqual(['C0ALERTS', 'C0FRAUD']);
    expect(files.every((f) => f.thread_ts !== undefined && f.content?.length === 40_004)).toBe(true);
  });

  it('sends events of an unknown model to the default channel, failures also to the alert channel', async () => {
    const runId = `unknown-${randomUUID()}`;
    expect((await t.hook(trainingStarted({ model: 'image-tagger', run: { dagId: 'image_tagger_training', runId } }))).status).toBe(202);
    await until(() => t.slack.messages('C0DEFAULT').find((m) => m.text.includes(runId)));
    const failed = trainingFailed({ model: 'image-tagger', run: { dagId: 'image_tagger_training', runId } });
    expect((await t.hook(failed)).status).toBe(202);
    await until(() => t.slack.messages('C0ALERTS').find((m) => textOf(m).includes(runId)));
    const top = t.slack.messages('C0DEFAULT').find((m) => m.text.includes(runId) && (m.thread_ts === undefined || m.thread_ts === m.ts));
    // In the default channel the failure replies in the run's thread, and the top message turns red.
    await until(() => t.slack.messages('C0DEFAULT').find((m) => m.thread_ts === top?.ts && m.ts !== top?.ts && textOf(m).includes('train_model')));
    await until(() => (textOf(t.slack.message('C0DEFAULT', top?.ts ?? '')).includes('Stage: *failed*') ? true : undefined));
    expect(t.slack.messages('C0FRAUD').some((m) => m.text.includes(runId))).toBe(false);
  });

  it('threads a run started from Slack under the message that started it, leaving that message as it is', async () => {
    const runId = `mlops_train__fraud-detector__${randomUUID()}`;
    const started = await t.bot.deps.slack.chat.postMessage({ channel: 'C0FRAUD', text: 'training fraud-detector requested by <@U0BOB>' });
    await t.bot.deps.runs.registerSlackStartedRun({
      runId,
      dagId: 'fraud_detector_training',
      model: 'fraud-detector',
      channel: 'C0FRAUD',
      ts: started.ts ?? '',
      requestedBy: 'U0BOB',
      at: new Date(),
    });
    expect((await t.hook(trainingStarted({ run: { dagId: 'fraud_detector_training', runId } }))).status).toBe(202);
    const reply = await until(() => t.slack.messages('C0FRAUD').find((m) => m.thread_ts === started.ts && m.ts !== started.ts));
    expect(textOf(reply)).toContain('<@U0BOB>');
    expect(t.slack.message('C0FRAUD', started.ts ?? '')?.edited).toBeUndefined();
    expect((await t.bot.deps.runs.get(`run:${runId}`))?.stage).toBe('started');
  });

  it('threads deployment events under the training run of their candidate and moves its top message to deploying, then live', async () => {
    const run = { dagId: 'churn_predictor_training', runId: `manual__${randomUUID()}` };
    expect((await t.hook(trainingStarted({ model: 'churn-predictor', run }))).status).toBe(202);
    const top = await until(() => t.slack.messages('C0CHURN').find((m) => m.text.includes(run.runId) && m.thread_ts === undefined));
    const evaluation = evaluationCompleted({
      model: 'churn-predictor',
      version: '2.1.0',
      run,
      metrics: { auc: 0.93, logloss: 0.2 },
      endpoint: 'churn-predictor-prod',
    });
    expect((await t.hook(evaluation)).status).toBe(202);
    const candidate = await until(async () =>
      (await t.bot.deps.candidates.listByModel('churn-predictor')).find((c) => c.sourceEventId === evaluation.id && c.message !== undefined),
    );
    const deployRun = { dagId: 'churn_predictor_deployment', runId: deploymentRunIdFor(candidate.id, 1) };
    const base = { model: 'churn-predictor', version: '2.1.0', run: deployRun, endpoint: 'churn-predictor-prod' };
    expect((await t.hook({ ...base, id: randomUUID(), type: 'deployment.started', timestamp: '2026-11-24T11:00:00Z' })).status).toBe(202);
    await until(() => t.slack.messages('C0CHURN').find((m) => m.thread_ts === top.ts && m.text.startsWith('Deploying churn-predictor 2.1.0')));
    await until(() => (/Stage: .*\*deploying\*/.test(textOf(t.slack.message('C0CHURN', top.ts))) ? true : undefined));
    expect((await t.hook({ ...base, id: randomUUID(), type: 'deployment.succeeded', timestamp: '2026-11-24T11:09:00Z' })).status).toBe(202);
    await until(() => t.slack.messages('C0CHURN').find((m) => m.thread_ts === top.ts && m.text.includes('2.1.0 is live')));
    await until(() => (/Stage: .*\*live\*/.test(textOf(t.slack.message('C0CHURN', top.ts))) ? true : undefined));
    // training started, evaluation, deployment started, deployment succeeded: four messages, one thread.
    expect(t.slack.messages('C0CHURN').filter((m) => m.ts === top.ts || m.thread_ts === top.ts)).toHaveLength(4);
  });
});
