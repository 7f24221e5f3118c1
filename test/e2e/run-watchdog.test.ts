import { randomUUID } from 'node:crypto';
import type { DagRunState, DagTrigger } from '../../src/core/ports';
import { storeKeys } from '../../src/store/store-keys';
import { createRunWatchdog, type RunWatchdog } from '../../src/watchdog/run-watchdog';
import { registerWatchdog } from '../../src/watchdog/register-watchdog';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { trainingStarted } from '../fixtures/pipeline-events';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';

/**
 * The run watchdog end to end: real bots (Redis, fake Slack, fake AWS speaking the Lambda and MWAA
 * protocols), a test clock, and `tick()` called directly instead of waiting for the interval.
 * The bots' own registered watchdog is disabled in the config so that only the watchdogs the
 * tests create (from the bots' deps, as registerWatchdog would) poll.
 */

const MIN = 60_000;
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
    slack = await startFakeSlack();
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
    const b = await startTestBot({ slack, aws, clock, fileConfig: opts.fileConfig ?? config(), ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}) });
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
    await b.bot.deps.runs.registerSlackStartedRun({ runId, dagId: DAG, model: 'fraud-detector', channel: 'C0FRAUD', ts: parent.ts!, requestedBy: 'U0ALICE', at: T0 });
    return parent.ts!;
  }
  const posts = () => slack.callsTo('chat.postMessage');
  const watchdogPosts = () => posts().filter((c) => String(c.args['text']).includes('run watchdog') || String(c.args['text']).match(/still (running|queued)|cannot be read/));

  it('a silently failed run (Lambda status: failed) is alerted in its thread and the alert channel exactly once, across two replicas', async () => {
    const clock = testClock();
    const keyPrefix = `test:${randomUUID()}:`;
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
    const replies = slack.messages('C0FRAUD').filter((m) => m.thread_ts === record!.ts && m.ts !== record!.ts);
    expect(replies.map((m) => m.text)).toEqual([expect.stringContaining('failed without a failure callback')]);
    expect(slack.messages('C0ALERTS').map((m) => m.text)).toEqual([expect.stringContaining('failed without a failure callback')]);
    // The alert links to the run's Airflow page.
    expect(JSON.stringify(slack.messages('C0ALERTS')[0]?.blocks)).toContain(runUrl.replace(/&/g, '&amp;'));
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'failed' });
  });

  it('the lease: one leader at a time; the other takes over when the leader stops', async () => {
    const clock = testClock();
    const keyPrefix = `test:${randomUUID()}:`;
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
    let notes = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.text).toContain('still running after 2 h 1 min');
    expect(slack.messages('C0ALERTS')).toHaveLength(0);
    expect((await a.bot.deps.runs.get(`run:${runId}`))?.lastWatchdogNoteAt).toBe(new Date(T0.getTime() + 121 * MIN).toISOString());

    clock.setMinutes(241);
    await w.tick();
    notes = slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
    expect(notes).toHaveLength(2);
    expect(notes[1]!.text).toContain('still running after 4 h 1 min');

    // It succeeds: outcome recorded, no message.
    aws.lambda.setRunState(DAG, runId, 'success');
    clock.setMinutes(250);
    expect(await w.tick()).toMatchObject({ succeeded: 1 });
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
    expect(posts()).toHaveLength(before);
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'succeeded' });
  });

  it('a 429 from Slack leaves the alert for the next tick, without posting anything twice', async () => {
    const clock = testClock();
    const a = await bot(clock);
    const runId = 'manual__watchdog-429';
    const parentTs = await slackStartedRun(a, runId);
    aws.lambda.setRunState(DAG, runId, 'failed');
    const w = watchdog(a, 'replica-a');
    clock.setMinutes(130);
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 1 });
    expect(await w.tick()).toMatchObject({ retry: 1, alerted: 0 });
    expect((await a.bot.deps.runs.get(`run:${runId}`))?.outcome).toBeUndefined();
    expect(await w.tick()).toMatchObject({ alerted: 1 });
    await w.tick();
    expect(slack.messages('C0FRAUD').filter((m) => m.thread_ts === parentTs && m.ts !== parentTs)).toHaveLength(1);
    expect(slack.messages('C0ALERTS')).toHaveLength(1);
  });

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
    const model = slack.messages('C0FRAUD');
    expect(model).toHaveLength(1);
    expect(model[0]!.thread_ts).toBeUndefined();
    expect(model[0]!.text).toContain('failed without a failure callback');
    expect(model[0]!.text).toContain('3 h');
    expect(slack.messages('C0ALERTS')).toHaveLength(1);
    expect(await a.bot.deps.runs.get(`run:${runId}`)).toMatchObject({ outcome: 'failed' });
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
        await b.bot.deps.runs.createIfAbsent({ runKey: `run:${id}`, model: 'fraud-detector', dagId: DAG, runId: id, stage: 'started', startedAt: T0.toISOString(), updatedAt: T0.toISOString() });
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
