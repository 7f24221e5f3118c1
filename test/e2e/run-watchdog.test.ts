import type { DagRunState, DagTrigger } from '../../src/core/ports';
import { storeKeys } from '../../src/store/store-keys';
import { createRunWatchdog, registerWatchdog, type RunWatchdog } from '../../src/watchdog/run-watchdog';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { trainingStarted } from '../fixtures/pipeline-events';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';

/**
 * The run watchdog end to end: real bots (Redis, fake Slack, fake AWS speaking the Lambda and MWAA
 * protocols), a test clock, and `tick()` called directly instead of waiting for the interval.
 * The bots' own registered watchdog is disabled in the config so that only the watchdogs the
 * tests create (from the bots' deps, as registerWatchdog would) poll.
 */

const MIN = 60_000;

/** Waits for `read` to return a value (the outbox posts asynchronously); fails after `timeoutMs`. */
async function until<T>(read: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
/** Lets the delivery worker run a few polls (to show that nothing more is posted). */
const settle = () => new Promise((r) => setTimeout(r, 1200));
const DAG = 'fraud_detector_training';
const T0 = new Date('2026-11-24T10:00:00Z');

function testClock() {
  let t = T0.getTime();
  return {
    now: () => new Date(t),
    /** Minutes since T0. */
    setMinutes: (m: number) => void (t = T0.getTime() + m * MIN),
  };
}

function config(extra: Record<string, unknown> = {}) {
  return { ...SAMPLE_CONFIG, watchdog: { enabled: false, staleAfterMinutes: 120, intervalSeconds: 60 }, ...extra };
}

describe('run watchdog (end to end)', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  const bots: TestBot[] = [];
  const watchdogs: RunWatchdog[] = [];

  beforeAll(async () => {
    // Slack as slow as from a cloud region on a bad day.
    slack = await startFakeSlack({ latencyMs: 300 });
    aws = await startFakeAws();
  });
  afterEach(async () => {
    await Promise.all(watchdogs.splice(0).map((w) => w.stop()));
    await Promise.all(bots.splice(0).map((b) => b.stop()));
    slack.reset();
    aws.reset();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });

  async function bot(clock: ReturnType<typeof testClock>, opts: { keyPrefix?: string; fileConfig?: Record<string, unknown> } = {}): Promise<TestBot> {
    const b = await startTestBot({
      slack,
      aws,
      clock,
      fileConfig: opts.fileConfig ?? config(),
      ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}),
    });
    bots.push(b);
    return b;
  }
  function watchdog(b: TestBot, replicaId: string): RunWatchdog {
    const w = createRunWatchdog(b.bot.deps, b.bot.deps.trigger!, { replicaId });
    watchdogs.push(w);
    return w;
  }
  /** A run started from Slack: its top message exists, so replies thread under it. */
  async function slackStartedRun(b: TestBot, runId: string): Promise<string> {
    const parent = await b.bot.deps.slack.chat.postMessage({ channel: 'C0FRAUD', text: `Training ${runId} requested` });
    await b.bot.deps.runs.registerSlackStartedRun({
      runId,
      dagId: DAG,
      model: 'fraud-detector',
      channel: 'C0FRAUD',
      ts: parent.ts!,
      requestedBy: 'U0ALICE',
      at: T0,
    });
    return parent.ts!;
  }
  const posts = () => slack.callsTo('chat.postMessage');
  const watchdogPosts = () =>
    posts().filter((c) => String(c.args['text']).includes('run watchdog') || /still (running|queued)|cannot be read/.exec(String(c.args['text'])));

  it('a silently failed run (Lambda status: failed) is alerted in its thread and the alert channel exactly once, across two replicas', async () => {
    const clock = testClock();
    const keyPrefix = testKeyPrefix();
    const a = await bot(clock, { keyPrefix });
    const b = await bot(clock, { keyPrefix });
    const runId = 'manual__watchdog-failed';
    const parentTs = await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'failed');
    const wa = watchdog(a, 'replica-a');
    const wb = watchdog(b, 'replica-b');

    // Not stale yet: nobody asks the trigger.
    clock.setMinutes(119);
    await Promise.all([wa.tick(), wb.tick()]);
    expect(aws.callsTo('lambda', 'Invoke')).toHaveLength(0);

    clock.setMinutes(135);
    const reports = await Promise.all([wa.tick(), wb.tick(), wa.tick(), wb.tick()]);
    await Promise.all([wa.tick(), wb.tick()]);
    // A tick during a pass joins it, so the four calls are at most two passes: one led, one not.
    const passes = [...new Set(reports)];
    expect(passes.filter((r) => r.leader)).toHaveLength(1);
    expect(passes.filter((r) => r.alerted === 1)).toHaveLength(1);

    await until(() => slack.messages('C0ALERTS').length === 1 && slack.messages('C0FRAUD').some((m) => m.thread_ts === parentTs && m.ts !== parentTs));
    await settle();
    const thread = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(thread).toHaveLength(1);
    expect(thread[0]!.text).toContain('failed without a failure callback');
    expect(thread[0]!.text).toContain(runId);
    const alerts = slack.messages('C0ALERTS');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain('failed without a failure callback');
    expect(alerts[0]!.thread_ts).toBeUndefined();
    expect(watchdogPosts()).toHaveLength(2);

    // The Lambda was asked with the status action (contract 6 extension).
    const statusCalls = aws.callsTo('lambda', 'Invoke').map((c) => c.body);
    expect(statusCalls[0]).toEqual({ action: 'status', dag_name: DAG, dag_run_id: runId });

    const record = await a.bot.deps.runs.get(`run:${runId}`);
    expect(record).toMatchObject({ outcome: 'failed', stage: 'failed' });
    expect(await a.bot.deps.runs.openRunKeys()).not.toContain(`run:${runId}`);
    const lastFailure = JSON.parse((await a.bot.deps.store.get(storeKeys.lastFailure('fraud-detector')))!) as Record<string, unknown>;
    expect(lastFailure).toMatchObject({ type: 'watchdog', runId, at: clock.now().toISOString() });
    expect(String(lastFailure['message'])).toContain('failed without a failure callback');

    // Later ticks, by either replica, post nothing more.
    clock.setMinutes(400);
    await Promise.all([wa.tick(), wb.tick()]);
    await settle();
    expect(watchdogPosts()).toHaveLength(2);
  });

  it('a run heard of through the pipeline hook is alerted in the thread delivery started for it', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const event = trainingStarted({ timestamp: T0.toISOString() });
    const { runId } = event.run;
    const runUrl = `https://mwaa.example.com/dags/${DAG}/grid?dag_run_id=${encodeURIComponent(runId)}`;
    event.run = { ...event.run, url: runUrl } as typeof event.run;
    expect((await a.hook(event, { timestamp: Math.floor(T0.getTime() / 1000) })).status).toBe(202);
    // Delivery posts the run's top message and links it to the run record.
    let record = await a.bot.deps.runs.get(`run:${runId}`);
    for (let i = 0; i < 100 && record?.ts === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      record = await a.bot.deps.runs.get(`run:${runId}`);
    }
    expect(record).toMatchObject({ channel: 'C0FRAUD', dagId: DAG, runId, runUrl });
    expect(record?.outcome).toBeUndefined();
    aws.lambda.setRunState(DAG, runId, 'failed');
    clock.setMinutes(130);
    expect(await watchdog(a, 'replica-a').tick()).toMatchObject({ alerted: 1 });
    await until(() => slack.messages('C0ALERTS').length === 1 && slack.messages('C0FRAUD').some((m) => m.thread_ts === record!.ts && m.ts !== record!.ts));
    const replies = slack.messages('C0FRAUD').filter((m) => m.thread_ts === record!.ts && m.ts !== record!.ts);
    expect(replies.map((m) => m.text)).toEqual([expect.stringContaining('failed without a failure callback')]);
    expect(slack.messages('C0ALERTS').map((m) => m.text)).toEqual([expect.stringContaining('failed without a failure callback')]);
    // The alert links to the run's Airflow page.
    expect(JSON.stringify(slack.messages('C0ALERTS')[0]?.blocks)).toContain(runUrl.replace(/&/g, '&amp;'));
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'failed' });
  });

  it('the lease: one leader at a time; the other takes over when the leader stops', async () => {
    const clock = testClock();
    const keyPrefix = testKeyPrefix();
    const a = await bot(clock, { keyPrefix });
    const b = await bot(clock, { keyPrefix });
    const wa = watchdog(a, 'replica-a');
    const wb = watchdog(b, 'replica-b');
    const first = await wa.tick();
    const second = await wb.tick();
    expect([first.leader, second.leader]).toEqual([true, false]);
    expect(await a.bot.deps.store.get(storeKeys.lease('watchdog'))).toBe('replica-a');
    await wa.stop(); // releases the lease
    expect((await wb.tick()).leader).toBe(true);
    expect((await wa.tick()).leader).toBe(false);
  });

  it('a running run gets one "still running" note per staleAfter, in its thread; a success is recorded quietly', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-running';
    const parentTs = await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'running');
    const w = watchdog(a, 'replica-a');

    clock.setMinutes(121);
    expect(await w.tick()).toMatchObject({ leader: true, checked: 1, noted: 1 });
    clock.setMinutes(130);
    await w.tick();
    clock.setMinutes(200);
    await w.tick();
    await until(() => slack.messages('C0FRAUD').some((m) => m.thread_ts === parentTs && m.ts !== parentTs));
    await settle();
    let notes = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.text).toContain('still running after 2 h 1 min');
    expect(slack.messages('C0ALERTS')).toHaveLength(0);
    expect((await a.bot.deps.runs.get(`run:${runId}`))?.lastWatchdogNoteAt).toBe(new Date(T0.getTime() + 121 * MIN).toISOString());

    clock.setMinutes(241);
    await w.tick();
    await until(() => slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs).length === 2);
    notes = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(notes).toHaveLength(2);
    expect(notes[1]!.text).toContain('still running after 4 h 1 min');

    // It succeeds: outcome recorded, no message.
    aws.lambda.setRunState(DAG, runId, 'success');
    clock.setMinutes(250);
    expect(await w.tick()).toMatchObject({ succeeded: 1 });
    await settle();
    expect(slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs)).toHaveLength(2);
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'succeeded' });
    expect(await a.bot.deps.runs.openRunKeys()).not.toContain(`run:${runId}`);
  });

  it('a succeeded run posts nothing at all', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-success';
    await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'success');
    const before = posts().length;
    clock.setMinutes(125);
    expect(await watchdog(a, 'replica-a').tick()).toMatchObject({ succeeded: 1, alerted: 0, noted: 0 });
    await settle();
    expect(posts()).toHaveLength(before);
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'succeeded' });
  });

  it('a 429 from Slack: the outbox waits Retry-After and posts the alert once per channel', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-429';
    const parentTs = await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'failed');
    const w = watchdog(a, 'replica-a');
    clock.setMinutes(130);
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 1 });
    // Recorded in the outbox: the outcome is settled at once, Slack's answer does not matter here.
    expect(await w.tick()).toMatchObject({ alerted: 1 });
    expect((await a.bot.deps.runs.get(`run:${runId}`))?.outcome).toBe('failed');
    await w.tick();
    await until(() => slack.messages('C0ALERTS').length === 1 && slack.messages('C0FRAUD').some((m) => m.thread_ts === parentTs && m.ts !== parentTs));
    await settle();
    expect(slack.callsTo('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(1);
    expect(slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs)).toHaveLength(1);
    expect(slack.messages('C0ALERTS')).toHaveLength(1);
  });

  it('a lost chat.postMessage answer (received, never answered) still gives exactly one alert message', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-lost';
    const parentTs = await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'failed');
    const w = watchdog(a, 'replica-a');
    clock.setMinutes(130);
    // Slack posts the first alert but its answer never comes back: the client times out.
    slack.failNext('chat.postMessage', 1, { lose: 'hang' });
    expect(await w.tick()).toMatchObject({ alerted: 1 });
    await until(() => slack.callsTo('chat.postMessage').some((c) => c.lost === 'hang'));
    // The outbox waits out the attempt, looks for the delivery id in Slack, finds it, and does not post again.
    await until(async () => {
      const raw = await a.bot.deps.store.get(`delivery:bot-message:watchdog:run:${runId}:failed|C0FRAUD|main`);
      return raw !== null && (JSON.parse(raw) as { state: string }).state === 'done';
    }, 25_000);
    await until(() => slack.messages('C0ALERTS').length === 1);
    await w.tick();
    await settle();
    const thread = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(thread).toHaveLength(1);
    expect(thread[0]!.text).toContain('failed without a failure callback');
    expect(slack.messages('C0ALERTS')).toHaveLength(1);
    expect(slack.callsTo('conversations.replies').length).toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('an unknown run: one note, then the watchdog stops watching it after staleAfter more', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-missing'; // the fake Lambda answers 404 for it
    const parentTs = await slackStartedRun(a, runId);
    const w = watchdog(a, 'replica-a');
    clock.setMinutes(125);
    expect(await w.tick()).toMatchObject({ noted: 1 });
    clock.setMinutes(200);
    expect(await w.tick()).toMatchObject({ noted: 0, stopped: 0 });
    clock.setMinutes(245);
    expect(await w.tick()).toMatchObject({ stopped: 1 });
    await until(() => slack.messages('C0FRAUD').some((m) => m.thread_ts === parentTs && m.ts !== parentTs));
    await settle();
    const notes = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.text).toContain('cannot be read');
    expect(await a.bot.deps.runs.openRunKeys()).not.toContain(`run:${runId}`);
    expect((await a.bot.deps.runs.get(`run:${runId}`))?.outcome).toBeUndefined();
    clock.setMinutes(500);
    expect(await w.tick()).toMatchObject({ checked: 0 });
  });

  it('trigger kind mwaa: asks GET /dags/{dag}/dagRuns/{run} through InvokeRestApi and alerts a run heard of without a Slack message', async () => {
    const clock = testClock();
    const a = await bot(clock, { fileConfig: config({ trigger: { kind: 'mwaa', environment: 'mlops-prod' } }) });
    expect(a.bot.deps.trigger?.kind).toBe('mwaa');
    const runId = 'scheduled__wd-1';
    await a.bot.deps.runs.createIfAbsent({
      runKey: `run:${runId}`,
      model: 'fraud-detector',
      dagId: DAG,
      runId,
      stage: 'started',
      startedAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
    aws.mwaa.setRunState(DAG, runId, 'failed', 'mlops-prod');
    clock.setMinutes(180);
    expect(await watchdog(a, 'replica-a').tick()).toMatchObject({ alerted: 1 });

    const calls = aws.callsTo('mwaa', 'InvokeRestApi').map((c) => ({ path: c.path, body: c.body }));
    expect(calls).toEqual([{ path: '/restapi/mlops-prod', body: { Path: `/dags/${DAG}/dagRuns/${runId}`, Method: 'GET' } }]);
    // No thread known: top level in the model's channel, and the alert channel.
    await until(() => slack.messages('C0FRAUD').length === 1 && slack.messages('C0ALERTS').length === 1);
    const model = slack.messages('C0FRAUD');
    expect(model).toHaveLength(1);
    expect(model[0]!.thread_ts).toBeUndefined();
    expect(model[0]!.text).toContain('failed without a failure callback');
    expect(model[0]!.text).toContain('3 h');
    expect(slack.messages('C0ALERTS')).toHaveLength(1);
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'failed' });
  });

  it("trigger kind mwaa: a run id of the bot's own shape (path over 64 characters) is read through the DAG's run list and alerted", async () => {
    const clock = testClock();
    const a = await bot(clock, { fileConfig: config({ trigger: { kind: 'mwaa', environment: 'mlops-prod' } }) });
    // What `/mlops train` names its runs (trainingRunId): GET /dags/<dag>/dagRuns/<run> is 93 characters.
    const runId = 'mlops_train__fraud-detector__20261124T100000Z__abcd1234';
    expect(`/dags/${DAG}/dagRuns/${runId}`.length).toBeGreaterThan(64);
    const parentTs = await slackStartedRun(a, runId);
    aws.mwaa.setRunState(DAG, runId, 'failed', 'mlops-prod');
    clock.setMinutes(180);
    expect(await watchdog(a, 'replica-a').tick()).toMatchObject({ alerted: 1, errors: 0 });
    const paths = aws.callsTo('mwaa', 'InvokeRestApi').map((c) => (c.body as { Path: string }).Path);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p.length <= 64)).toBe(true);
    await until(() => slack.messages('C0ALERTS').length === 1 && slack.messages('C0FRAUD').some((m) => m.thread_ts === parentTs && m.ts !== parentTs));
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'failed' });
  });

  it('a run whose state cannot be read is counted at every check and alerted once after the bound; it is still alerted when it turns out failed', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-unreadable';
    const parentTs = await slackStartedRun(a, runId);
    let broken = true;
    aws.lambda.onInvoke((payload) => {
      const p = payload as { action?: string };
      if (p.action === 'status' && broken) return { payload: { statusCode: 502, message: 'cannot read run: MWAA answered 503 <!channel>' } };
      return undefined;
    });
    aws.lambda.setRunState(DAG, runId, 'running');
    const w = watchdog(a, 'replica-a');
    // Stale at 120 min; unreadable from then on; the bound is another staleAfter (120 min).
    for (const minute of [121, 150, 200]) {
      clock.setMinutes(minute);
      expect(await w.tick()).toMatchObject({ checked: 1, errors: 1, alerted: 0 });
      // A failing run waits its backoff (at least half an interval): an immediate tick leaves it.
      expect(await w.tick()).toMatchObject({ checked: 0, retry: 1 });
    }
    clock.setMinutes(245);
    expect(await w.tick()).toMatchObject({ checked: 1, alerted: 1 });
    clock.setMinutes(260);
    expect(await w.tick()).toMatchObject({ checked: 1, errors: 1, alerted: 0 });
    await until(() => slack.messages('C0ALERTS').length === 1);
    await settle();
    const alerts = slack.messages('C0ALERTS');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain('cannot read the state');
    expect(alerts[0]!.text).not.toContain('<!channel>');
    expect(JSON.stringify(alerts[0]!.blocks)).not.toContain('<!channel>');
    expect(slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs)).toHaveLength(1);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/mlops_watchdog_checks_total\{check="error",code="MLOPS_TRIGGER_FAILED"\} 5/);
    expect(metrics).toMatch(/mlops_watchdog_unreadable_alerts_total 1/);
    expect(a.logs.text()).toContain('the run state cannot be read; alerted');

    // The trigger recovers and reports the run failed: the failure alert still comes.
    broken = false;
    aws.lambda.setRunState(DAG, runId, 'failed');
    // After the failing run's backoff (at most 15 minutes).
    clock.setMinutes(276);
    expect(await w.tick()).toMatchObject({ alerted: 1 });
    await until(() => slack.messages('C0ALERTS').length === 2);
    expect(slack.messages('C0ALERTS')[1]!.text).toContain('failed without a failure callback');
  });

  it("a status call whose answer never comes (Airflow slower than the bot's timeout) is a counted error, not a silent wait", async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-slow';
    await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'running');
    // Both attempts of the SDK (maxAttempts 2) lose their answer: the client times out.
    aws.answerFate('lambda', 'Invoke', { fate: 'lost', times: 2 });
    const w = watchdog(a, 'replica-a');
    clock.setMinutes(125);
    expect(await w.tick()).toMatchObject({ checked: 1, errors: 1 });
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/mlops_watchdog_checks_total\{check="error",code="MLOPS_AWS_TIMEOUT"\} 1/);
    // Answers come again: the next check reads the state.
    clock.setMinutes(130);
    expect(await w.tick()).toMatchObject({ checked: 1, errors: 0, noted: 1 });
  }, 30_000);

  it('55 runs whose status calls fail do not starve a newer run: it is checked and alerted within a few ticks', async () => {
    const clock = testClock();
    const a = await bot(clock);
    aws.lambda.onInvoke((payload) => {
      const p = payload as { action?: string; dag_run_id?: string };
      if (p.action === 'status' && p.dag_run_id?.startsWith('broken-') === true)
        return { payload: { statusCode: 502, message: 'cannot read run: MWAA timed out' } };
      return undefined;
    });
    for (let i = 0; i < 55; i++) {
      const at = new Date(T0.getTime() + i * 1000).toISOString();
      await a.bot.deps.runs.createIfAbsent({
        runKey: `run:broken-${i}`,
        model: 'fraud-detector',
        dagId: DAG,
        runId: `broken-${i}`,
        stage: 'started',
        startedAt: at,
        updatedAt: at,
      });
    }
    const newer = 'manual__newer-failed';
    const at = new Date(T0.getTime() + 30 * MIN).toISOString();
    await a.bot.deps.runs.createIfAbsent({
      runKey: `run:${newer}`,
      model: 'fraud-detector',
      dagId: DAG,
      runId: newer,
      stage: 'started',
      startedAt: at,
      updatedAt: at,
    });
    aws.lambda.setRunState(DAG, newer, 'failed');
    // A long unreadable bound, so this test is about order only.
    const w = createRunWatchdog(a.bot.deps, a.bot.deps.trigger!, { replicaId: 'replica-a', unreadableAlertAfterMs: 7 * 24 * 60 * MIN });
    watchdogs.push(w);
    let alertedAt: number | undefined;
    for (let tick = 1; tick <= 4 && alertedAt === undefined; tick++) {
      clock.setMinutes(160 + tick);
      const report = await w.tick();
      expect(report.checked).toBeLessThanOrEqual(20);
      if (report.alerted === 1) alertedAt = tick;
    }
    // 56 stale runs, at most 20 checks a tick, least recently checked first: by the third tick.
    expect(alertedAt).toBeLessThanOrEqual(3);
    expect(await a.bot.deps.runs.get(`run:${newer}`)).toMatchObject({ outcome: 'failed' });
    await until(() => slack.messages('C0ALERTS').length === 1);
    const statusCalls = aws.callsTo('lambda', 'Invoke').map((c) => (c.body as { dag_run_id: string }).dag_run_id);
    // Every broken run was asked about as often as the others (fair rotation), none twice before all once.
    const firstRound = statusCalls.slice(0, 56);
    expect(new Set(firstRound).size).toBe(firstRound.length);
  });

  it('registerWatchdog: one job when enabled with a trigger; none when disabled or without a trigger', async () => {
    const clock = testClock();
    const on = await bot(clock, { fileConfig: { ...SAMPLE_CONFIG, watchdog: { enabled: true, staleAfterMinutes: 120, intervalSeconds: 60 } } });
    expect(registerWatchdog(on.bot.deps).map((j) => j.name)).toEqual(['watchdog']);
    const off = await bot(clock);
    expect(registerWatchdog(off.bot.deps)).toEqual([]);
    const { trigger: _none, ...withoutTrigger } = SAMPLE_CONFIG;
    const noTrigger = await bot(clock, { fileConfig: withoutTrigger });
    expect(noTrigger.bot.deps.trigger).toBeUndefined();
    expect(registerWatchdog(noTrigger.bot.deps)).toEqual([]);
  });
});

describe('run watchdog job lifecycle', () => {
  it('ticks on its timer without overlapping, and stop() is bounded and final', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let calls = 0;
    const slow: DagTrigger = {
      kind: 'lambda',
      trigger: () => Promise.reject(new Error('not used')),
      runState: async (): Promise<{ state: DagRunState }> => {
        calls++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 120));
        concurrent--;
        return { state: 'running' };
      },
    };
    const clock = testClock();
    const b = await startTestBot({ store: 'memory', clock, fileConfig: config(), overrides: { trigger: slow } });
    try {
      for (const id of ['r1', 'r2']) {
        await b.bot.deps.runs.createIfAbsent({
          runKey: `run:${id}`,
          model: 'fraud-detector',
          dagId: DAG,
          runId: id,
          stage: 'started',
          startedAt: T0.toISOString(),
          updatedAt: T0.toISOString(),
        });
      }
      clock.setMinutes(300);
      const job = createRunWatchdog(b.bot.deps, slow, { replicaId: 'timer', intervalMs: 20 });
      job.start();
      job.start(); // idempotent
      // A manual tick during timer ticks joins the pass in flight.
      await new Promise((r) => setTimeout(r, 30));
      const [x, y] = await Promise.all([job.tick(), job.tick()]);
      expect(x).toBe(y);
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      await job.stop();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(maxConcurrent).toBe(1);
      expect(calls).toBeGreaterThanOrEqual(2);
      const after = calls;
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(after);
      expect(await b.bot.deps.store.get(storeKeys.lease('watchdog'))).toBeNull();
    } finally {
      await b.stop();
    }
  });
});
