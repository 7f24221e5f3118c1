import { randomUUID } from 'node:crypto';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';

/**
 * The in-memory store lives and dies with the process (single replica only). A stop must not drop
 * what its outbox still holds without a word: it lets the outbox finish within the stop's bound, and
 * reports anything left as lost (log + mlops_events_failed_total).
 */
describe('stopping a bot on the in-memory store', () => {
  let slack: FakeSlack;
  let t: TestBot | undefined;

  beforeEach(async () => {
    // Slack across the internet: every answer takes a while, and one post per second per channel.
    slack = await startFakeSlack({ latencyMs: { default: 150 } });
  });
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    await slack.close();
  });

  const events = (n: number) =>
    Array.from({ length: n }, () => trainingStarted({ id: randomUUID(), run: { dagId: 'fraud_detector_training', runId: `manual__${randomUUID()}` } }));
  const lostReports = (bot: TestBot) => bot.logs.lines.filter((l) => l.includes('undelivered Slack messages that lived only in memory'));

  it('lets the outbox post what it holds before stopping (three paced posts to one channel)', async () => {
    t = await startTestBot({ store: 'memory', slack });
    for (const event of events(3)) expect((await t.hook(event)).status).toBe(202);
    await t.bot.stop(6000);
    expect(slack.messages('C0FRAUD').filter((m) => m.thread_ts === undefined)).toHaveLength(3);
    expect(lostReports(t)).toEqual([]);
  });

  it('says what is lost when Slack does not answer before the stop ends', async () => {
    t = await startTestBot({ store: 'memory', slack });
    slack.failNext('chat.postMessage', 20, { lose: 'hang' });
    for (const event of events(2)) expect((await t.hook(event)).status).toBe(202);
    await slack.waitForCalls('chat.postMessage', 1);
    await t.bot.stop(2500);
    const [report] = lostReports(t);
    expect(report).toBeDefined();
    const fields = JSON.parse(report!) as { level: string; undeliveredEvents: number; undeliveredMessages: number; sample: string[] };
    expect(fields.level).toBe('error');
    expect(fields.undeliveredEvents + fields.undeliveredMessages).toBeGreaterThanOrEqual(2);
    expect(fields.sample.length).toBeGreaterThanOrEqual(1);
    const metrics = t.bot.deps.metrics.registry;
    const failed = (await metrics.getSingleMetric('mlops_events_failed_total')?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
    expect(failed).toBeGreaterThanOrEqual(2);
  });
});
