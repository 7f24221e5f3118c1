import { evaluationCompleted } from '../fixtures/pipeline-events';
import { startPrivateRedis, type PrivateRedis } from '../kit/private-redis';
import { startTestBot, type TestBot } from '../kit/start-test-bot';

/**
 * Redis stops mid-traffic: readiness turns 503 fast, hooks answer 503 (never 202 for an event
 * that was not recorded), and everything recovers without a restart of the bot; events retried
 * by their sender are recorded exactly once.
 */
describe('fault: Redis outage', () => {
  let redis: PrivateRedis;
  let t: TestBot;
  beforeAll(async () => {
    redis = await startPrivateRedis({ durable: true });
    t = await startTestBot({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await t.stop();
    await redis.stop();
  });

  it('refuses what it cannot record, reports not-ready within 5 s, and recovers without a restart', async () => {
    const before = evaluationCompleted();
    expect((await t.hook(before)).status).toBe(202);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);

    await redis.kill();
    const killedAt = Date.now();
    let notReadyAfterMs = -1;
    while (Date.now() - killedAt < 5000) {
      if ((await fetch(`${t.url}/readyz`)).status === 503) {
        notReadyAfterMs = Date.now() - killedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notReadyAfterMs).toBeGreaterThanOrEqual(0);
    expect(notReadyAfterMs).toBeLessThan(5000);

    // Senders keep sending during the outage: every answer is 503 (retry), none is 202.
    const during = Array.from({ length: 10 }, () => evaluationCompleted());
    const statuses = await Promise.all(during.map(async (e) => (await t.hook(e)).status));
    expect(new Set(statuses)).toEqual(new Set([503]));
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);

    await redis.restart();
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${t.url}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('bot did not become ready again after Redis came back');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The senders retry: each event is recorded once; a second retry is a duplicate.
    const retried = await Promise.all(during.map(async (e) => (await t.hook(e)).status));
    expect(retried).toEqual(during.map(() => 202));
    const again = await Promise.all(during.map(async (e) => (await t.hook(e)).status));
    expect(again).toEqual(during.map(() => 200));
    // Recorded before the outage, still known after it (durable Redis). That each retried event
    // is then posted exactly once is shown by fault-redis-interactions.test.ts.
    expect((await t.hook(before)).status).toBe(200);
  }, 30_000);
});
