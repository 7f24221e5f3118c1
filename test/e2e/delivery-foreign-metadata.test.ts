import { randomUUID } from 'node:crypto';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startFakeSlack } from '../kit/fake-slack-server';
import { startTestBot } from '../kit/start-test-bot';

async function until<T>(read: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('delivery recovery trusts only its own messages', () => {
  it("another app's message carrying our delivery id is not taken for our post: ours is posted, once", async () => {
    const slack = await startFakeSlack({ latencyMs: 300 });
    const t = await startTestBot({ slack });
    try {
      const event = trainingStarted({ model: 'fraud-detector', run: { dagId: 'fraud_detector_training', runId: `spoof-${randomUUID()}` } });
      const deliveryId = `${event.id}|C0FRAUD|main`;
      // The first post is received but never carried out, and its answer never comes: outcome unknown.
      slack.failNext('chat.postMessage', 1, { lose: 'reset', processed: false });
      // Meanwhile another app posted a message with our delivery id in its metadata.
      const foreignTs = '1764000000.000100';
      slack.setHandler('conversations.history', () => ({
        ok: true,
        has_more: false,
        messages: [
          {
            type: 'message',
            ts: foreignTs,
            text: 'not from the bot',
            user: 'UOTHERAPP',
            bot_id: 'BOTHERAPP',
            app_id: 'A0OTHERAPP',
            metadata: { event_type: 'mlops_delivery', event_payload: { delivery_id: deliveryId } },
          },
        ],
      }));
      expect((await t.hook(event)).status).toBe(202);
      const ours = await until(() => slack.messages('C0FRAUD').find((m) => m.text.includes(event.run.runId)));
      expect(ours.bot_id).toBe('BBOT');
      await until(async () => {
        const raw = await t.bot.deps.store.get(`delivery:${deliveryId}`);
        return raw !== null && (JSON.parse(raw) as { state: string }).state === 'done';
      });
      const record = JSON.parse((await t.bot.deps.store.get(`delivery:${deliveryId}`))!) as { ts: string };
      expect(record.ts).toBe(ours.ts);
      expect(record.ts).not.toBe(foreignTs);
      expect(slack.callsTo('conversations.history').length).toBeGreaterThanOrEqual(1);
      expect(slack.messages('C0FRAUD').filter((m) => m.text.includes(event.run.runId))).toHaveLength(1);
    } finally {
      await t.stop();
      await slack.close();
    }
  });
});
