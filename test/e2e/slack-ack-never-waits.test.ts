/**
 * Issue 10, item 1: no ack waits for a Slack round trip. Slack answers every method in 300 ms
 * here (a cloud region on a bad day). For each kind of request the test counts the outbound Slack
 * calls that ARRIVED at the fake between sending the request and reading its ack: zero, i.e. the
 * ack was sent before the bot asked Slack anything (no timing assertions). And Bolt's per-request
 * auth.test is gone: one auth.test at startup, however many requests follow.
 */
import { CallbackId, BlockId, InputActionId, ActionId } from '../../src/slack/slack-ids';
import { startFakeSlack, type FakeSlack, type FakeSlackCall } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { APPROVALS_CONFIG, getCandidate, handledClicks, seedCandidate, waitFor } from './approvals-helpers';
import { appHomeOpenedBody } from './commands-kit';

const SLACK_LATENCY_MS = 300;

describe('acks never wait for Slack (the fake Slack answers every method in 300 ms)', () => {
  let slack: FakeSlack;
  let t: TestBot;
  beforeAll(async () => {
    slack = await startFakeSlack({ latencyMs: { default: SLACK_LATENCY_MS } });
    t = await startTestBot({ fileConfig: APPROVALS_CONFIG, slack });
  });
  afterAll(async () => {
    await t.stop();
    await slack.close();
  });

  /** Sends one request and returns the Slack calls that arrived before its ack was read, with the ack. */
  async function callsBeforeAck(send: () => Promise<Response>): Promise<{ status: number; body: string; arrived: FakeSlackCall[] }> {
    const before = slack.calls.length;
    const res = await send();
    const body = await res.text();
    return { status: res.status, body, arrived: slack.calls.slice(before) };
  }

  const methods = (calls: readonly FakeSlackCall[]) => calls.map((c) => c.method);

  it('the bot verified its token once at startup (auth.test), before any request', () => {
    expect(methods(slack.calls)).toEqual(['auth.test']);
  });

  it('/mlops help: acked with the help text, no Slack call before the ack', async () => {
    const ack = await callsBeforeAck(() => t.command('help'));
    expect(ack.status).toBe(200);
    expect(ack.body).toContain('train');
    expect(methods(ack.arrived)).toEqual([]);
  });

  it('/mlops status: acked before any Slack call; the answer still arrives through response_url', async () => {
    const responses = slack.responses.length;
    const ack = await callsBeforeAck(() => t.command('status fraud-detector'));
    expect(ack.status).toBe(200);
    expect(methods(ack.arrived)).toEqual([]);
    const [answer] = (await slack.waitForResponses(responses + 1, 10_000)).slice(responses);
    expect(answer!.text).toContain('fraud-detector-prod');
  });

  it('a Deploy click: acked before any Slack call; the deployment is triggered and the message updated once', async () => {
    const seeded = await seedCandidate(t);
    const handled = await handledClicks(t, 'deploy');
    const ack = await callsBeforeAck(() =>
      t.click({ actionId: ActionId.Deploy, value: seeded.id, userId: 'U0ALICE', channelId: seeded.channel, messageTs: seeded.ts }),
    );
    expect(ack.status).toBe(200);
    expect(methods(ack.arrived)).toEqual([]);
    await waitFor(async () => (await handledClicks(t, 'deploy')) > handled, 'the Deploy click to be handled', 15_000);
    expect((await getCandidate(t, seeded.id)).state).toBe('deploying');
    expect(t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { conf?: { candidate_id?: string } }).conf?.candidate_id === seeded.id)).toHaveLength(1);
    expect(slack.message(seeded.channel, seeded.ts)!.text).toContain('Deploying to fraud-detector-prod');
  });

  it('a Reject click and the modal submission: both acked before any Slack call (views.open comes after the ack)', async () => {
    const seeded = await seedCandidate(t, { version: '1.5.0' });
    const opened = slack.callsTo('views.open').length;
    const click = await callsBeforeAck(() =>
      t.click({ actionId: ActionId.Reject, value: seeded.id, userId: 'U0ALICE', channelId: seeded.channel, messageTs: seeded.ts }),
    );
    expect(click.status).toBe(200);
    expect(methods(click.arrived)).toEqual([]);
    const [open] = (await slack.waitForCalls('views.open', opened + 1, 10_000)).slice(opened);
    const privateMetadata = (open!.args['view'] as { private_metadata: string }).private_metadata;
    await waitFor(async () => (await handledClicks(t, 'reject')) > 0, 'the Reject click to be handled', 10_000);

    const submit = await callsBeforeAck(() =>
      t.submitView({
        callbackId: CallbackId.RejectModal,
        userId: 'U0ALICE',
        privateMetadata,
        values: { [BlockId.RejectReason]: { [InputActionId.RejectReason]: { type: 'plain_text_input', value: 'precision dropped on the holdout set' } } },
      }),
    );
    expect(submit.status).toBe(200);
    expect(methods(submit.arrived)).toEqual([]);
    await waitFor(async () => ((await getCandidate(t, seeded.id)).state === 'rejected' ? true : undefined), 'the candidate to be rejected', 10_000);
    await waitFor(() => slack.message(seeded.channel, seeded.ts)!.text.includes('Rejected') || undefined, 'the message to show the rejection', 10_000);
  });

  it('an Events API event (app_home_opened): acked before any Slack call; the Home tab is published after', async () => {
    const published = slack.callsTo('views.publish').length;
    const ack = await callsBeforeAck(() => t.slackPost(appHomeOpenedBody('U0ALICE'), { 'content-type': 'application/json' }));
    expect(ack.status).toBe(200);
    expect(methods(ack.arrived)).toEqual([]);
    await slack.waitForCalls('views.publish', published + 1, 10_000);
  });

  it('many requests of every kind: still exactly one auth.test in total', async () => {
    const before = slack.responses.length;
    const acks = await Promise.all([
      ...Array.from({ length: 10 }, () => t.command('help')),
      ...Array.from({ length: 10 }, () => t.command('status')),
      ...Array.from({ length: 10 }, () => t.slackPost(appHomeOpenedBody('U0BOB'), { 'content-type': 'application/json' })),
    ]);
    expect(acks.map((r) => r.status)).toEqual(Array.from({ length: 30 }, () => 200));
    await slack.waitForResponses(before + 10, 15_000);
    expect(slack.callsTo('auth.test')).toHaveLength(1);
  });
});
