import type { WebClient } from '@slack/web-api';
import { ErrorCode as SlackErrorCode } from '@slack/web-api';
import { createMetrics } from '../../src/observability/create-metrics';
import { MemoryStore } from '../../src/store/memory-store';
import { postOnce, postedAt } from '../../src/watchdog/post-once';

/** A chat.postMessage stand-in: answers from a queue of outcomes, slowly enough for races. */
function fakeClient(outcomes: ('ok' | 'ratelimited' | 'channel_not_found')[] = []) {
  const posted: Record<string, unknown>[] = [];
  const client = {
    chat: {
      postMessage: async (args: Record<string, unknown>) => {
        await new Promise((r) => setTimeout(r, 10));
        const outcome = outcomes.shift() ?? 'ok';
        if (outcome === 'ratelimited') throw Object.assign(new Error('rate limited'), { code: SlackErrorCode.RateLimitedError, retryAfter: 1 });
        if (outcome === 'channel_not_found') throw Object.assign(new Error('An API error occurred: channel_not_found'), { code: SlackErrorCode.PlatformError, data: { ok: false, error: 'channel_not_found' } });
        posted.push(args);
        return { ok: true, ts: `1700000000.00000${posted.length}` };
      },
    },
  };
  return { client: client as unknown as WebClient, posted };
}

const message = { text: 'run failed', blocks: [] };
const now = new Date('2026-11-24T12:00:00Z');

describe('postOnce', () => {
  it('posts once however many pollers race for it', async () => {
    const store = new MemoryStore();
    const { client, posted } = fakeClient();
    const metrics = createMetrics();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((holder) => postOnce({ store, client, metrics, id: 'run:x:failed:model', target: { channel: 'C0FRAUD', threadTs: '1.2', broadcast: true }, message, holder, now })),
    );
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ channel: 'C0FRAUD', thread_ts: '1.2', reply_broadcast: true, text: 'run failed' });
    expect(results.filter((r) => r.status === 'done' && r.postedNow)).toHaveLength(1);
    expect(results.filter((r) => r.status === 'pending')).toHaveLength(3);
    // Afterwards every caller sees it done, and nothing more is posted.
    expect(await postOnce({ store, client, metrics, id: 'run:x:failed:model', target: { channel: 'C0FRAUD' }, message, holder: 'e', now })).toMatchObject({ status: 'done', postedNow: false });
    expect(posted).toHaveLength(1);
    expect(await postedAt(store, 'run:x:failed:model')).toEqual(now);
  });

  it('a 429 drops the claim so the next tick posts; a permanent refusal is final', async () => {
    const store = new MemoryStore();
    const { client, posted } = fakeClient(['ratelimited', 'ok', 'channel_not_found']);
    const metrics = createMetrics();
    const args = { store, client, metrics, target: { channel: 'C0ALERTS' }, message, holder: 'a', now };
    expect(await postOnce({ ...args, id: 'r1' })).toMatchObject({ status: 'pending', reason: 'ratelimited' });
    expect(await postedAt(store, 'r1')).toBeUndefined();
    expect(await postOnce({ ...args, id: 'r1' })).toMatchObject({ status: 'done', postedNow: true });
    expect(posted).toHaveLength(1);
    expect(await postOnce({ ...args, id: 'r2' })).toMatchObject({ status: 'done', postedNow: false, result: { status: 'refused', error: 'channel_not_found' } });
    expect(await postOnce({ ...args, id: 'r2' })).toMatchObject({ status: 'done', postedNow: false });
    expect(posted).toHaveLength(1);
    const calls = await metrics.registry.getSingleMetricAsString('mlops_slack_api_calls_total');
    expect(calls).toContain('result="ratelimited"');
  });

  it('without any channel, records the message as done so nothing waits for it', async () => {
    const store = new MemoryStore();
    const { client, posted } = fakeClient();
    expect(await postOnce({ store, client, metrics: createMetrics(), id: 'r3', target: undefined, message, holder: 'a', now })).toMatchObject({ status: 'done', postedNow: false });
    expect(posted).toHaveLength(0);
    expect(await postedAt(store, 'r3')).toEqual(now);
  });
});
