/**
 * Socket Mode end to end (issue 10): the real bot with SLACK_APP_TOKEN set, Bolt's real
 * SocketModeReceiver and @slack/socket-mode client, against a loopback fake Socket Mode server
 * (apps.connections.open on the fake Slack hands out its ws:// URL). Commands, clicks and events
 * arrive as envelopes and are acked over the socket; the bot reconnects when Slack asks it to
 * (`disconnect`, refresh_requested) and when the connection is cut, and keeps serving.
 */
import { ActionId } from '../../src/slack/slack-ids';
import { SlackSetupError } from '../../src/slack/verify-bot-token';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startFakeSocketMode, type FakeSocketMode } from '../kit/fake-socket-mode-server';
import { blockActionPayload, slashCommandBody } from '../kit/sign-requests';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { APPROVALS_CONFIG, getCandidate, handledClicks, seedCandidate, waitFor } from './approvals-helpers';

const APP_TOKEN = 'xapp-1-A0MLOPS-1-sockettestvalue';

/** A slash command as Socket Mode carries it: the HTTP form's fields as a JSON object. */
function slashCommandPayload(slack: FakeSlack, text: string): Record<string, unknown> {
  return Object.fromEntries(new URLSearchParams(slashCommandBody({ text, responseUrl: slack.responseUrl() })));
}

describe('Socket Mode end to end (fake Slack at 300 ms, loopback Socket Mode server)', () => {
  let slack: FakeSlack;
  let socket: FakeSocketMode;
  let t: TestBot;
  beforeAll(async () => {
    slack = await startFakeSlack({ latencyMs: 300 });
    socket = await startFakeSocketMode(slack);
    t = await startTestBot({ fileConfig: APPROVALS_CONFIG, slack, env: { SLACK_APP_TOKEN: APP_TOKEN } });
  });
  afterAll(async () => {
    await t.stop();
    await socket.close();
    await slack.close();
  });

  /** Delivers `/mlops help` and returns the ack with the Slack calls that arrived before it. */
  async function help(): Promise<{ text: string; connection: number; callsBeforeAck: string[] }> {
    const before = slack.calls.length;
    const ack = await socket.deliver('slash_commands', slashCommandPayload(slack, 'help'));
    const text = ack.payload?.['text'];
    return { text: typeof text === 'string' ? text : '', connection: ack.connection, callsBeforeAck: slack.calls.slice(before).map((c) => c.method) };
  }

  it('start() connected: the bot token checked once (auth.test), the app token opened one connection', () => {
    expect(socket.connections).toBe(1);
    expect(slack.callsTo('apps.connections.open').map((c) => c.token)).toEqual([APP_TOKEN]);
    expect(slack.callsTo('auth.test')).toHaveLength(1);
  });

  it('/mlops help is answered in the ack payload over the socket, with no Slack call before the ack', async () => {
    const answer = await help();
    expect(answer.text).toContain('train');
    expect(answer.callsBeforeAck).toEqual([]);
  });

  it('a request over the socket still gets a request id (no HTTP request to take it from): its log lines carry one', async () => {
    const before = t.logs.lines.length;
    const ack = await socket.deliver('slash_commands', slashCommandPayload(slack, 'no-such-subcommand'));
    expect(ack.payload?.['text']).toEqual(expect.stringContaining('is not a /mlops subcommand'));
    const line = await waitFor(() => t.logs.lines.slice(before).find((l) => l.includes('unknown /mlops subcommand')), 'the log line');
    expect(JSON.parse(line)).toMatchObject({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), command: 'mlops' });
  });

  it('a Deploy click is acked over the socket before any Slack call, and deploys exactly once', async () => {
    const seeded = await seedCandidate(t);
    const handled = await handledClicks(t, 'deploy');
    const before = slack.calls.length;
    const ack = await socket.deliver(
      'interactive',
      blockActionPayload({
        actionId: ActionId.Deploy,
        value: seeded.id,
        userId: 'U0ALICE',
        channelId: seeded.channel,
        messageTs: seeded.ts,
        responseUrl: slack.responseUrl(),
      }) as Record<string, unknown>,
    );
    expect(slack.calls.slice(before).map((c) => c.method)).toEqual([]);
    expect(ack.envelope_id).toMatch(/-/);
    await waitFor(async () => (await handledClicks(t, 'deploy')) > handled, 'the Deploy click to be handled', 15_000);
    expect((await getCandidate(t, seeded.id)).state).toBe('deploying');
    expect(t.aws.callsTo('lambda', 'Invoke').filter((c) => (c.body as { conf?: { candidate_id?: string } }).conf?.candidate_id === seeded.id)).toHaveLength(1);
    await waitFor(
      () => slack.message(seeded.channel, seeded.ts)!.text.includes('Deploying to fraud-detector-prod') || undefined,
      'the message to say Deploying',
    );
  });

  it('an Events API envelope (app_home_opened) is acked and the Home tab published', async () => {
    const published = slack.callsTo('views.publish').length;
    await socket.deliver('events_api', {
      token: 'legacy-verification-token',
      team_id: 'T0TEAM',
      api_app_id: 'A0MLOPS',
      type: 'event_callback',
      event_id: 'Ev0SOCKET1',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
    });
    await slack.waitForCalls('views.publish', published + 1, 10_000);
  });

  it('reconnects when Slack asks (disconnect, refresh_requested) and keeps serving on the new connection', async () => {
    const opened = socket.connections;
    socket.requestRefresh('refresh_requested');
    await socket.waitForConnections(opened + 1, 20_000);
    await waitFor(() => (socket.openConnections === 1 ? true : undefined), 'the old connection to close', 10_000);
    const answer = await help();
    expect(answer.connection).toBe(opened + 1);
    expect(answer.text).toContain('train');
    expect(slack.callsTo('apps.connections.open')).toHaveLength(opened + 1);
  }, 30_000);

  it('reconnects after the connection is cut without a close handshake, and keeps serving', async () => {
    const opened = socket.connections;
    socket.drop();
    await socket.waitForConnections(opened + 1, 20_000);
    const answer = await help();
    expect(answer.connection).toBe(opened + 1);
    expect(answer.text).toContain('train');
    // Reconnecting never re-checks the bot token.
    expect(slack.callsTo('auth.test')).toHaveLength(1);
  }, 30_000);
});

describe('Socket Mode with an app token Slack refuses', () => {
  it('start() fails with one line naming SLACK_APP_TOKEN (main prints it and exits 1)', async () => {
    const slack = await startFakeSlack();
    const socket = await startFakeSocketMode(slack);
    slack.failNext('apps.connections.open', 1, { error: 'invalid_auth' });
    try {
      const error = await startTestBot({ slack, env: { SLACK_APP_TOKEN: APP_TOKEN } }).then(
        async (t) => {
          await t.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SlackSetupError);
      expect((error as Error).message).toMatch(/^SLACK_APP_TOKEN: Slack refused the token \(invalid_auth\).*xapp-/);
      expect(socket.connections).toBe(0);
    } finally {
      await socket.close();
      await slack.close();
    }
  });
});
