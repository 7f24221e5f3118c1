/**
 * Reminders and expiry of pending approvals (issue 16, contract 10): the real bot, the fake Slack
 * through the real WebClient, real Redis, a clock the test moves, and the timers' passes run
 * directly (the job's own interval is a minute). Messages go through the real outbox.
 */
import { APPROVAL_TIMERS_JOB, reminderKeys, type ApprovalTimers } from '../../src/approvals';
import type { Clock } from '../../src/core/ports';
import { pendingDeliveries } from '../../src/outbox';
import { ActionId } from '../../src/slack/slack-ids';
import { approvalReminderThreadView } from '../../views/approval-reminder-view';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';
import {
  APPROVALS_CONFIG,
  answers,
  auditActions,
  CHURN,
  deployClick,
  FRAUD,
  getCandidate,
  messageOf,
  seedCandidate,
  triggerInvokes,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';

const CONFIG = { ...APPROVALS_CONFIG, approvals: { remindAfterMinutes: 240, expireAfterHours: 168 } };
const T0 = Date.parse('2026-12-01T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

class TestClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

function timersOf(t: TestBot): ApprovalTimers {
  const job = t.bot.jobs.find((j) => j.name === APPROVAL_TIMERS_JOB);
  if (job === undefined) throw new Error('the approval timers job is not registered');
  return job as ApprovalTimers;
}

/** Waits until the outbox has nothing left to post (so counting messages afterwards is final). */
async function outboxDrained(t: TestBot): Promise<void> {
  await waitFor(async () => {
    const p = await pendingDeliveries(t.bot.deps.store);
    return p.events + p.messages === 0;
  }, 'the outbox to drain');
}

function threadReplies(slack: FakeSlack, s: Seeded): FakeSlackMessage[] {
  return slack.messages(s.channel).filter((m) => m.thread_ts === s.ts && m.ts !== s.ts);
}

/** The fake names a user's DM with the bot D<id without U> (conversations.open). */
const dmOf = (user: string) => `D${user.replace(/^U/, '')}`;

describe('approval timers: one reminder, then expiry', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  const bots: TestBot[] = [];
  const clock = new TestClock(T0);

  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });
  beforeEach(() => {
    slack.reset();
    aws.reset();
    clock.set(T0);
  });
  afterEach(async () => {
    while (bots.length > 0) await bots.pop()?.stop();
  });

  async function bot(keyPrefix = testKeyPrefix(), fileConfig: Record<string, unknown> = CONFIG): Promise<TestBot> {
    const t = await startTestBot({ fileConfig, slack, aws, clock, keyPrefix });
    bots.push(t);
    return t;
  }

  test('a pending candidate gets one reminder in its thread naming who has not decided, and one DM per named approver who may decide', async () => {
    const t = await bot();
    // churn-predictor needs 2 approvals; Alice approved; Carol started the run (no self-approval).
    const seeded = await seedCandidate(t, {
      model: CHURN.model,
      endpoint: CHURN.endpoint,
      metrics: { auc: 0.93, logloss: 0.21 },
      requiredApprovals: 2,
      approvals: [{ userId: 'U0ALICE', at: new Date(T0).toISOString() }],
      startedBy: 'U0CAROL',
      createdAt: new Date(T0).toISOString(),
    });
    const timers = timersOf(t);

    clock.set(T0 + 239 * MIN);
    expect(await timers.runOnce()).toMatchObject({ leader: true, reminded: 0, expired: 0 });

    clock.set(T0 + 240 * MIN);
    expect(await timers.runOnce()).toMatchObject({ leader: true, reminded: 1, expired: 0 });
    await outboxDrained(t);

    const replies = threadReplies(slack, seeded);
    expect(replies).toHaveLength(1);
    const reminder = JSON.stringify(replies[0]?.blocks);
    expect(reminder).toContain('<@U0BOB>');
    expect(reminder).toContain('<!subteam^S0MLOPS>');
    expect(reminder).not.toContain('<@U0ALICE>'); // approved already
    expect(reminder).not.toContain('<@U0CAROL>'); // started the run
    expect(reminder).toContain('1 of 2 approvals');
    expect(reminder).toContain('4h 0m');
    expect(slack.messages(dmOf('U0BOB'))).toHaveLength(1);
    expect(JSON.stringify(slack.messages(dmOf('U0BOB'))[0]?.blocks)).toContain('waiting for your decision');
    expect(slack.messages(dmOf('U0ALICE'))).toHaveLength(0);
    expect(slack.messages(dmOf('U0CAROL'))).toHaveLength(0);
    expect((await getCandidate(t, seeded.id)).remindedAt).toBe(new Date(T0 + 240 * MIN).toISOString());
    expect((await auditActions(t, CHURN.model, seeded.id)).map((a) => `${a.action}:${a.actor}`)).toEqual(['reminded:bot']);

    // Later passes remind no more.
    clock.set(T0 + 10 * HOUR);
    expect(await timers.runOnce()).toMatchObject({ reminded: 0, expired: 0 });
    await outboxDrained(t);
    expect(threadReplies(slack, seeded)).toHaveLength(1);
    expect(slack.messages(dmOf('U0BOB'))).toHaveLength(1);
  });

  test('candidates no longer pending (approved, superseded, rejected) are neither reminded nor expired', async () => {
    const t = await bot();
    const at = new Date(T0).toISOString();
    const superseded = await seedCandidate(t, { state: 'superseded', supersededBy: '1.5.0', createdAt: at });
    const rejected = await seedCandidate(t, { version: '1.3.0', state: 'rejected', decidedBy: 'U0BOB', rejectReason: 'worse', createdAt: at });
    clock.set(T0 + 200 * HOUR);
    expect(await timersOf(t).runOnce()).toMatchObject({ leader: true, reminded: 0, expired: 0 });
    await outboxDrained(t);
    expect(threadReplies(slack, superseded)).toHaveLength(0);
    expect(threadReplies(slack, rejected)).toHaveLength(0);
    expect((await getCandidate(t, superseded.id)).state).toBe('superseded');
    expect((await getCandidate(t, rejected.id)).state).toBe('rejected');
  });

  test('after expireAfterHours the card says it expired and loses its buttons; its old Deploy refuses; /mlops deploy brings a fresh card', async () => {
    const t = await bot();
    const seeded = await seedCandidate(t, { createdAt: new Date(T0).toISOString() });
    const timers = timersOf(t);
    expect(messageOf(t, seeded).actions.map((a) => a.action_id)).toEqual([ActionId.Deploy, ActionId.Reject]);

    clock.set(T0 + 168 * HOUR - 1);
    expect(await timers.runOnce()).toMatchObject({ reminded: 1, expired: 0 });
    clock.set(T0 + 168 * HOUR);
    expect(await timers.runOnce()).toMatchObject({ reminded: 0, expired: 1 });
    expect((await getCandidate(t, seeded.id)).state).toBe('expired');
    await waitFor(() => messageOf(t, seeded).text.includes('Expired'), 'the card to say it expired');
    expect(messageOf(t, seeded).actions).toEqual([]);
    expect(messageOf(t, seeded).blocks).toContain('/mlops deploy fraud-detector 1.4.0');
    expect((await auditActions(t, FRAUD.model, seeded.id)).map((a) => `${a.action}:${a.actor}`)).toEqual(['reminded:bot', 'expired:bot']);
    expect(await timers.runOnce()).toMatchObject({ expired: 0 });

    // A Deploy click on a stale copy of the card changes nothing and says why.
    const responseId = await deployClick(t, seeded, 'U0ALICE');
    expect(await waitForAnswer(t, responseId)).toContain('expired');
    expect(triggerInvokes(t)).toHaveLength(0);
    expect(answers(t, responseId)).toHaveLength(1);

    // `/mlops deploy` posts a fresh card with buttons.
    const before = slack.messages(FRAUD.channel).length;
    const res = await t.command('deploy fraud-detector 1.4.0', { userId: 'U0ALICE', channelId: FRAUD.channel });
    expect(res.status).toBe(200);
    const fresh = await waitFor(
      () =>
        slack
          .messages(FRAUD.channel)
          .slice(before)
          .find((m) => JSON.stringify(m.blocks ?? []).includes(ActionId.Deploy)),
      'a fresh deploy card',
    );
    expect(JSON.stringify(fresh.blocks)).not.toContain(seeded.id);
  });

  test('two replicas and a restart: exactly one reminder and one expiry', async () => {
    const prefix = testKeyPrefix();
    const a = await bot(prefix);
    const b = await bot(prefix);
    const seeded = await seedCandidate(a, { createdAt: new Date(T0).toISOString() });

    clock.set(T0 + 5 * HOUR);
    const [ra, rb] = await Promise.all([timersOf(a).runOnce(), timersOf(b).runOnce()]);
    expect(ra.reminded + rb.reminded).toBe(1);
    expect([ra.leader, rb.leader].filter(Boolean)).toHaveLength(1);

    // The leader restarts; the survivor and the restarted replica carry on.
    const leader = ra.leader ? a : b;
    bots.splice(bots.indexOf(leader), 1);
    await leader.stop();
    const c = await bot(prefix);
    const survivor = leader === a ? b : a;
    clock.set(T0 + 6 * HOUR);
    const again = await Promise.all([timersOf(survivor).runOnce(), timersOf(c).runOnce()]);
    expect(again.reduce((n, r) => n + r.reminded, 0)).toBe(0);

    clock.set(T0 + 170 * HOUR);
    const expiry = await Promise.all([timersOf(survivor).runOnce(), timersOf(c).runOnce()]);
    expect(expiry.reduce((n, r) => n + r.expired, 0)).toBe(1);

    await outboxDrained(c);
    expect(threadReplies(slack, seeded)).toHaveLength(1);
    for (const user of ['U0ALICE', 'U0BOB', 'U0CAROL']) expect(slack.messages(dmOf(user))).toHaveLength(1);
    expect((await auditActions(c, FRAUD.model, seeded.id)).map((x) => x.action)).toEqual(['reminded', 'expired']);
  });

  /** The candidate as it is while the outbox has not posted its card yet: no place known. */
  async function withoutCard(t: TestBot, seeded: Seeded): Promise<void> {
    await t.bot.deps.candidates.update(seeded.id, (c) => {
      const { message: _card, ...rest } = c;
      return { write: rest, result: undefined };
    });
  }

  test('a reminder due before the card is posted (Slack down) waits for the card and lands in its thread', async () => {
    const t = await bot();
    const seeded = await seedCandidate(t, { createdAt: new Date(T0).toISOString() });
    await withoutCard(t, seeded);
    clock.set(T0 + 240 * MIN);
    expect(await timersOf(t).runOnce()).toMatchObject({ reminded: 0, retry: 1 });
    await outboxDrained(t);
    expect(slack.messages(dmOf('U0BOB'))).toHaveLength(0);
    expect((await getCandidate(t, seeded.id)).remindedAt).toBeUndefined();

    // The outbox posts the card and records its place on the candidate (decide-placement's bookkeeping).
    await t.bot.deps.candidates.update(seeded.id, (c) => ({ write: { ...c, message: { channel: seeded.channel, ts: seeded.ts } }, result: undefined }));
    clock.set(T0 + 250 * MIN);
    expect(await timersOf(t).runOnce()).toMatchObject({ reminded: 1, retry: 0 });
    await outboxDrained(t);
    expect(threadReplies(slack, seeded)).toHaveLength(1);
    expect(slack.messages(dmOf('U0BOB'))).toHaveLength(1);
  });

  test('a card that never comes: after an hour the reminder goes without it (the DMs)', async () => {
    const t = await bot();
    const seeded = await seedCandidate(t, { createdAt: new Date(T0).toISOString() });
    await withoutCard(t, seeded);
    clock.set(T0 + 240 * MIN + 59 * MIN);
    expect(await timersOf(t).runOnce()).toMatchObject({ reminded: 0, retry: 1 });
    clock.set(T0 + 240 * MIN + 60 * MIN);
    expect(await timersOf(t).runOnce()).toMatchObject({ reminded: 1, retry: 0 });
    await outboxDrained(t);
    expect(threadReplies(slack, seeded)).toHaveLength(0);
    for (const user of ['U0ALICE', 'U0BOB', 'U0CAROL']) expect(slack.messages(dmOf(user))).toHaveLength(1);
  });

  test('a crash after the reminder was recorded but before it was claimed: the next pass posts it once', async () => {
    const t = await bot();
    const seeded = await seedCandidate(t, { createdAt: new Date(T0).toISOString() });
    clock.set(T0 + 4 * HOUR);
    // What a leader that died after recording the thread reminder left behind: the outbox item, no remindedAt.
    const view = approvalReminderThreadView({
      model: FRAUD.model,
      version: '1.4.0',
      createdAt: new Date(T0).toISOString(),
      now: clock.now(),
      waitingOnUsers: ['U0ALICE', 'U0BOB', 'U0CAROL'],
      waitingOnGroups: ['S0MLOPS'],
      approvals: 0,
      requiredApprovals: 1,
    });
    await t.bot.deps.recordMessage(
      reminderKeys.thread(seeded.id),
      { type: 'approval-reminder', message: view, targets: [{ channel: seeded.channel, threadTs: seeded.ts }], model: FRAUD.model },
      clock.now(),
    );
    expect((await getCandidate(t, seeded.id)).remindedAt).toBeUndefined();

    expect(await timersOf(t).runOnce()).toMatchObject({ reminded: 1 });
    await outboxDrained(t);
    expect(threadReplies(slack, seeded)).toHaveLength(1);
  });

  test('without the settings the job does not run', async () => {
    const t = await bot(testKeyPrefix(), APPROVALS_CONFIG);
    expect(t.bot.jobs.map((j) => j.name)).not.toContain(APPROVAL_TIMERS_JOB);
  });
});
