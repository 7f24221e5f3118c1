/**
 * The daily digest (issue 16, contract 10): the real bot, fake Slack and AWS, real Redis, a clock
 * the test moves and the job's passes run directly. Posted through the real outbox.
 */
import { randomUUID } from 'node:crypto';
import { DAILY_DIGEST_JOB, type DailyDigest } from '../../src/approvals';
import type { Clock } from '../../src/core/ports';
import { pendingDeliveries } from '../../src/outbox';
import { ActionId } from '../../src/slack/slack-ids';
import { storeKeys } from '../../src/store/store-keys';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';
import { APPROVALS_CONFIG, CHURN, FRAUD, handledClicks, seedCandidate, triggerInvokes, waitFor } from './approvals-helpers';

const DIGEST = 'C0DIGEST';
const OPERATOR = 'U0OSCAR';
const CONFIG = {
  ...APPROVALS_CONFIG,
  operators: { users: [OPERATOR], usergroups: [] },
  digest: { channel: DIGEST, time: '09:00', timezone: 'Europe/Berlin' },
};

function driftEvent(model: string, detail: Record<string, unknown>) {
  return {
    id: `drift-${randomUUID()}`,
    type: 'drift.detected',
    model,
    timestamp: '2026-12-01T00:00:00Z',
    drift: { signal: 'data', metric: 'psi', value: 0.31, threshold: 0.2, feature: 'amount', ...detail },
  };
}

class TestClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

function digestOf(t: TestBot): DailyDigest {
  const job = t.bot.jobs.find((j) => j.name === DAILY_DIGEST_JOB);
  if (job === undefined) throw new Error(`the digest job is not registered: ${t.bot.jobs.map((j) => j.name).join(', ')}`);
  return job as DailyDigest;
}

async function outboxDrained(t: TestBot): Promise<void> {
  await waitFor(async () => {
    const p = await pendingDeliveries(t.bot.deps.store);
    return p.events + p.messages === 0;
  }, 'the outbox to drain');
}

describe('daily digest', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  const bots: TestBot[] = [];
  const clock = new TestClock(Date.parse('2026-12-01T07:00:00Z'));

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
    for (const name of ['fraud-detector-prod', 'churn-predictor-prod']) {
      aws.sagemaker.setEndpoint({
        name,
        status: 'InService',
        variants: [{ name: 'AllTraffic', modelName: `${name}-model`, instanceType: 'ml.m5.large', instanceCount: 2, weight: 1 }] as never,
      });
    }
  });
  afterEach(async () => {
    while (bots.length > 0) await bots.pop()?.stop();
  });

  async function bot(keyPrefix = testKeyPrefix(), fileConfig: Record<string, unknown> = CONFIG): Promise<TestBot> {
    const t = await startTestBot({ fileConfig, slack, aws, clock, keyPrefix });
    bots.push(t);
    return t;
  }

  test('empty day: nothing is posted, and the day stays handled when something turns up later', async () => {
    clock.set('2026-12-01T07:59:00Z'); // 08:59 in Berlin (CET)
    const t = await bot();
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-01', outcome: 'not_due' });
    clock.set('2026-12-01T08:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-01', outcome: 'skipped_empty' });
    await seedCandidate(t, { createdAt: '2026-12-01T08:30:00Z' });
    clock.set('2026-12-01T09:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ outcome: 'already_handled' });
    await outboxDrained(t);
    expect(slack.messages(DIGEST)).toHaveLength(0);
  });

  test('busy day: pending approvals with their age, failures, endpoints not InService and deployments, once', async () => {
    // Started before the day's time (the job's first pass runs at start), then seeded, then due.
    clock.set('2026-12-02T07:00:00Z');
    const t = await bot();
    expect(await digestOf(t).runOnce()).toMatchObject({ outcome: 'not_due' });
    clock.set('2026-12-02T08:05:00Z');
    await seedCandidate(t, { createdAt: '2026-12-01T08:05:00Z' }); // 24 h old
    await seedCandidate(t, { model: CHURN.model, version: '2.1.0', endpoint: CHURN.endpoint, requiredApprovals: 2, createdAt: '2026-12-02T06:05:00Z' });
    await t.bot.deps.store.set(
      storeKeys.lastFailure(FRAUD.model),
      JSON.stringify({ message: 'OOM in train_model', at: '2026-12-01T20:00:00Z', type: 'training.failed' }),
    );
    await t.bot.deps.store.set(storeKeys.lastFailure(CHURN.model), JSON.stringify({ message: 'old news', at: '2026-11-20T20:00:00Z' }));
    await t.bot.deps.audit.append({ at: '2026-12-01T15:00:00Z', model: CHURN.model, version: '2.0.0', action: 'deployed', actor: 'pipeline' });
    aws.sagemaker.setEndpoint({ name: 'churn-predictor-prod', status: 'Updating', variants: [] as never });

    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-02', outcome: 'sent' });
    expect(await digestOf(t).runOnce()).toMatchObject({ outcome: 'already_handled' });
    await outboxDrained(t);
    const posted = slack.messages(DIGEST);
    expect(posted).toHaveLength(1);
    const text = JSON.stringify(posted[0]?.blocks);
    expect(text).toContain('Waiting for approval (2)');
    // Oldest first, with its age.
    expect(text.indexOf('fraud-detector 1.4.0')).toBeLessThan(text.indexOf('churn-predictor 2.1.0'));
    expect(text).toContain('waiting 1d 0h');
    expect(text).toContain('0 of 2 approvals');
    expect(text).toContain('OOM in train_model');
    expect(text).not.toContain('old news');
    expect(text).toContain('churn-predictor-prod');
    expect(text).toContain('Updating');
    expect(text).not.toContain('fraud-detector-prod');
    expect(text).toContain('churn-predictor 2.0.0');
  });

  /** A drift event through the signed hook at the bot's time, delivered (or silenced) by the real outbox. */
  async function sendDrift(t: TestBot, event: ReturnType<typeof driftEvent>): Promise<void> {
    const res = await t.hook(event, { timestamp: Math.floor(clock.now().getTime() / 1000) });
    expect(res.status).toBe(202);
    await outboxDrained(t);
  }

  async function clickAlert(t: TestBot, actionId: string, name: string, channel: string, alertId: string): Promise<void> {
    const alert = await waitFor(() => slack.messages(channel).find((m) => JSON.stringify(m.blocks).includes(alertId)), 'the drift alert');
    const before = await handledClicks(t, name);
    const res = await t.click({ actionId, value: alertId, userId: OPERATOR, channelId: channel, messageTs: alert.ts });
    expect(res.status).toBe(200);
    await waitFor(async () => (await handledClicks(t, name)) > before, `the ${name} click to be handled`);
  }

  test('busy day with drift: per model and signal the last value against its threshold, severity, how often, and the Retrain or snooze', async () => {
    clock.set('2026-12-06T07:00:00Z');
    const t = await bot();
    expect(await digestOf(t).runOnce()).toMatchObject({ outcome: 'not_due' });
    await seedCandidate(t, { createdAt: '2026-12-06T06:00:00Z' });
    const data = driftEvent(FRAUD.model, {});
    await sendDrift(t, data);
    await clickAlert(t, ActionId.DriftRetrain, 'drift_retrain', FRAUD.channel, data.id);
    const runId = triggerInvokes(t)[0]?.body.dag_run_id;
    expect(runId).toBeDefined();
    const quality = driftEvent(CHURN.model, { signal: 'quality', metric: 'f1', value: 0.71, threshold: 0.85, severity: 'high', feature: undefined });
    await sendDrift(t, quality);
    await clickAlert(t, ActionId.DriftSnooze, 'drift_snooze', CHURN.channel, quality.id);
    // Arrives while snoozed: not posted, still counted by the digest.
    clock.set('2026-12-06T07:30:00Z');
    await sendDrift(t, driftEvent(CHURN.model, { signal: 'quality', metric: 'f1', value: 0.6, threshold: 0.85, feature: undefined }));

    clock.set('2026-12-06T08:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-06', outcome: 'sent' });
    await outboxDrained(t);
    const posted = slack.messages(DIGEST);
    expect(posted).toHaveLength(1);
    const text = JSON.stringify(posted[0]?.blocks);
    expect(text).toContain('Waiting for approval (1)');
    expect(text).toContain('Drift since yesterday (2)');
    expect(text).toContain('*fraud-detector* data drift, `psi` 0.31 / 0.2 on `amount`');
    expect(text).toContain(`retrained by <@${OPERATOR}> (run \`${runId}\`)`);
    // The latest value, the highest severity, both events, the snooze and the silenced one.
    expect(text).toContain('*churn-predictor* quality drop ×2 (high), `f1` 0.6 / 0.85');
    expect(text).toContain(`snoozed until <!date^${Math.floor(Date.parse('2026-12-07T07:00:00Z') / 1000)}`);
    expect(text).toContain(`by <@${OPERATOR}>; 1 not posted (snoozed)`);
    expect(posted[0]?.text).toContain('2 drift alerts');
  });

  test('a day with only drift is not empty; drift older than 24 hours is left out', async () => {
    clock.set('2026-12-07T06:00:00Z');
    const t = await bot();
    await sendDrift(t, driftEvent(FRAUD.model, { value: 0.55 }));
    clock.set('2026-12-08T07:30:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-08', outcome: 'not_due' });
    await sendDrift(t, driftEvent(FRAUD.model, { value: 0.31, severity: 'low' }));
    clock.set('2026-12-08T08:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-08', outcome: 'sent' });
    await outboxDrained(t);
    const posted = slack.messages(DIGEST);
    expect(posted).toHaveLength(1);
    const text = JSON.stringify(posted[0]?.blocks);
    expect(text).toContain('Drift since yesterday (1)');
    expect(text).toContain('data drift (low), `psi` 0.31 / 0.2');
    expect(text).toContain('nothing done yet');
    expect(text).not.toContain('0.55');
    expect(text).not.toContain('×');
    expect(text).not.toContain('Waiting for approval');
  });

  test('drift older than 24 hours alone: the day is empty', async () => {
    clock.set('2026-12-09T07:00:00Z');
    const t = await bot();
    await sendDrift(t, driftEvent(FRAUD.model, { value: 0.55 }));
    clock.set('2026-12-10T08:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-10', outcome: 'skipped_empty' });
    await outboxDrained(t);
    expect(slack.messages(DIGEST)).toHaveLength(0);
  });

  test('two replicas and a restart: one digest per day', async () => {
    const prefix = testKeyPrefix();
    clock.set('2026-12-03T07:00:00Z');
    const a = await bot(prefix);
    const b = await bot(prefix);
    await Promise.all([digestOf(a).runOnce(), digestOf(b).runOnce()]);
    await seedCandidate(a, { createdAt: '2026-12-03T07:00:00Z' });
    clock.set('2026-12-03T08:00:00Z');
    const first = await Promise.all([digestOf(a).runOnce(), digestOf(b).runOnce()]);
    expect(first.filter((r) => r.outcome === 'sent')).toHaveLength(1);
    bots.splice(bots.indexOf(a), 1);
    await a.stop();
    const c = await bot(prefix);
    clock.set('2026-12-03T12:00:00Z');
    const again = await Promise.all([digestOf(b).runOnce(), digestOf(c).runOnce()]);
    expect(again.filter((r) => r.outcome === 'sent')).toHaveLength(0);
    // The next local day has its own.
    clock.set('2026-12-04T08:00:00Z');
    const next = await Promise.all([digestOf(b).runOnce(), digestOf(c).runOnce()]);
    expect(next.filter((r) => r.outcome === 'sent')).toHaveLength(1);
    await outboxDrained(c);
    expect(slack.messages(DIGEST)).toHaveLength(2);
  });

  test('time zones: 08:00 in Tokyo is 23:00 UTC the day before; the digest is for the Tokyo date, one per Tokyo day', async () => {
    const tokyo = { ...CONFIG, digest: { channel: DIGEST, time: '08:00', timezone: 'Asia/Tokyo' } };
    clock.set('2026-12-01T22:59:00Z'); // 07:59 on 12-02 in Tokyo
    const t = await bot(testKeyPrefix(), tokyo);
    await seedCandidate(t, { createdAt: '2026-12-01T10:00:00Z' });
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-02', outcome: 'not_due' });
    clock.set('2026-12-01T23:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-02', outcome: 'sent' });
    // Still 12-02 in Tokyo when the UTC date turns: handled.
    clock.set('2026-12-02T09:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-02', outcome: 'already_handled' });
    // 12-03 in Tokyo from 15:00 UTC on, due at 23:00 UTC.
    clock.set('2026-12-02T15:30:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-03', outcome: 'not_due' });
    clock.set('2026-12-02T23:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-03', outcome: 'sent' });
    await outboxDrained(t);
    const posted = slack.messages(DIGEST);
    expect(posted.map((m) => m.text.slice(0, 'MLOps digest 2026-12-02'.length))).toEqual(['MLOps digest 2026-12-02', 'MLOps digest 2026-12-03']);
    // The pending approval's age is counted from the bot's clock, not the local day.
    expect(JSON.stringify(posted[0]?.blocks)).toContain('waiting 13h 0m');
  });

  test('time zones: 18:00 in Los Angeles is 02:00 UTC the next day; the digest is for the Los Angeles date', async () => {
    const la = { ...CONFIG, digest: { channel: DIGEST, time: '18:00', timezone: 'America/Los_Angeles' } };
    clock.set('2026-12-02T01:59:00Z'); // 17:59 on 12-01 in Los Angeles (PST, UTC-8)
    const t = await bot(testKeyPrefix(), la);
    await seedCandidate(t, { createdAt: '2026-12-01T20:00:00Z' });
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-01', outcome: 'not_due' });
    clock.set('2026-12-02T02:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-12-01', outcome: 'sent' });
    await outboxDrained(t);
    expect(slack.messages(DIGEST).map((m) => m.text.slice(0, 'MLOps digest 2026-12-01'.length))).toEqual(['MLOps digest 2026-12-01']);
  });

  test('DST spring forward: 02:30 in Berlin does not exist on 2026-03-29; the digest goes out at the first local minute after (03:00 CEST)', async () => {
    const night = { ...CONFIG, digest: { channel: DIGEST, time: '02:30', timezone: 'Europe/Berlin' } };
    clock.set('2026-03-29T00:59:00Z'); // 01:59 CET
    const t = await bot(testKeyPrefix(), night);
    await seedCandidate(t, { createdAt: '2026-03-28T12:00:00Z' });
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-03-29', outcome: 'not_due' });
    clock.set('2026-03-29T01:00:00Z'); // 03:00 CEST: the clocks jumped from 02:00 to 03:00
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-03-29', outcome: 'sent' });
    clock.set('2026-03-29T02:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-03-29', outcome: 'already_handled' });
    await outboxDrained(t);
    expect(slack.messages(DIGEST)).toHaveLength(1);
  });

  test('DST: 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer; the day the clocks go back sends one', async () => {
    clock.set('2026-06-10T06:59:00Z');
    const t = await bot();
    await seedCandidate(t, { createdAt: '2026-06-09T07:00:00Z' });
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-06-10', outcome: 'not_due' });
    clock.set('2026-06-10T07:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-06-10', outcome: 'sent' });
    // 2026-10-25: CEST → CET. 09:00 local is 08:00 UTC; an hour earlier it is not due, after it once.
    clock.set('2026-10-25T07:59:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-10-25', outcome: 'not_due' });
    clock.set('2026-10-25T08:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-10-25', outcome: 'sent' });
    clock.set('2026-10-25T09:00:00Z');
    expect(await digestOf(t).runOnce()).toMatchObject({ day: '2026-10-25', outcome: 'already_handled' });
    await outboxDrained(t);
    expect(slack.messages(DIGEST)).toHaveLength(2);
  });
});
