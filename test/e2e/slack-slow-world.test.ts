/**
 * The end-to-end flows that touch Slack, with Slack as slow as a cloud region on a bad day: every
 * Web API method and every response_url answers in 300 ms (chat.postMessage in 400). Deploy,
 * train, status and the delivery of pipeline events must still do the right thing, once, and
 * every ack must come before the bot's first outbound Slack call (counted, not timed).
 */
import { randomUUID } from 'node:crypto';
import { ActionId } from '../../src/slack/slack-ids';
import { evaluationCompleted, trainingStarted } from '../fixtures/pipeline-events';
import { startFakeSlack, type FakeSlack, type FakeSlackCall } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { APPROVALS_CONFIG, getCandidate, handledClicks, seedCandidate, waitFor } from './approvals-helpers';

const LATENCY = { default: 300, 'chat.postMessage': 400 };

describe('a slow Slack (300-400 ms per call): the flows still happen once, acks never wait', () => {
  let slack: FakeSlack;
  let t: TestBot;
  beforeAll(async () => {
    slack = await startFakeSlack({ latencyMs: LATENCY });
    t = await startTestBot({ fileConfig: APPROVALS_CONFIG, slack });
  });
  afterAll(async () => {
    await t.stop();
    await slack.close();
  });

  async function ackedBeforeAnySlackCall(send: () => Promise<Response>): Promise<{ status: number; body: string; arrived: FakeSlackCall[] }> {
    const before = slack.calls.length;
    const res = await send();
    const body = await res.text();
    return { status: res.status, body, arrived: slack.calls.slice(before) };
  }

  it('Deploy: acked first, one DAG trigger, the message says Deploying', async () => {
    const seeded = await seedCandidate(t, { version: '2.0.0' });
    const handled = await handledClicks(t, 'deploy');
    const ack = await ackedBeforeAnySlackCall(() =>
      t.click({ actionId: ActionId.Deploy, value: seeded.id, userId: 'U0BOB', channelId: seeded.channel, messageTs: seeded.ts }),
    );
    expect(ack.status).toBe(200);
    expect(ack.arrived).toEqual([]);
    await waitFor(async () => (await handledClicks(t, 'deploy')) > handled, 'the click to be handled', 15_000);
    expect((await getCandidate(t, seeded.id)).state).toBe('deploying');
    const invokes = t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { conf?: { candidate_id?: string } }).conf?.candidate_id === seeded.id);
    expect(invokes).toHaveLength(1);
    expect(slack.message(seeded.channel, seeded.ts)!.text).toContain('Deploying to fraud-detector-prod');
    expect(slack.callsTo('chat.update').filter((c) => c.args['ts'] === seeded.ts).length).toBeGreaterThanOrEqual(1);
  });

  it('/mlops train: acked first, one DAG trigger, one "training requested" message', async () => {
    const ack = await ackedBeforeAnySlackCall(() => t.command('train churn-predictor epochs=3', { userId: 'U0CAROL', channelId: 'C0CHURN' }));
    expect(ack.status).toBe(200);
    expect(ack.arrived).toEqual([]);
    const invoke = await waitFor(
      () => t.aws.callsTo('lambda', 'Invoke').find((c) => (c.body as { dag_name?: string }).dag_name === 'churn_predictor_training'),
      'the training Invoke',
      15_000,
    );
    const runId = (invoke.body as { dag_run_id: string }).dag_run_id;
    await waitFor(() => slack.messages('C0CHURN').find((m) => m.text.includes(runId)), 'the requested message', 15_000);
    expect(slack.messages('C0CHURN').filter((m) => m.text.includes(runId) && m.text.includes('requested by'))).toHaveLength(1);
    expect(t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { dag_name?: string }).dag_name === 'churn_predictor_training')).toHaveLength(1);
  });

  it('/mlops status: acked first, one answer through the (slow) response_url', async () => {
    const responseId = `r-${randomUUID()}`;
    const ack = await ackedBeforeAnySlackCall(() => t.command('status fraud-detector', { responseUrl: slack.responseUrl(responseId) }));
    expect(ack.status).toBe(200);
    expect(ack.arrived).toEqual([]);
    await waitFor(() => slack.responses.find((r) => r.id === responseId), 'the status answer', 15_000);
    expect(slack.responses.filter((r) => r.id === responseId)).toHaveLength(1);
    expect(slack.responses.find((r) => r.id === responseId)!.text).toContain('fraud-detector-prod');
  });

  it('delivery: a run started and evaluated becomes one top message and one threaded evaluation, each posted once', async () => {
    const run = { dagId: 'fraud_detector_training', runId: `manual__${randomUUID()}`, url: 'https://mwaa.example.com/dags/fraud_detector_training/grid' };
    expect((await t.hook(trainingStarted({ run }))).status).toBe(202);
    const top = await waitFor(() => slack.messages('C0FRAUD').find((m) => m.text.includes(run.runId) && m.thread_ts === undefined), 'the top message', 15_000);
    expect((await t.hook(evaluationCompleted({ run, version: '2.1.0' }))).status).toBe(202);
    await waitFor(() => slack.messages('C0FRAUD').find((m) => m.thread_ts === top.ts && m.text.includes('evaluated')), 'the evaluation reply', 15_000);
    await waitFor(
      () => (JSON.stringify(slack.message('C0FRAUD', top.ts)!.blocks).includes('*evaluated*') ? true : undefined),
      'the top message to show evaluated',
      15_000,
    );
    const ofRun = slack.messages('C0FRAUD').filter((m) => m.ts === top.ts || m.thread_ts === top.ts);
    expect(ofRun).toHaveLength(2);
  });

  it('delivery with a lost answer (the post was made, its answer reset): still posted exactly once', async () => {
    const run = { dagId: 'fraud_detector_training', runId: `manual__${randomUUID()}` };
    const posted = async () =>
      (await t.bot.deps.metrics.eventsPosted.get()).values.filter((v) => v.labels.type === 'training.started').reduce((n, v) => n + v.value, 0);
    const before = await posted();
    slack.failNext('chat.postMessage', 1, { lose: 'reset' });
    expect((await t.hook(trainingStarted({ run }))).status).toBe(202);
    await waitFor(() => slack.messages('C0FRAUD').find((m) => m.text.includes(run.runId)), 'the message', 15_000);
    // Until the outbox counts the event as delivered it may still (wrongly) post again.
    await waitFor(async () => ((await posted()) > before ? true : undefined), 'the event to count as posted', 30_000);
    expect(slack.messages('C0FRAUD').filter((m) => m.text.includes(run.runId))).toHaveLength(1);
  });
});
