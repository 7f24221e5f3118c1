import { randomUUID } from 'node:crypto';
import { backoffDelayMs } from '../../src/core/backoff-delay';
import { DEFAULT_DELIVERY_BACKOFF, MAX_DELIVERY_TRIES } from '../../src/outbox';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startFakeSlack } from '../kit/fake-slack-server';
import { startTestBot } from '../kit/start-test-bot';

/**
 * Delivery while Slack cannot be reached at all (its port closed after startup): every try
 * (a post, or a look in Slack for an earlier post) backs off, and after the give-up limit the
 * message is marked failed, logged and counted. Small backoffs stand for minutes of outage.
 */

async function until<T>(read: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function counter(metrics: string, name: string, labels: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('delivery with Slack unreachable', () => {
  it('backs off every retry path and gives up after the limit: bounded calls, mlops_events_failed_total and the give-up metric', async () => {
    const maxTries = 6;
    // Slack answers the startup auth.test, then goes away: its port is closed from then on.
    const slack = await startFakeSlack();
    const t = await startTestBot({
      slack,
      // 25 ms doubling to 400 ms stands for 2 s doubling to 5 min.
      overrides: { delivery: { retryBackoff: { baseMs: 25, maxMs: 400 }, maxTries } },
    });
    await slack.close();
    try {
      const event = trainingStarted({ model: 'fraud-detector', run: { dagId: 'fraud_detector_training', runId: `down-${randomUUID()}` } });
      expect((await t.hook(event)).status).toBe(202);
      const metricsText = async () => (await fetch(`${t.url}/metrics`)).text();
      await until(async () => counter(await metricsText(), 'mlops_events_failed_total', 'type="training.started"') === 1);
      const tries = async () => {
        const m = await metricsText();
        return (
          counter(m, 'mlops_slack_api_calls_total', 'method="chat.postMessage",result="error"') +
          counter(m, 'mlops_slack_api_calls_total', 'method="conversations.history",result="error"')
        );
      };
      const atGiveUp = await tries();
      // Every try counted: posts and looks in Slack together stay within the limit.
      expect(atGiveUp).toBeLessThanOrEqual(maxTries);
      // The first post and at least one look in the history: both paths back off and count.
      expect(atGiveUp).toBeGreaterThanOrEqual(2);
      const m = await metricsText();
      expect(counter(m, 'mlops_delivery_given_up_total', 'reason="attempts"')).toBe(1);
      expect(counter(m, 'mlops_slack_api_calls_total', 'method="conversations.history",result="error"')).toBeGreaterThanOrEqual(1);
      expect(t.logs.text()).toContain('gave up on the message: Slack stayed unreachable through every retry');
      // Given up is final: polls and sweeps (every 0.5 s and 2 s) call Slack no more for it.
      await new Promise((r) => setTimeout(r, 2500));
      expect(await tries()).toBe(atGiveUp);
      const record = JSON.parse((await t.bot.deps.store.get(`delivery:${event.id}|C0FRAUD|main`))!) as { state: string; attempts: number; checks?: number };
      expect(record.state).toBe('failed');
      expect(record.attempts + (record.checks ?? 0)).toBe(maxTries);
    } finally {
      await t.stop();
    }
  });

  it('the default policy keeps trying for many minutes before it gives up, with growing, jittered waits', () => {
    const low = Array.from({ length: MAX_DELIVERY_TRIES - 1 }, (_, i) => backoffDelayMs(i + 1, DEFAULT_DELIVERY_BACKOFF, () => 0));
    const high = Array.from({ length: MAX_DELIVERY_TRIES - 1 }, (_, i) => backoffDelayMs(i + 1, DEFAULT_DELIVERY_BACKOFF, () => 1));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // At least ~11 minutes of outage are ridden out; at most ~24.
    expect(sum(low)).toBeGreaterThanOrEqual(11 * 60_000);
    expect(sum(high)).toBeLessThanOrEqual(25 * 60_000);
    for (let i = 1; i < low.length; i++) expect(low[i]!).toBeGreaterThanOrEqual(low[i - 1]!);
    // Jitter: the random half spreads retries of messages that failed together.
    expect(high[3]!).toBeGreaterThan(low[3]!);
  });
});
