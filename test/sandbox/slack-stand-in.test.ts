/**
 * What the sandbox adds to the Slack stand-in (src/sandbox/fake-slack-server.ts), through the real
 * WebClient and plain response_url posts: answers to a response_url with a context take effect as on
 * Slack, views opened with a user's trigger are that user's modals, and every change is announced.
 * Without a context the stand-in behaves as the test suite has always relied on (recorded only).
 */
import { WebClient } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/fake-slack-server';

describe('the Slack stand-in (sandbox additions)', () => {
  let slack: FakeSlack;
  let web: WebClient;
  const CHANNEL = 'C0SANDBOX';

  beforeAll(async () => {
    slack = await startFakeSlack();
    web = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack.close();
  });
  beforeEach(() => slack.reset());

  const respond = async (url: string, body: Record<string, unknown>) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
  };
  const card = async () => {
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'card', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'card' } }] });
    return posted.ts ?? '';
  };

  it('a response_url answer is an ephemeral of the acting user by default, and a channel message with in_channel', async () => {
    const url = slack.responseUrl(undefined, { channel: CHANNEL, user: 'U1' });
    await respond(url, { text: 'only you see this' });
    await respond(url, { text: 'everyone sees this', response_type: 'in_channel' });
    expect(slack.ephemerals(CHANNEL)).toEqual([expect.objectContaining({ user: 'U1', text: 'only you see this' })]);
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['everyone sees this']);
  });

  it('replace_original edits the clicked message in place (same ts, edited); delete_original removes it', async () => {
    const ts = await card();
    const url = slack.responseUrl(undefined, { channel: CHANNEL, user: 'U1', messageTs: ts });
    await respond(url, { replace_original: true, text: 'decided', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'decided by <@U1>' } }] });
    const edited = slack.message(CHANNEL, ts);
    expect(edited).toMatchObject({ ts, text: 'decided', blocks: [{ type: 'section', text: { text: 'decided by <@U1>' } }] });
    expect(edited?.edited).toBeDefined();
    expect(slack.ephemerals()).toEqual([]);
    await respond(url, { delete_original: true });
    expect(slack.message(CHANNEL, ts)).toBeUndefined();
  });

  it('replace_original on an ephemeral replaces that ephemeral only', async () => {
    const posted = await web.chat.postEphemeral({ channel: CHANNEL, user: 'U1', text: 'Train again?' });
    const url = slack.responseUrl(undefined, { channel: CHANNEL, user: 'U1', messageTs: posted.message_ts ?? '', isEphemeral: true });
    await respond(url, { replace_original: true, text: 'Training started' });
    expect(slack.ephemerals().map((e) => e.text)).toEqual(['Training started']);
  });

  it('without a context a response_url answer is only recorded (what the test suite reads)', async () => {
    await respond(slack.responseUrl('plain'), { text: 'recorded', response_type: 'in_channel' });
    expect(slack.responses.map((r) => r.text)).toEqual(['recorded']);
    expect(slack.messages(CHANNEL)).toEqual([]);
    expect(slack.ephemerals()).toEqual([]);
  });

  it("a view opened with a user's trigger is that user's open modal until closed; a trigger opens one view only", async () => {
    const trigger = slack.triggerFor('U1');
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Reject' }, blocks: [] };
    const opened = await web.views.open({ trigger_id: trigger, view });
    expect(slack.modals()).toEqual([{ viewId: opened.view?.id, user: 'U1', view: expect.objectContaining({ type: 'modal' }) }]);
    await expect(web.views.open({ trigger_id: trigger, view })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });
    await web.views.open({ trigger_id: 'not-from-triggerFor', view });
    expect(slack.modals()).toHaveLength(1);
    slack.closeModal(opened.view?.id ?? '');
    expect(slack.modals()).toEqual([]);
  });

  it('announces every change to its listeners until they unsubscribe', async () => {
    let changes = 0;
    const unsubscribe = slack.onChange(() => (changes += 1));
    await card();
    await respond(slack.responseUrl(undefined, { channel: CHANNEL, user: 'U1' }), { text: 'hi' });
    expect(changes).toBe(2);
    unsubscribe();
    await card();
    expect(changes).toBe(2);
  });
});
