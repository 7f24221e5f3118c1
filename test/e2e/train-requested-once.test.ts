import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { sendCommand, waitFor } from './commands-kit';

/**
 * `/mlops train`'s "requested" message goes through the outbox: a chat.postMessage whose answer
 * is lost (received and carried out by Slack, never answered) still gives exactly one message,
 * and the run's later events thread under it once the outbox has confirmed it in Slack.
 */
describe('/mlops train: the requested message is posted exactly once', () => {
  let t: TestBot;
  let slack: FakeSlack;
  beforeAll(async () => {
    // Slack answers in 300 ms, as from a cloud region on a bad day.
    slack = await startFakeSlack({ latencyMs: 300 });
    t = await startTestBot({ slack, fileConfig: { ...SAMPLE_CONFIG, operators: { users: ['U0OPS'], usergroups: [] } } });
  });
  afterAll(async () => {
    await t.stop();
    await slack.close();
  });

  it('a lost answer: one message in the channel, the run linked to it, nothing else posted', async () => {
    t.slack.failNext('chat.postMessage', 1, { lose: 'hang' });
    await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS', channelId: 'C0FRAUD' });
    const invoke = await waitFor('the Invoke', () => t.aws.callsTo('lambda', 'Invoke')[0], 20_000);
    const runId = (invoke.body as { dag_run_id: string }).dag_run_id;
    // The outbox times out on the lost answer, waits out the attempt, finds the message by its delivery id.
    const run = await waitFor(
      'the run linked to the message',
      async () => {
        const r = await t.bot.deps.runs.get(`run:${runId}`);
        return r?.ts !== undefined && r.ts !== '' ? r : undefined;
      },
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const messages = t.slack.messages('C0FRAUD').filter((m) => m.text.includes(runId));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe(`training fraud-detector requested by <@U0OPS> (run ${runId})`);
    expect(run).toMatchObject({ channel: 'C0FRAUD', ts: messages[0]!.ts, stage: 'requested' });
    expect(t.slack.callsTo('chat.postMessage').filter((c) => String(c.args['text']).includes(runId))).toHaveLength(1);
    // No in-channel fallback answer either (the bot knew the message was on its way).
    expect(t.slack.responses.filter((r) => JSON.stringify(r).includes(runId))).toHaveLength(0);
  }, 45_000);

  it("Slack refuses the command's channel (not_in_channel): the outbox posts in the model's channel instead, once, and says so", async () => {
    await t.bot.deps.store.delete('model:fraud-detector:training-request');
    const posted: { channel: string; ts: string; text: string }[] = [];
    let n = 0;
    t.slack.setHandler('chat.postMessage', (args) => {
      const channel = String(args['channel']);
      if (channel === 'C0ELSEWHERE') return { ok: false, error: 'not_in_channel' };
      const ts = `${Math.floor(Date.now() / 1000)}.${String(++n).padStart(6, '0')}`;
      posted.push({ channel, ts, text: String(args['text']) });
      return { ok: true, channel, ts, message: { text: args['text'] } };
    });
    try {
      const before = t.aws.callsTo('lambda', 'Invoke').length;
      await sendCommand(t, 'train fraud-detector', { userId: 'U0OPS', channelId: 'C0ELSEWHERE' });
      const invoke = await waitFor('the Invoke', () => t.aws.callsTo('lambda', 'Invoke')[before], 20_000);
      const runId = (invoke.body as { dag_run_id: string }).dag_run_id;
      const notice = await waitFor('the ephemeral notice', () => t.slack.responses.find((r) => (r.text ?? '').includes(runId)), 20_000);
      expect(notice.text).toContain('<#C0FRAUD>');
      const mine = posted.filter((p) => p.text.includes(runId));
      expect(mine.map((p) => p.channel)).toEqual(['C0FRAUD']);
      expect(
        t.slack
          .callsTo('chat.postMessage')
          .filter((c) => String(c.args['text']).includes(runId))
          .map((c) => c.args['channel']),
      ).toEqual(['C0ELSEWHERE', 'C0FRAUD']);
      const run = await t.bot.deps.runs.get(`run:${runId}`);
      expect(run).toMatchObject({ channel: 'C0FRAUD', ts: mine[0]!.ts });
      // A fallback is not a lost message.
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).not.toMatch(/mlops_events_failed_total\{type="training.requested"\} [1-9]/);
    } finally {
      t.slack.setHandler('chat.postMessage', undefined);
    }
  }, 45_000);
});
