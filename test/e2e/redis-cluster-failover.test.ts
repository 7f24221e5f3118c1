import { randomUUID } from 'node:crypto';
import { RedisStore } from '../../src/store/redis-store';
import { storeKeys } from '../../src/store/store-keys';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startPrivateCluster, type PrivateCluster } from '../kit/private-redis';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not met in time: ${what}`);
    await sleep(50);
  }
}

/**
 * Failover on a Redis Cluster: two bot replicas (REDIS_CLUSTER=true) take pipeline events while the
 * master holding the deployment's hash slot is killed (SIGKILL) and later restarted with its data
 * (AOF, appendfsync always) and node id. The sender retries every answer but 202, as Airflow's
 * callback and SNS do. Once the cluster recovers, every event is posted exactly once: nothing
 * acknowledged is lost, and no retry or in-doubt write is posted twice.
 */
describe('Redis Cluster failover under traffic', () => {
  let cluster: PrivateCluster;
  let slack: FakeSlack;
  let a: TestBot;
  let b: TestBot;
  // Whatever was started, stopped at the end even when a later start failed.
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await startPrivateCluster({ masters: 3, durable: true });
    stops.push(() => cluster.stop());
    slack = await startFakeSlack({ perChannelRatePerSecond: 50 });
    stops.push(() => slack.close());
    const keyPrefix = testKeyPrefix('failover');
    const env = { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' };
    a = await startTestBot({ slack, keyPrefix, env });
    stops.push(() => a.stop());
    b = await startTestBot({ slack, keyPrefix, env });
    stops.push(() => b.stop());
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('a master stopped mid-traffic and restarted: every event posted once, none lost, none twice', async () => {
    const EVENTS = 30;
    const events = Array.from({ length: EVENTS }, (_, i) =>
      trainingStarted({ model: 'fraud-detector', run: { dagId: 'fraud_detector_training', runId: `failover-${i}-${randomUUID()}` } }),
    );
    // Every key of the deployment shares one hash slot: the master of the inbox's slot holds them all.
    const store = a.bot.deps.store;
    if (!(store instanceof RedisStore)) throw new Error('the bot should run on Redis');
    const master = await cluster.nodeOf(`${store.keyPrefix}${storeKeys.inbox()}`);
    const answers = new Map<number, number>();
    let accepted = 0;
    let refusedDuringOutage = 0;
    let down = false;

    /** One sender per event: retries on anything but 202, alternating replicas, like a real sender. */
    const send = async (i: number): Promise<void> => {
      for (let attempt = 0; ; attempt += 1) {
        // A hook that does not answer within 10 s counts as -1 (a hang would fail the answers check).
        const answer = (attempt % 2 === i % 2 ? a : b).hook(events[i]).then(
          (r) => r.status,
          () => 0,
        );
        const status = await Promise.race([answer, sleep(10_000).then(() => -1)]);
        answers.set(status, (answers.get(status) ?? 0) + 1);
        if (status === 202) {
          accepted += 1;
          return;
        }
        if (down) refusedDuringOutage += 1;
        await sleep(100);
      }
    };

    const senders: Promise<void>[] = [];
    for (let i = 0; i < 10; i += 1) senders.push(send(i));
    await until(() => accepted >= 5, 'the first events accepted');
    // Mid-traffic: the slot's master goes away while events are being recorded and delivered.
    down = true;
    await master.kill();
    for (let i = 10; i < EVENTS; i += 1) senders.push(send(i));
    await until(() => refusedDuringOutage >= 5, 'events refused while the master is down');
    await master.restart();
    down = false;
    await cluster.waitHealthy();
    await Promise.all(senders);

    const posted = (runId: string) => slack.messages('C0FRAUD').filter((m) => m.text.includes(runId)).length;
    await until(() => events.every((e) => posted(e.run.runId) >= 1), 'every event posted', 60_000);
    // Give a late duplicate (a resent write, a second claimer) time to show up: count, do not time.
    await until(
      async () => (await a.bot.deps.store.listLength(storeKeys.inbox())) === 0 && (await a.bot.deps.store.listLength(storeKeys.inboxProcessing())) === 0,
      'outbox drained',
      30_000,
    );
    await sleep(1000);
    expect(events.map((e) => posted(e.run.runId))).toEqual(events.map(() => 1));
    expect(accepted).toBe(EVENTS);
    expect(refusedDuringOutage).toBeGreaterThanOrEqual(5);
    // An outage is "retry later" (503), never an error of the request or a crash.
    expect([...answers.keys()].sort()).toEqual([202, 503]);
  }, 120_000);
});
