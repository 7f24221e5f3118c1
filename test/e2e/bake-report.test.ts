/**
 * The bake report (issue 14, contract 9) through the real bot: a signed deployment.succeeded starts
 * a bake in the store; once bake.minutes passed (on the bot's clock) the bake job reads CloudWatch
 * (the fake AWS, per-variant series with a step change at a given time) and posts the report in
 * the run's thread through the outbox, once. Degraded also goes to the alert channel with "Roll back
 * to <previous>" (approvers, the Rollback path); CloudWatch down is said and retried, never
 * "healthy"; a CloudWatch alarm on the endpoint ends the bake at once as degraded.
 */
import { randomUUID } from 'node:crypto';
import { mapCloudwatchAlarm } from '../../src/core/map-cloudwatch-alarm';
import { createAlarmRecorder } from '../../src/pipeline-events/record-event';
import { ActionId } from '../../src/slack/slack-ids';
import { storeKeys } from '../../src/store/store-keys';
import { BAKE_JOB, type BakeRecord } from '../../src/bake';
import type { LeasedJob } from '../../src/jobs/leased-job';
import { evaluationCompleted, trainingStarted } from '../fixtures/pipeline-events';
import { cloudwatchAlarm } from '../fixtures/sns-messages';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import {
  APPROVALS_CONFIG,
  FRAUD,
  click,
  deploymentEvent,
  getCandidate,
  handledClicks,
  invokesFor,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';
import { deployWithPick } from './strategies-helpers';

const MIN = 60_000;
const BAKE_CONFIG = {
  ...APPROVALS_CONFIG,
  models: {
    ...APPROVALS_CONFIG.models,
    'fraud-detector': { ...APPROVALS_CONFIG.models['fraud-detector'], bake: { minutes: 10, maxLatencyIncrease: 0.2, max5xxRate: 0.01 } },
  },
};

/** The bot's clock: real time plus an offset the test moves forward (hooks are signed before it moves). */
function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

describe('bake report after deployment.succeeded', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  let t: TestBot;
  let clock: ReturnType<typeof movableClock>;
  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });
  beforeEach(async () => {
    slack.reset();
    aws.reset();
    clock = movableClock();
    t = await startTestBot({ fileConfig: BAKE_CONFIG, slack, aws, clock });
  });
  afterEach(async () => {
    await t.stop();
  });

  const bakeOf = async (id: string) => {
    const raw = await t.bot.deps.store.get(storeKeys.bake(id));
    return raw === null ? undefined : (JSON.parse(raw) as BakeRecord);
  };
  const bakeJob = () => t.bot.jobs.find((j) => j.name === BAKE_JOB) as LeasedJob<number>;
  const text = (m: FakeSlackMessage) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`;
  const thread = (seeded: Seeded) => t.slack.messages(seeded.channel).filter((m) => m.thread_ts === seeded.ts);
  const reportsIn = (messages: FakeSlackMessage[]) => messages.filter((m) => m.text.startsWith('Bake report:'));

  /** 1.3.0 live, 1.4.0 deployed by Alice and reported live by a signed deployment.succeeded: the bake starts. */
  async function deployAndSucceed(): Promise<{ seeded: Seeded; bake: BakeRecord }> {
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.3.0', timestamp: new Date(Date.now() - 3_600_000).toISOString() }));
    const seeded = await seedCandidate(t);
    await deployWithPick(t, seeded, 'U0ALICE', undefined);
    expect(invokesFor(t, seeded.id)).toHaveLength(1);
    expect((await t.hook(deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: seeded.id }))).status).toBe(202);
    const bake = await waitFor(() => bakeOf(seeded.id), 'the bake to start');
    expect(bake).toMatchObject({
      state: 'baking',
      version: '1.4.0',
      previousVersion: '1.3.0',
      minutes: 10,
      target: { channel: FRAUD.channel, threadTs: seeded.ts },
    });
    expect(Date.parse(bake.dueAt) - Date.parse(bake.succeededAt)).toBe(10 * MIN);
    return { seeded, bake };
  }

  /** p99 ModelLatency (µs) doubles from `at` on, on every variant. */
  const latencyStepAt = (at: string) =>
    aws.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'p99' }, (_i, atSeconds) => (atSeconds * 1000 >= Date.parse(at) ? 100_000 : 50_000));

  it('healthy: one quiet report in the run thread after bake.minutes, none before; nothing in the alert channel', async () => {
    const { seeded, bake } = await deployAndSucceed();
    // Not due yet: a pass of the bake job (run here) judges nothing and reads no metrics.
    clock.advance(9 * MIN);
    expect(await bakeJob().runOnce()).toBe(0);
    expect(aws.callsTo('cloudwatch', 'GetMetricData')).toHaveLength(0);
    expect((await bakeOf(bake.id))?.state).toBe('baking');
    expect(reportsIn(thread(seeded))).toEqual([]);

    clock.advance(2 * MIN);
    await waitFor(async () => (await bakeOf(bake.id))?.state === 'reported', 'the bake to be reported', 15_000);
    const [report] = await waitFor(() => (reportsIn(thread(seeded)).length > 0 ? reportsIn(thread(seeded)) : undefined), 'the report in the thread');
    expect(text(report!)).toContain('is healthy after 10 min');
    expect(text(report!)).toContain('latency p99');
    // p50 per variant in the bake's one GetMetricData call (the fake's default p50 is 15-16 ms), shown beside avg and p99.
    expect(text(report!)).toMatch(/latency p50 +1[56]\.\d ms +1[56]\.\d ms/);
    const stats = (aws.callsTo('cloudwatch', 'GetMetricData')[0]!.body as { MetricDataQueries: { MetricStat: { Stat: string } }[] }).MetricDataQueries.map(
      (q) => q.MetricStat.Stat,
    );
    expect(stats).toEqual(expect.arrayContaining(['Average', 'p50', 'p99']));
    expect(reportsIn(t.slack.messages('C0ALERTS'))).toEqual([]);
    expect((await bakeOf(bake.id))?.verdict).toBe('healthy');
    // The card says it: live, baked.
    await waitFor(() => messageOf(t, seeded).blocks.includes('1.4.0 is live on fraud-detector-prod, baked :white_check_mark:'), 'the baked card');
    // Exactly once: further passes add nothing.
    const calls = aws.callsTo('cloudwatch', 'GetMetricData').length;
    await waitFor(async () => (await t.bot.deps.store.setMembers(storeKeys.bakes())).length === 0, 'the worklist to empty');
    expect(aws.callsTo('cloudwatch', 'GetMetricData')).toHaveLength(calls);
    expect(reportsIn(thread(seeded))).toHaveLength(1);
  }, 30_000);

  it('a crash between the bake record and the worklist: the repeated deployment.succeeded lists it again, and it is reported once', async () => {
    const { seeded, bake } = await deployAndSucceed();
    // The crash: the record was written, the worklist entry was not.
    await t.bot.deps.store.setRemove(storeKeys.bakes(), bake.id);
    // The pipeline (or SNS) sends the event again: the still-baking record is listed again, not started anew.
    expect((await t.hook(deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: seeded.id }))).status).toBe(202);
    await waitFor(async () => ((await t.bot.deps.store.setMembers(storeKeys.bakes())).includes(bake.id) ? true : undefined), 'the bake to be listed again');
    clock.advance(11 * MIN);
    await waitFor(async () => (await bakeOf(bake.id))?.state === 'reported', 'the bake to be reported', 15_000);
    expect((await bakeOf(bake.id))?.succeededAt).toBe(bake.succeededAt);
    await waitFor(() => (reportsIn(thread(seeded)).length > 0 ? true : undefined), 'the report in the thread');
    expect(reportsIn(thread(seeded))).toHaveLength(1);
  }, 30_000);

  it('a deployment reported long after it started: each window is read on its own at 1-minute points, so a short bake is still judged', async () => {
    const DAY = 24 * 60 * MIN;
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.3.0', timestamp: new Date(Date.now() - 30 * DAY).toISOString() }));
    // No candidate: the window before ends at the event's own timestamp, 20 days ago.
    expect((await t.hook(deploymentEvent('deployment.succeeded', { timestamp: new Date(Date.now() - 20 * DAY).toISOString() }))).status).toBe(202);
    const bake = await waitFor(() => bakeOf('fraud-detector@1.4.0'), 'the bake to start');
    clock.advance(11 * MIN);
    await waitFor(async () => (await bakeOf(bake.id))?.state === 'reported', 'the bake to be reported', 15_000);
    expect((await bakeOf(bake.id))?.verdict).toBe('healthy');
    const calls = aws
      .callsTo('cloudwatch', 'GetMetricData')
      .map((c) => c.body as { StartTime: number; EndTime: number; MetricDataQueries: { MetricStat: { Period: number } }[] });
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(new Set(call.MetricDataQueries.map((q) => q.MetricStat.Period))).toEqual(new Set([60]));
    const [early, late] = [...calls].sort((a, b) => a.StartTime - b.StartTime);
    expect(late!.StartTime - early!.EndTime).toBeGreaterThan((19 * DAY) / 1000);
  }, 30_000);

  it('degraded: p99 doubles after the deployment → report in the thread and the alert channel, with Roll back (approvers only)', async () => {
    const { seeded, bake } = await deployAndSucceed();
    latencyStepAt(bake.succeededAt);
    clock.advance(11 * MIN);
    const [alert] = await waitFor(
      () => (reportsIn(t.slack.messages('C0ALERTS')).length > 0 ? reportsIn(t.slack.messages('C0ALERTS')) : undefined),
      'the alert',
      15_000,
    );
    expect(text(alert!)).toContain('is *degraded*');
    // The bake window starts at the minute of deployment.succeeded (CloudWatch's resolution): nearly all of it doubled.
    expect(text(alert!)).toMatch(/p99 latency rose (9\d|100) % \(more than 20 %\)/);
    expect(text(alert!)).toContain('latency p99  50.0 ms');
    const [inThread] = await waitFor(() => (reportsIn(thread(seeded)).length > 0 ? reportsIn(thread(seeded)) : undefined), 'the thread report');
    expect(text(inThread!)).toContain('degraded');
    expect(JSON.stringify(inThread!.blocks)).not.toContain(ActionId.BakeRollback);
    const button = (alert!.blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === ActionId.BakeRollback);
    expect(button?.text.text).toBe('Roll back to 1.3.0');
    expect(button?.value).toBe(seeded.id);

    const onAlert = { id: seeded.id, channel: 'C0ALERTS', ts: alert!.ts };
    const clicked = async (user: string) => {
      const before = await handledClicks(t, 'bake_rollback');
      const responseId = await click(t, ActionId.BakeRollback, onAlert, user);
      await waitFor(async () => (await handledClicks(t, 'bake_rollback')) > before, 'the click to be handled');
      return responseId;
    };
    const refused = await clicked('U0MALLORY');
    expect(await waitForAnswer(t, refused)).toMatch(/You may not roll back deployments of fraud-detector/);
    const rollbacks = () => t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { conf?: { version?: string } }).conf?.version === '1.3.0');
    expect(rollbacks()).toHaveLength(0);

    await clicked('U0BOB');
    await clicked('U0CAROL');
    expect(rollbacks()).toHaveLength(1);
    expect((rollbacks()[0]!.body as { conf: Record<string, unknown> }).conf).toMatchObject({
      version: '1.3.0',
      approved_by: ['U0BOB'],
      strategy: { type: 'all-at-once' },
    });
    expect((await getCandidate(t, seeded.id)).state).toBe('deployed');
    await waitFor(() => messageOf(t, seeded).blocks.includes(':rotating_light: degraded after the bake'), 'the degraded card');
  }, 30_000);

  it("the run's top message says live, baked once the report is in its thread (the stage line, re-rendered after the reply)", async () => {
    const run = { dagId: 'fraud_detector_training', runId: `manual__${randomUUID()}` };
    expect((await t.hook(trainingStarted({ run }))).status).toBe(202);
    const top = await waitFor(
      () => t.slack.messages(FRAUD.channel).find((m) => m.text.includes(run.runId) && m.thread_ts === undefined),
      'the run top message',
    );
    const evaluation = evaluationCompleted({ run, version: '1.4.0', endpoint: FRAUD.endpoint });
    expect((await t.hook(evaluation)).status).toBe(202);
    const candidate = await waitFor(
      async () => (await t.bot.deps.candidates.listByModel(FRAUD.model)).find((c) => c.sourceEventId === evaluation.id && c.message !== undefined),
      'the candidate card',
    );
    const seeded = { id: candidate.id, channel: candidate.message!.channel, ts: candidate.message!.ts };
    await deployWithPick(t, seeded, 'U0ALICE', undefined);
    expect((await t.hook(deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: candidate.id }))).status).toBe(202);
    const stageLine = () => JSON.stringify(t.slack.message(FRAUD.channel, top.ts)?.blocks ?? []);
    await waitFor(() => stageLine().includes('*live*'), 'the top message at live');
    expect(stageLine()).not.toContain('baked');
    const bake = await waitFor(() => bakeOf(candidate.id), 'the bake to start');
    expect(bake.target).toEqual({ channel: FRAUD.channel, threadTs: top.ts });
    expect(bake.runKey).toBe(`run:${run.runId}`);

    clock.advance(11 * MIN);
    const inRunThread = () => reportsIn(t.slack.messages(FRAUD.channel).filter((m) => m.thread_ts === top.ts));
    await waitFor(() => (inRunThread().length > 0 ? true : undefined), 'the report in the run thread', 15_000);
    await waitFor(() => stageLine().includes('*live*, baked :white_check_mark:'), 'the top message to say baked');
    expect((await t.bot.deps.runs.get(`run:${run.runId}`))?.baked).toBe('healthy');
    expect(t.slack.message(FRAUD.channel, top.ts)?.text).toMatch(/^\[live, baked\]/);
    await waitFor(async () => (await bakeOf(candidate.id))?.state === 'reported', 'the bake reported');
    expect(inRunThread()).toHaveLength(1);
  }, 30_000);

  it('CloudWatch down: the thread is told once and no verdict is given; the report follows when it answers', async () => {
    const { seeded, bake } = await deployAndSucceed();
    aws.failNext('cloudwatch', 'GetMetricData', { error: { status: 503, type: 'ServiceUnavailable', message: 'CloudWatch is down' } }, 1000);
    clock.advance(11 * MIN);
    const note = await waitFor(() => thread(seeded).find((m) => m.text.startsWith('Bake report delayed')), 'the unavailable note', 15_000);
    expect(text(note)).toContain('No verdict yet');
    await waitFor(async () => ((await bakeOf(bake.id))?.failures ?? 0) >= 2, 'a retry');
    expect(reportsIn(thread(seeded))).toEqual([]);
    expect(thread(seeded).filter((m) => m.text.startsWith('Bake report delayed'))).toHaveLength(1);
    expect((await bakeOf(bake.id))?.state).toBe('baking');

    aws.reset();
    const [report] = await waitFor(() => (reportsIn(thread(seeded)).length > 0 ? reportsIn(thread(seeded)) : undefined), 'the report after recovery', 15_000);
    expect(text(report!)).toContain('healthy');
  }, 30_000);

  it('a CloudWatch alarm on the endpoint during the bake ends it at once as degraded', async () => {
    const { seeded, bake } = await deployAndSucceed();
    const changedAt = new Date(Date.parse(bake.succeededAt) + 2 * MIN).toISOString();
    const alarm = mapCloudwatchAlarm(
      cloudwatchAlarm('ALARM', { StateChangeTime: changedAt.replace('Z', '+0000'), AlarmName: `fraud-p99-${randomUUID().slice(0, 6)}` }),
      { [FRAUD.model]: FRAUD.endpoint },
      clock.now(),
    );
    expect(alarm?.endpoint).toBe(FRAUD.endpoint);
    clock.advance(3 * MIN); // well before bake.minutes
    await createAlarmRecorder({ store: t.bot.deps.store })(alarm!, clock.now());
    await waitFor(async () => (await bakeOf(bake.id))?.alarm !== undefined, 'the alarm to reach the bake', 15_000);
    const [alert] = await waitFor(
      () => (reportsIn(t.slack.messages('C0ALERTS')).length > 0 ? reportsIn(t.slack.messages('C0ALERTS')) : undefined),
      'the degraded report',
      15_000,
    );
    expect(text(alert!)).toContain('went to ALARM');
    expect((await bakeOf(bake.id))?.verdict).toBe('degraded');
    const [inThread] = await waitFor(() => (reportsIn(thread(seeded)).length > 0 ? reportsIn(thread(seeded)) : undefined), 'the thread report');
    expect(text(inThread!)).toContain('went to ALARM');
  }, 30_000);
});
