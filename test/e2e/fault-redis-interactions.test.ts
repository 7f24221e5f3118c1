import { randomUUID } from 'node:crypto';
import { ActionId, BlockId, CallbackId, InputActionId } from '../../src/slack/slack-ids';
import type { FakeSlackMessage } from '../kit/fake-slack-server';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startPrivateRedis, type PrivateRedis } from '../kit/private-redis';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { APPROVALS_CONFIG, FRAUD, answers, getCandidate, invokesFor, seedCandidate, sleep, triggerInvokes, waitFor, type Seeded } from './approvals-helpers';

/**
 * Redis dies mid-traffic (SIGKILL of a private, durable redis-server) under a running bot:
 * - Slack interactions (a Deploy click, slash commands that need the store, a modal submit) are
 *   acked at once and answered with a clear "try again" well inside Slack's 3 s, never left to
 *   time out, and change nothing;
 * - pipeline events sent during the outage get 503 (never 202 for what was not recorded);
 * - Redis comes back: the same bot recovers without a restart, the click and the commands work,
 *   and every event (recorded before the outage, or refused during it and retried by its sender)
 *   is posted to Slack exactly once, counted by the delivery id in the message metadata.
 */

/** Slack gives up on an interaction that is not acked (and answered) within 3 s. */
const SLACK_BUDGET_MS = 3000;

const deliveryIdOf = (m: FakeSlackMessage) => (m.metadata?.['event_payload'] as { delivery_id?: string } | undefined)?.delivery_id;

describe('fault: Redis outage during Slack interactions', () => {
  let redis: PrivateRedis;
  let t: TestBot;
  let redisDown = false;
  beforeAll(async () => {
    redis = await startPrivateRedis({ durable: true });
    t = await startTestBot({ fileConfig: { ...APPROVALS_CONFIG, watchdog: { enabled: false } }, env: { REDIS_URL: redis.url } });
    t.slack.setUsergroup('S0MLOPS', ['U0DAVE']);
  });
  afterAll(async () => {
    // A failure mid-outage: bring Redis back first, so that the bot can stop cleanly.
    if (redisDown) await redis.restart().catch(() => undefined);
    // beforeAll may have failed before assigning these: stop what was started.
    /* eslint-disable @typescript-eslint/no-unnecessary-condition */
    await t?.stop();
    await redis?.stop();
    /* eslint-enable @typescript-eslint/no-unnecessary-condition */
  });

  /** Sends a signed request and times its HTTP answer (the ack). */
  async function timed(send: () => Promise<Response>): Promise<{ status: number; body: string; ackMs: number; sentAt: number }> {
    const sentAt = Date.now();
    const res = await send();
    const body = await res.text();
    return { status: res.status, body, ackMs: Date.now() - sentAt, sentAt };
  }

  async function clickDeploy(seeded: Seeded, userId: string) {
    const responseId = `click-${randomUUID()}`;
    const ack = await timed(() =>
      t.click({
        actionId: ActionId.Deploy,
        value: seeded.id,
        userId,
        channelId: seeded.channel,
        messageTs: seeded.ts,
        responseUrl: t.slack.responseUrl(responseId),
      }),
    );
    return { ...ack, responseId };
  }

  async function command(text: string, userId = 'U0ALICE') {
    const responseId = `cmd-${randomUUID()}`;
    const ack = await timed(() => t.command(text, { userId, channelId: FRAUD.channel, responseUrl: t.slack.responseUrl(responseId) }));
    return { ...ack, responseId };
  }

  /** The first response_url answer of a request, and how long after the request it arrived. */
  async function answerOf(sent: { responseId: string; sentAt: number }): Promise<{ text: string; afterMs: number; ephemeral: boolean }> {
    const r = await waitFor(() => t.slack.responses.find((x) => x.id === sent.responseId), `the answer to ${sent.responseId}`, 5000);
    return { text: answers(t, sent.responseId)[0] ?? '', afterMs: r.at - sent.sentAt, ephemeral: r.response_type === 'ephemeral' };
  }

  async function readyz(): Promise<number> {
    return (await fetch(`${t.url}/readyz`)).status;
  }

  const started = (label: string, model: 'fraud-detector' | 'churn-predictor' = 'fraud-detector') =>
    trainingStarted({ model, run: { dagId: `${model.replace('-', '_')}_training`, runId: `${label}-${randomUUID()}` } });
  const channelOf = (e: { model: string }) => (e.model === 'fraud-detector' ? 'C0FRAUD' : 'C0CHURN');
  const postsOf = (e: { id: string; model: string }) => t.slack.messages(channelOf(e)).filter((m) => deliveryIdOf(m) === `${e.id}|${channelOf(e)}|main`);

  it('answers "try again" within 3 s while Redis is down, refuses events with 503, and recovers without a restart, posting every event once', async () => {
    const seeded = await seedCandidate(t);
    const candidateBefore = await getCandidate(t, seeded.id);

    // Traffic before the outage: recorded (202). Slack is slow, so some of them are still in
    // the outbox when Redis dies.
    const before = Array.from({ length: 6 }, (_, i) => started(`before-${i}`, i % 2 === 0 ? 'fraud-detector' : 'churn-predictor'));
    t.slack.failNext('chat.postMessage', 2, { delayMs: 1500 });
    for (const e of before) expect((await t.hook(e)).status).toBe(202);

    await redis.kill();
    redisDown = true;
    const killedAt = Date.now();

    // A Deploy click by an approver: acked at once, then a clear ephemeral "try again".
    const click = await clickDeploy(seeded, 'U0ALICE');
    expect(click.status).toBe(200);
    expect(click.ackMs).toBeLessThan(SLACK_BUDGET_MS);
    const clickAnswer = await answerOf(click);
    expect(clickAnswer.afterMs).toBeLessThan(SLACK_BUDGET_MS);
    expect(clickAnswer.ephemeral).toBe(true);
    expect(clickAnswer.text).toContain('could not reach its store');
    expect(clickAnswer.text).toContain('Try again');

    // Slash commands that need the store: an empty ack at once, the answer through response_url.
    for (const [text, userId] of [
      ['history fraud-detector', 'U0ALICE'],
      ['deploy fraud-detector 1.4.0', 'U0ALICE'],
      // An approver through a user group: the group's cached membership is in the store too.
      ['deploy fraud-detector 1.4.0', 'U0DAVE'],
      ['train fraud-detector', 'U0ALICE'],
    ] as const) {
      const sent = await command(text, userId);
      expect(sent.status).toBe(200);
      expect(sent.ackMs).toBeLessThan(SLACK_BUDGET_MS);
      const answer = await answerOf(sent);
      expect(answer.afterMs).toBeLessThan(SLACK_BUDGET_MS);
      expect(answer.ephemeral).toBe(true);
      expect([text, answer.text]).toEqual([text, expect.stringContaining('cannot reach its store right now; try again')]);
    }

    // The reject modal decides before its ack: the field says to try again, in time.
    const submit = await timed(() =>
      t.submitView({
        callbackId: CallbackId.RejectModal,
        userId: 'U0ALICE',
        privateMetadata: JSON.stringify({ candidateId: seeded.id }),
        values: { [BlockId.RejectReason]: { [InputActionId.RejectReason]: { type: 'plain_text_input', value: 'not good enough' } } },
      }),
    );
    expect(submit.status).toBe(200);
    expect(submit.ackMs).toBeLessThan(SLACK_BUDGET_MS);
    expect(JSON.parse(submit.body)).toEqual({ response_action: 'errors', errors: { [BlockId.RejectReason]: expect.stringContaining('Try again') } });

    // Senders keep sending: 503 with Retry-After, never 202.
    const during = Array.from({ length: 8 }, (_, i) => started(`during-${i}`, i % 2 === 0 ? 'fraud-detector' : 'churn-predictor'));
    for (const e of during) {
      const res = await t.hook(e);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).not.toBeNull();
    }
    expect(await readyz()).toBe(503);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect(triggerInvokes(t)).toHaveLength(0);
    // The whole outage above took a few seconds at most: nothing waited for a timeout.
    expect(Date.now() - killedAt).toBeLessThan(10_000);

    // Redis comes back (same data: AOF): the same bot recovers on its own.
    await redis.restart();
    redisDown = false;
    await waitFor(async () => (await readyz()) === 200, 'the bot to be ready again', 10_000);
    expect(await getCandidate(t, seeded.id)).toEqual(candidateBefore);

    // The senders retry what was refused: each recorded once.
    for (const e of during) expect((await t.hook(e)).status).toBe(202);
    for (const e of during) expect((await t.hook(e)).status).toBe(200);

    // Commands and the click work again.
    const history = await command('history fraud-detector');
    expect(history.status).toBe(200);
    expect((await answerOf(history)).text).not.toContain('cannot reach its store');
    const again = await clickDeploy(seeded, 'U0ALICE');
    expect(again.status).toBe(200);
    await waitFor(() => invokesFor(t, seeded.id).length === 1, 'the deployment after recovery');
    await waitFor(async () => (await getCandidate(t, seeded.id)).triggerConfirmedAt !== undefined, 'the trigger confirmation');

    // Every event, from before and during the outage, is posted exactly once.
    const all = [...before, ...during];
    await waitFor(() => all.every((e) => postsOf(e).length >= 1), 'every event to be posted', 20_000);
    await sleep(1500); // a few more polls of the outbox: nothing is posted twice
    for (const e of all) expect([e.run.runId, postsOf(e).length]).toEqual([e.run.runId, 1]);
    const ids = [...t.slack.messages('C0FRAUD'), ...t.slack.messages('C0CHURN')].map(deliveryIdOf).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    expect(invokesFor(t, seeded.id)).toHaveLength(1);
  }, 45_000);
});
