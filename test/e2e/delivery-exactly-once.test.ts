import { randomUUID } from 'node:crypto';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../kit/fake-slack-server';
import { startPrivateCluster, type PrivateCluster } from '../kit/private-redis';
import { startTestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';

async function until<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const deliveryIdOf = (m: FakeSlackMessage) => (m.metadata?.['event_payload'] as { delivery_id?: string } | undefined)?.delivery_id;
/** Messages about one run id (each training.started below is its own run: one message each). */
const about = (slack: FakeSlack, channel: string, runId: string) => slack.messages(channel).filter((m) => m.text.includes(runId));
const started = (runId: string, model = 'fraud-detector') => trainingStarted({ model, run: { dagId: 'fraud_detector_training', runId } });

describe('delivery is exactly once', () => {
  it('posts an event sent twice once', async () => {
    const t = await startTestBot();
    try {
      const event = started(`dup-${randomUUID()}`);
      expect((await t.hook(event)).status).toBe(202);
      expect((await t.hook(event)).status).toBe(200);
      await until(() => (about(t.slack, 'C0FRAUD', event.run.runId).length === 1 ? true : undefined));
      await new Promise((r) => setTimeout(r, 700));
      expect(about(t.slack, 'C0FRAUD', event.run.runId)).toHaveLength(1);
    } finally {
      await t.stop();
    }
  });

  it('honours Retry-After on 429 for that channel only, and still posts once', async () => {
    const t = await startTestBot();
    try {
      // The fraud channel is rate limited twice (Retry-After 2 s); the churn channel is not.
      t.slack.failNext('chat.postMessage', 2, { status: 429, retryAfterSeconds: 2 });
      const fraud = started(`rl-${randomUUID()}`);
      expect((await t.hook(fraud)).status).toBe(202);
      await until(() => (t.slack.callsTo('chat.postMessage').filter((c) => c.status === 429).length === 2 ? true : undefined));
      const limited = Date.now();
      const churn = started(`rl-${randomUUID()}`, 'churn-predictor');
      expect((await t.hook(churn)).status).toBe(202);
      const churnPost = await until(() => about(t.slack, 'C0CHURN', churn.run.runId)[0]);
      // The churn post did not wait for the fraud channel's Retry-After.
      expect(Number(churnPost.ts) * 1000 - limited).toBeLessThan(1500);
      await until(() => about(t.slack, 'C0FRAUD', fraud.run.runId)[0]);
      const calls = t.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === 'C0FRAUD');
      const [first, second, third] = calls;
      expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1900);
      expect((third?.at ?? 0) - (second?.at ?? 0)).toBeGreaterThanOrEqual(1900);
      expect(about(t.slack, 'C0FRAUD', fraud.run.runId)).toHaveLength(1);
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/mlops_slack_api_calls_total\{method="chat.postMessage",result="ratelimited"\} 2/);
    } finally {
      await t.stop();
    }
  });

  it('retries 5xx with backoff after checking Slack, and posts once', async () => {
    const t = await startTestBot();
    try {
      t.slack.failNext('chat.postMessage', 2, { status: 503 });
      const event = started(`5xx-${randomUUID()}`);
      expect((await t.hook(event)).status).toBe(202);
      await until(() => about(t.slack, 'C0FRAUD', event.run.runId)[0]);
      expect(t.slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([503, 503, 200]);
      // Before each retry the bot looked for the message (it may have been posted before the 5xx).
      expect(t.slack.callsTo('conversations.history').length).toBeGreaterThanOrEqual(2);
      expect(t.slack.callsTo('conversations.history').every((c) => c.args['include_all_metadata'] === 'true')).toBe(true);
      expect(about(t.slack, 'C0FRAUD', event.run.runId)).toHaveLength(1);
    } finally {
      await t.stop();
    }
  });

  it('logs and counts a permanent error (channel_not_found) once, never retrying it, while other channels go on', async () => {
    const t = await startTestBot();
    try {
      t.slack.setHandler('chat.postMessage', (args) =>
        args['channel'] === 'C0FRAUD' ? { ok: false, error: 'channel_not_found' } : { ok: true, channel: args['channel'], ts: `${Date.now() / 1000}` },
      );
      const lost = started(`perm-${randomUUID()}`);
      expect((await t.hook(lost)).status).toBe(202);
      await until(() => (t.logs.text().includes('message could not be delivered (permanent failure)') ? true : undefined));
      t.slack.setHandler('chat.postMessage', undefined);
      const other = started(`perm-${randomUUID()}`, 'churn-predictor');
      expect((await t.hook(other)).status).toBe(202);
      await until(() => about(t.slack, 'C0CHURN', other.run.runId)[0]);
      await new Promise((r) => setTimeout(r, 600));
      expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === 'C0FRAUD')).toHaveLength(1);
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/mlops_events_failed_total\{type="training.started"\} 1/);
      expect(t.logs.text()).toContain('channel_not_found');
    } finally {
      await t.stop();
    }
  });

  it('paces a burst to about one post per second per channel (no 429s), keeps the order, and does not hold other channels', async () => {
    const slack = await startFakeSlack({ perChannelRatePerSecond: 1 });
    const t = await startTestBot({ slack });
    try {
      const runIds = Array.from({ length: 4 }, (_, i) => `burst-${i}-${randomUUID()}`);
      for (const runId of runIds) expect((await t.hook(started(runId))).status).toBe(202);
      const churn = started(`burst-churn-${randomUUID()}`, 'churn-predictor');
      expect((await t.hook(churn)).status).toBe(202);
      const churnPost = await until(() => about(slack, 'C0CHURN', churn.run.runId)[0]);
      await until(() => (runIds.every((id) => about(slack, 'C0FRAUD', id).length === 1) ? true : undefined));
      expect(slack.rateLimitedCount).toBe(0);
      const times = slack.postTimes('C0FRAUD');
      for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
      // Posted in the order recorded.
      expect(slack.messages('C0FRAUD').map((m) => runIds.findIndex((id) => m.text.includes(id)))).toEqual([0, 1, 2, 3]);
      // The churn channel was served at once, not after the fraud channel's 3 s backlog.
      expect(Number(churnPost.ts) * 1000 - (times[0] ?? 0)).toBeLessThan(1000);
    } finally {
      await t.stop();
      await slack.close();
    }
  });

  it('posts once when the bot stops between posting and recording it (Slack slow), and a new bot takes over', async () => {
    const slack = await startFakeSlack();
    const keyPrefix = testKeyPrefix();
    const first = await startTestBot({ slack, keyPrefix });
    const event = started(`restart-${randomUUID()}`);
    // Slack posts the message but holds its answer for 20 s: the bot stops before it knows the ts.
    slack.failNext('chat.postMessage', 1, { delayMs: 20_000 });
    expect((await first.hook(event)).status).toBe(202);
    await until(() => about(slack, 'C0FRAUD', event.run.runId)[0]);
    await first.stop();
    const second = await startTestBot({ slack, keyPrefix });
    try {
      // The new bot waits out the first attempt's timeout, finds the message by its delivery id, and does not post again.
      await until(async () => {
        const raw = await second.bot.deps.store.get(`delivery:${event.id}|C0FRAUD|main`);
        return raw !== null && (JSON.parse(raw) as { state: string }).state === 'done' ? true : undefined;
      }, 20_000);
      expect(about(slack, 'C0FRAUD', event.run.runId)).toHaveLength(1);
      expect(slack.callsTo('conversations.history').some((c) => c.args['include_all_metadata'] === 'true')).toBe(true);
      expect(second.logs.text()).toContain('an earlier attempt had posted it');
    } finally {
      await second.stop();
      await slack.close();
    }
  }, 40_000);

  it('posts once when the bot stops before posting (recorded, rate limited) and a new bot on the same store delivers it', async () => {
    const slack = await startFakeSlack();
    const keyPrefix = testKeyPrefix();
    const first = await startTestBot({ slack, keyPrefix });
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 30 });
    const event = started(`restart2-${randomUUID()}`);
    expect((await first.hook(event)).status).toBe(202);
    await until(() => (slack.callsTo('chat.postMessage').length === 1 ? true : undefined));
    await first.stop();
    expect(about(slack, 'C0FRAUD', event.run.runId)).toHaveLength(0);
    const second = await startTestBot({ slack, keyPrefix });
    try {
      await until(() => about(slack, 'C0FRAUD', event.run.runId)[0]);
      await new Promise((r) => setTimeout(r, 600));
      expect(about(slack, 'C0FRAUD', event.run.runId)).toHaveLength(1);
    } finally {
      await second.stop();
      await slack.close();
    }
  });

  it('never double-posts with two bots on one store, whichever replica receives the events', () => twoReplicas({}), 40_000);
});

/** The replica race on a private 3-master Redis Cluster (REDIS_CLUSTER=true), started once for this file. */
describe('delivery is exactly once on a Redis Cluster', () => {
  let cluster: PrivateCluster;
  beforeAll(async () => {
    cluster = await startPrivateCluster({ masters: 3 });
  }, 60_000);
  afterAll(async () => {
    await cluster.stop();
  });

  it(
    'never double-posts with two bots on one cluster, whichever replica receives the events',
    () => twoReplicas({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' }),
    40_000,
  );
});

/** Two bots on one store (same key prefix): each event sent to one replica and retried to the other. */
async function twoReplicas(env: Record<string, string>): Promise<void> {
  const slack = await startFakeSlack({ perChannelRatePerSecond: 20 });
  const keyPrefix = testKeyPrefix();
  const a = await startTestBot({ slack, keyPrefix, env });
  const b = await startTestBot({ slack, keyPrefix, env });
  try {
    const events = Array.from({ length: 12 }, (_, i) => started(`replica-${i}-${randomUUID()}`, i % 2 === 0 ? 'fraud-detector' : 'churn-predictor'));
    await Promise.all(events.map((e, i) => (i % 2 === 0 ? a : b).hook(e)));
    // Retries of the same events to the other replica.
    await Promise.all(events.map((e, i) => (i % 2 === 0 ? b : a).hook(e)));
    await until(
      () => (events.every((e) => about(slack, e.model === 'fraud-detector' ? 'C0FRAUD' : 'C0CHURN', e.run.runId).length === 1) ? true : undefined),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const all = [...slack.messages('C0FRAUD'), ...slack.messages('C0CHURN')].filter((m) => m.text.includes('replica-'));
    expect(all).toHaveLength(12);
    expect(new Set(all.map(deliveryIdOf)).size).toBe(12);
  } finally {
    await a.stop();
    await b.stop();
    await slack.close();
  }
}
