import { randomUUID } from 'node:crypto';
import { createMessageUpdater } from '../../src/outbox';
import { storeKeys } from '../../src/store/store-keys';
import { updateIdFor } from '../../src/outbox/delivery-record';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';
import type { SlackMessage } from '../../views/slack-message';

/**
 * Message updates through the outbox (updateMessage: the one background path for chat.update):
 * coalesced (latest content wins, in version order), paced with the channel, retried through
 * 429s, 5xx and lost answers, given up when Slack refuses, and taken over after a restart.
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

const text = (s: string): SlackMessage => ({ text: s, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: s } }] });

async function posted(t: TestBot, channel = 'C0FRAUD'): Promise<{ channel: string; ts: string }> {
  const res = await t.bot.deps.slack.chat.postMessage({ channel, text: `card ${randomUUID()}` });
  return { channel, ts: res.ts ?? '' };
}

function updater(t: TestBot) {
  return createMessageUpdater({ store: t.bot.deps.store, clock: t.bot.deps.clock });
}

async function stateOf(t: TestBot, target: { channel: string; ts: string }): Promise<string | undefined> {
  const raw = await t.bot.deps.store.get(storeKeys.delivery(updateIdFor(target.channel, target.ts)));
  return raw === null ? undefined : (JSON.parse(raw) as { state: string }).state;
}

const updatesOf = (slack: FakeSlack, target: { ts: string }) => slack.callsTo('chat.update').filter((c) => c.args['ts'] === target.ts);

describe('message updates through the outbox', () => {
  let slack: FakeSlack;
  let t: TestBot;
  beforeEach(async () => {
    slack = await startFakeSlack();
    t = await startTestBot({ slack, overrides: { delivery: { retryBackoff: { baseMs: 50, maxMs: 200 }, maxTries: 4 } } });
  });
  afterEach(async () => {
    await t.stop();
    await slack.close();
  });

  it('coalesces updates queued while one is on its way: the latest content wins, in far fewer calls', async () => {
    const target = await posted(t);
    slack.setLatency({ 'chat.update': 300 });
    const update = updater(t);
    for (let i = 1; i <= 6; i++) await update(target, text(`state ${i}`), { type: 'candidate' });
    await until(async () => (await stateOf(t, target)) === 'done' && slack.message(target.channel, target.ts)?.text === 'state 6');
    await new Promise((r) => setTimeout(r, 700)); // nothing more goes out afterwards
    expect(slack.message(target.channel, target.ts)?.text).toBe('state 6');
    expect(updatesOf(slack, target).length).toBeLessThanOrEqual(2);
    expect(updatesOf(slack, target).at(-1)?.args['text']).toBe('state 6');
  });

  it('with versions, an older content queued late never replaces a newer one', async () => {
    const target = await posted(t);
    const update = updater(t);
    await update(target, text('rev 3'), { type: 'candidate', version: 3 });
    await update(target, text('rev 2'), { type: 'candidate', version: 2 });
    await until(async () => (await stateOf(t, target)) === 'done');
    expect(updatesOf(slack, target).map((c) => c.args['text'])).toEqual(['rev 3']);
    await update(target, text('rev 1'), { type: 'candidate', version: 1 });
    await update(target, text('rev 4'), { type: 'candidate', version: 4 });
    await until(async () => slack.message(target.channel, target.ts)?.text === 'rev 4');
    expect(updatesOf(slack, target).map((c) => c.args['text'])).toEqual(['rev 3', 'rev 4']);
  });

  it('a 429 waits Retry-After, then the update goes out once', async () => {
    const target = await posted(t);
    slack.failNext('chat.update', 1, { status: 429, retryAfterSeconds: 1 });
    await updater(t)(target, text('after the 429'), { type: 'candidate' });
    await until(async () => (await stateOf(t, target)) === 'done', 10_000);
    const calls = updatesOf(slack, target);
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(slack.message(target.channel, target.ts)?.text).toBe('after the 429');
  });

  it('a lost answer and a 503 are retried until Slack confirms', async () => {
    const target = await posted(t);
    slack.failNext('chat.update', 1, { lose: 'reset', processed: false });
    slack.failNext('chat.update', 1, { status: 503 });
    await updater(t)(target, text('eventually'), { type: 'candidate' });
    await until(async () => (await stateOf(t, target)) === 'done', 10_000);
    expect(updatesOf(slack, target)).toHaveLength(3);
    expect(slack.message(target.channel, target.ts)?.text).toBe('eventually');
  });

  it('a message Slack does not know is given up at once, logged and counted', async () => {
    const target = { channel: 'C0FRAUD', ts: '1700000000.000001' };
    await updater(t)(target, text('nowhere'), { type: 'candidate' });
    await until(async () => (await stateOf(t, target)) === 'failed');
    expect(updatesOf(slack, target)).toHaveLength(1);
    expect(t.logs.text()).toContain('the message could not be updated');
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/mlops_delivery_given_up_total\{reason="refused"\} [1-9]/);
  });
});

describe('message updates across a restart', () => {
  it('an update whose answer never came is sent again by the next bot after the in-flight grace, with the latest content', async () => {
    const slack = await startFakeSlack();
    const keyPrefix = testKeyPrefix();
    const first = await startTestBot({ slack, keyPrefix });
    const target = await posted(first);
    // Slack holds the answer: the first bot stops without knowing the outcome.
    slack.failNext('chat.update', 1, { delayMs: 20_000 });
    await updater(first)(target, text('first'), { type: 'candidate' });
    await until(() => updatesOf(slack, target).length === 1);
    await first.stop();
    const second = await startTestBot({ slack, keyPrefix });
    try {
      await updater(second)(target, text('second'), { type: 'candidate' });
      await until(async () => (await stateOf(second, target)) === 'done', 20_000);
      const calls = updatesOf(slack, target);
      expect(calls.map((c) => c.args['text'])).toEqual(['first', 'second']);
      // Not before the first attempt could still have been on the wire (client timeout 6 s).
      expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(6000);
      expect(slack.message(target.channel, target.ts)?.text).toBe('second');
    } finally {
      await second.stop();
      await slack.close();
    }
  }, 40_000);
});
