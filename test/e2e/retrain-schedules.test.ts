import { randomUUID } from 'node:crypto';
import type { Clock } from '../../src/core/ports';
import type { LeasedJob } from '../../src/jobs/leased-job';
import { SCHEDULE_JOB, type ScheduleTickReport } from '../../src/schedules';
import { collectDashboard } from '../../src/home';
import { readScheduleState, updateScheduleState } from '../../src/schedules/schedule-state';
import { homeView } from '../../views/home-view';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { answers, triggerInvokes, waitFor, waitForAnswer } from './approvals-helpers';

/**
 * Retraining schedules (issue 15, contract 9) against real bots (real Redis, fake Slack and
 * Lambda) and a clock the test moves: one run per due slot across passes, replicas and restarts,
 * catch-up or skip, the "scheduled retraining" thread, and `/mlops schedule` with pause/resume.
 */
const OPERATOR = 'U0OSCAR';
const OTHER = 'U0MALLORY';
const CHANNEL = 'C0FRAUD';

function config(catchUp = true) {
  const models = SAMPLE_CONFIG.models;
  return {
    ...SAMPLE_CONFIG,
    operators: { users: [OPERATOR], usergroups: [] },
    models: {
      ...models,
      'fraud-detector': { ...models['fraud-detector'], retrainSchedule: { cron: '0 3 * * *', timezone: 'Europe/Berlin', catchUp } },
    },
  };
}

/** A clock the test sets; the bot reads every time from it. */
function testClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return { now: () => new Date(now), set: (next: string) => (now = new Date(next)) };
}

function scheduleJob(t: TestBot): LeasedJob<ScheduleTickReport> {
  const job = t.bot.jobs.find((j) => j.name === SCHEDULE_JOB);
  if (job === undefined) throw new Error('no schedule job');
  return job as LeasedJob<ScheduleTickReport>;
}

/** 03:00 Europe/Berlin in November is 02:00 UTC. */
const SLOT_NOV_24 = '2026-11-24T02:00:00.000Z';
const RUN_NOV_24 = 'mlops_schedule__fraud-detector__20261124T020000Z';

describe('retraining schedules (leased job, per-slot run id, controllable clock)', () => {
  const bots: TestBot[] = [];
  afterEach(async () => {
    await Promise.all(bots.splice(0).map((b) => b.stop()));
  });
  async function start(clock: Clock, opts: { keyPrefix?: string; share?: TestBot; catchUp?: boolean } = {}): Promise<TestBot> {
    const t = await startTestBot({
      fileConfig: config(opts.catchUp),
      clock,
      ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}),
      ...(opts.share !== undefined ? { slack: opts.share.slack, aws: opts.share.aws } : {}),
    });
    bots.push(t);
    return t;
  }

  it('starts exactly one run for a due slot (conf reason schedule, run id from model + slot), threaded under a "scheduled retraining" message', async () => {
    const clock = testClock('2026-11-24T01:00:00Z');
    const t = await start(clock);
    await scheduleJob(t).runOnce(); // first sight: the cursor starts now, nothing runs
    expect(triggerInvokes(t)).toHaveLength(0);

    clock.set('2026-11-24T02:00:20Z');
    expect(await scheduleJob(t).runOnce()).toMatchObject({ leader: true, started: 1 });
    await scheduleJob(t).runOnce();
    clock.set('2026-11-24T02:10:00Z');
    await scheduleJob(t).runOnce();
    const invokes = triggerInvokes(t);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]?.body).toMatchObject({ dag_name: 'fraud_detector_training', dag_run_id: RUN_NOV_24 });
    expect(invokes[0]?.body.conf).toEqual({ model: 'fraud-detector', requested_by: 'schedule', retrain: true, reason: 'schedule', params: {} });

    const root = await waitFor(
      () => t.slack.messages(CHANNEL).find((m) => m.text.includes('Scheduled retraining') && m.text.includes(RUN_NOV_24)),
      'the scheduled retraining message',
    );
    const started = {
      id: randomUUID(),
      type: 'training.started',
      model: 'fraud-detector',
      timestamp: '2026-11-24T02:01:00Z',
      run: { dagId: 'fraud_detector_training', runId: RUN_NOV_24 },
    };
    expect((await t.hook(started, { timestamp: Math.floor(clock.now().getTime() / 1000) })).status).toBe(202);
    await waitFor(() => t.slack.messages(CHANNEL).find((m) => m.thread_ts === root.ts && m.ts !== root.ts), 'the run event in its thread');
    const run = await t.bot.deps.runs.get(`run:${RUN_NOV_24}`);
    expect(run?.origin).toEqual({ reason: 'schedule', slot: SLOT_NOV_24 });
  });

  it('two replicas passing at the same due time start one run', async () => {
    const clock = testClock('2026-11-24T01:00:00Z');
    const keyPrefix = `test:${randomUUID().slice(0, 8)}:`;
    const a = await start(clock, { keyPrefix });
    const b = await start(clock, { keyPrefix, share: a });
    await Promise.all([scheduleJob(a).runOnce(), scheduleJob(b).runOnce()]);
    clock.set('2026-11-24T02:00:05Z');
    const reports = await Promise.all([scheduleJob(a).runOnce(), scheduleJob(b).runOnce(), scheduleJob(a).runOnce(), scheduleJob(b).runOnce()]);
    expect(reports.filter((r) => r.leader).length).toBeGreaterThanOrEqual(1);
    expect(triggerInvokes(a).filter((c) => c.body.dag_run_id === RUN_NOV_24)).toHaveLength(1);
  });

  it('a crash after the trigger but before the cursor moved (or a lapsed lease) does not start the slot again', async () => {
    const clock = testClock('2026-11-24T01:00:00Z');
    const t = await start(clock);
    await scheduleJob(t).runOnce();
    clock.set('2026-11-24T02:00:05Z');
    await scheduleJob(t).runOnce();
    expect(triggerInvokes(t)).toHaveLength(1);
    // As if the pass died between the trigger and the cursor write: the slot looks due again.
    await updateScheduleState(t.bot.deps.store, 'fraud-detector', (s) => (s === undefined ? undefined : { ...s, cursor: '2026-11-24T01:00:00.000Z' }));
    await scheduleJob(t).runOnce();
    expect(triggerInvokes(t)).toHaveLength(1);
    expect((await readScheduleState(t.bot.deps.store, 'fraud-detector'))?.last).toMatchObject({ slot: SLOT_NOV_24, runId: RUN_NOV_24, outcome: 'started' });
  });

  it('after every replica was down for three slots, a restart runs the latest slot once (catchUp), or none (catchUp false)', async () => {
    for (const catchUp of [true, false]) {
      const clock = testClock('2026-11-24T01:00:00Z');
      const keyPrefix = `test:${randomUUID().slice(0, 8)}:`;
      const first = await start(clock, { keyPrefix, catchUp });
      await scheduleJob(first).runOnce();
      await first.stop();
      bots.splice(bots.indexOf(first), 1);

      clock.set('2026-11-27T09:00:00Z'); // slots of Nov 24, 25, 26 and 27 (02:00Z) were missed
      const second = await start(clock, { keyPrefix, catchUp });
      await scheduleJob(second).runOnce();
      await scheduleJob(second).runOnce();
      const invokes = triggerInvokes(second);
      if (catchUp) {
        expect(invokes.map((c) => c.body.dag_run_id)).toEqual(['mlops_schedule__fraud-detector__20261127T020000Z']);
      } else {
        expect(invokes).toHaveLength(0);
      }
      await second.stop();
      bots.splice(bots.indexOf(second), 1);
    }
  });

  it('the Home tab lists the next due run of each schedule', async () => {
    const clock = testClock('2026-11-24T01:00:00Z');
    const t = await start(clock);
    const dashboard = await collectDashboard(t.bot.deps, clock.now(), t.bot.deps.logger);
    expect(dashboard.schedules).toEqual([{ model: 'fraud-detector', next: SLOT_NOV_24 }]);
    const home = JSON.stringify(homeView(dashboard).blocks);
    expect(home).toContain('Next scheduled retraining');
    expect(home).toContain('*fraud-detector* <!date^1795485600^');
  });

  it('/mlops schedule lists the next due times; pause (operators, reason audited) skips slots; resume runs the next one', async () => {
    const clock = testClock('2026-11-24T01:00:00Z');
    const t = await start(clock);
    await scheduleJob(t).runOnce();

    const listId = `r-${randomUUID()}`;
    await t.command('schedule', { userId: OTHER, channelId: CHANNEL, responseUrl: t.slack.responseUrl(listId) });
    const listing = await waitForAnswer(t, listId);
    expect(listing).toContain('0 3 * * *');
    expect(listing).toContain('<!date^1795485600^'); // 2026-11-24T02:00:00Z, the next due slot
    expect(listing).toContain('churn-predictor');

    const refusedId = `r-${randomUUID()}`;
    await t.command('schedule fraud-detector pause nope', { userId: OTHER, channelId: CHANNEL, responseUrl: t.slack.responseUrl(refusedId) });
    expect(await waitForAnswer(t, refusedId)).toMatch(/Only operators of fraud-detector/);

    const pauseId = `r-${randomUUID()}`;
    await t.command('schedule fraud-detector pause data migration', { userId: OPERATOR, channelId: CHANNEL, responseUrl: t.slack.responseUrl(pauseId) });
    expect(await waitForAnswer(t, pauseId)).toContain('paused (reason: data migration)');
    const audit = await t.bot.deps.audit.recent('fraud-detector', 10);
    expect(audit.map((e) => [e.action, e.actor, e.detail])).toContainEqual(['schedule_paused', OPERATOR, 'data migration']);

    clock.set('2026-11-24T02:00:10Z');
    await scheduleJob(t).runOnce();
    expect(triggerInvokes(t)).toHaveLength(0);

    const resumeId = `r-${randomUUID()}`;
    await t.command('schedule fraud-detector resume migration done', { userId: OPERATOR, channelId: CHANNEL, responseUrl: t.slack.responseUrl(resumeId) });
    await waitForAnswer(t, resumeId);
    await scheduleJob(t).runOnce();
    expect(triggerInvokes(t)).toHaveLength(0); // the paused slot is not caught up
    clock.set('2026-11-25T02:00:10Z');
    await scheduleJob(t).runOnce();
    expect(triggerInvokes(t).map((c) => c.body.dag_run_id)).toEqual(['mlops_schedule__fraud-detector__20261125T020000Z']);
    expect(answers(t, refusedId)).toHaveLength(1);
  });
});
