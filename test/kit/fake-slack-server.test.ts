import { WebClient, WebClientEvent, ErrorCode, LogLevel, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIHTTPError } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from './fake-slack-server';

// The real client, as the bot builds it; retries are tuned per test to keep the suite quick.
function client(fake: FakeSlack, options: ConstructorParameters<typeof WebClient>[1] = {}, token = 'xoxb-test'): WebClient {
  return new WebClient(token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, ...options });
}

/** Retry without p-retry's own backoff, so any wait we measure comes from Retry-After. */
const NO_BACKOFF = { minTimeout: 0, maxTimeout: 1 };

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to fail');
}

/** The call's rejection, which must be an instance of `kind` (the web-api client's error classes). */
async function rejectionOf<E extends Error>(promise: Promise<unknown>, kind: abstract new (...args: never[]) => E): Promise<E> {
  const error = await rejection(promise);
  if (error instanceof kind) return error;
  throw new Error(`expected a ${kind.name}, got ${error.name}: ${error.message}`, { cause: error });
}

describe('fake Slack server, driven by the real @slack/web-api WebClient', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('serves the API under /api/ on loopback', () => {
    expect(fake.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('records chat.postMessage with the token and decoded blocks/metadata, and stores the message', async () => {
    const web = client(fake);
    const blocks = [section('*Run 42* finished')];
    const metadata = { event_type: 'pipeline_run', event_payload: { run_id: 'r-42' } };
    const first = await web.chat.postMessage({ channel: 'C1', text: 'run 42', blocks, metadata });
    const second = await web.chat.postMessage({ channel: 'C1', text: 'run 43' });

    expect(first.ok).toBe(true);
    expect(first.channel).toBe('C1');
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(first.message?.text).toBe('run 42');
    expect(first.message?.bot_id).toBe('BBOT');
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));

    const [call] = fake.callsTo('chat.postMessage');
    expect(call).toMatchObject({ method: 'chat.postMessage', token: 'xoxb-test', status: 200 });
    expect(call!.args.blocks).toEqual(blocks); // decoded from the form body's JSON string
    expect(call!.args.metadata).toEqual(metadata);
    expect(call!.args).not.toHaveProperty('token');
    expect(call!.at).toBeGreaterThan(Date.now() - 10_000);

    const stored = fake.messages('C1');
    expect(stored.map((m) => m.text)).toEqual(['run 42', 'run 43']);
    expect(stored[0]).toMatchObject({ ts: first.ts, blocks, metadata });
  });

  it('checks messages as Slack does: 50 blocks at most, text cut at 40,000 characters, metadata needs event_type', async () => {
    const web = client(fake);
    const tooMany = await rejectionOf(
      web.chat.postMessage({ channel: 'C1', text: 'x', blocks: Array.from({ length: 51 }, () => section('b')) }),
      WebAPIPlatformError,
    );
    expect(tooMany.data.error).toBe('invalid_blocks');
    const noText = await rejectionOf(web.chat.postMessage({ channel: 'C1', text: '' }), WebAPIPlatformError);
    expect(noText.data.error).toBe('no_text');
    const badMeta = await rejectionOf(web.apiCall('chat.postMessage', { channel: 'C1', text: 'x', metadata: { event_payload: {} } }), WebAPIPlatformError);
    expect(badMeta.data.error).toBe('invalid_metadata_format');
    await web.chat.postMessage({ channel: 'C1', text: 'y'.repeat(40_010), blocks: Array.from({ length: 50 }, () => section('b')) });
    expect(fake.messages('C1').map((m) => m.text.length)).toEqual([40_000]);
  });

  it('gives every message a unique, strictly increasing ts, even in a burst', async () => {
    const web = client(fake);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => web.chat.postMessage({ channel: `C${i % 3}`, text: `m${i}` })));
    const ts = results.map((r) => r.ts!);
    expect(new Set(ts).size).toBe(20);
    const sorted = [...ts].sort((a, b) => (BigInt(a.replace('.', '')) < BigInt(b.replace('.', '')) ? -1 : 1));
    const byArrival = fake.callsTo('chat.postMessage').map((c) => (c.response as { ts: string }).ts);
    expect(byArrival).toEqual(sorted);
  });

  it('threads replies: stored with thread_ts, counted on the parent, served by conversations.replies, hidden from history', async () => {
    const web = client(fake);
    const parent = await web.chat.postMessage({ channel: 'C1', text: 'parent' });
    const reply = await web.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: parent.ts! });

    expect(fake.callsTo('chat.postMessage')[1]!.args.thread_ts).toBe(parent.ts);
    expect(fake.message('C1', reply.ts!)).toMatchObject({ thread_ts: parent.ts, parent_user_id: 'UBOT' });
    expect(fake.message('C1', parent.ts!)).toMatchObject({ reply_count: 1, latest_reply: reply.ts, thread_ts: parent.ts });

    const thread = await web.conversations.replies({ channel: 'C1', ts: parent.ts! });
    expect(thread.messages?.map((m) => m.text)).toEqual(['parent', 'reply']);
    const history = await web.conversations.history({ channel: 'C1' });
    expect(history.messages?.map((m) => m.text)).toEqual(['parent']);
  });

  it('chat.update changes the stored message, keeps blocks when omitted, and refuses unknown ts', async () => {
    const web = client(fake);
    const posted = await web.chat.postMessage({ channel: 'C1', text: 'deploying', blocks: [section('deploying')] });
    const updated = await web.chat.update({ channel: 'C1', ts: posted.ts!, text: 'deployed' });

    expect(updated).toMatchObject({ ok: true, channel: 'C1', ts: posted.ts, text: 'deployed' });
    const stored = fake.message('C1', posted.ts!)!;
    expect(stored.text).toBe('deployed');
    expect(stored.blocks).toEqual([section('deploying')]);
    expect(stored.edited?.user).toBe('UBOT');

    await web.chat.update({ channel: 'C1', ts: posted.ts!, text: 'deployed', blocks: [section('done')] });
    expect(fake.message('C1', posted.ts!)!.blocks).toEqual([section('done')]);

    const error = await rejectionOf(web.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' }), WebAPIPlatformError);
    expect(error.code).toBe(ErrorCode.PlatformError);
    expect(error.data.error).toBe('message_not_found');
    expect(fake.messages('C1')).toHaveLength(1);
  });

  it('chat.postEphemeral answers message_ts and keeps the ephemeral apart from channel messages', async () => {
    const web = client(fake);
    const res = await web.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you', blocks: [section('only you')] });
    expect(res.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.ephemerals('C1')).toEqual([{ channel: 'C1', user: 'U1', text: 'only you', blocks: [section('only you')], message_ts: res.message_ts }]);
    expect(fake.messages('C1')).toEqual([]);
  });

  it('views.open returns a view with an id, records the decoded view, and the trigger is single use', async () => {
    const web = client(fake);
    const view = {
      type: 'modal' as const,
      callback_id: 'reject_modal',
      private_metadata: '{"run":"r-1"}',
      title: { type: 'plain_text' as const, text: 'Reject model' },
      blocks: [section('Why?')],
    };
    const opened = await web.views.open({ trigger_id: '123.456.abc', view });
    expect(opened.view?.id).toMatch(/^V/);
    expect(opened.view).toMatchObject({ callback_id: 'reject_modal', private_metadata: '{"run":"r-1"}', team_id: 'T0TEAM' });
    expect(fake.callsTo('views.open')[0]!.args).toEqual({ trigger_id: '123.456.abc', view });

    const reused = await rejectionOf(web.views.open({ trigger_id: '123.456.abc', view }), WebAPIPlatformError);
    expect(reused.data.error).toBe('exchanged_trigger_id');

    const updated = await web.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view: { ...view, blocks: [section('Thanks')] } });
    expect(updated.view?.id).toBe(opened.view!.id);
    expect(updated.view?.blocks).toEqual([section('Thanks')]);
    const stale = await rejectionOf(web.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view }), WebAPIPlatformError);
    expect(stale.data.error).toBe('hash_conflict');

    const tooLong = await rejectionOf(
      web.views.open({ trigger_id: 't2', view: { ...view, title: { type: 'plain_text', text: 'x'.repeat(25) } } }),
      WebAPIPlatformError,
    );
    expect(tooLong.data.error).toBe('invalid_arguments');
    expect(tooLong.data.response_metadata?.messages?.[0]).toMatch(/json-pointer:\/view\/title\/text/);
  });

  it('views.publish keeps one Home view per user', async () => {
    const web = client(fake);
    const home = { type: 'home' as const, blocks: [section('Pipelines')] };
    const a = await web.views.publish({ user_id: 'U1', view: home });
    const b = await web.views.publish({ user_id: 'U1', view: { ...home, blocks: [section('Pipelines v2')] } });
    expect(b.view?.id).toBe(a.view?.id);
    expect(fake.views()).toHaveLength(1);
    expect(fake.views()[0]).toMatchObject({ user_id: 'U1', blocks: [section('Pipelines v2')] });
  });

  it('usergroups.users.list answers the members set with setUsergroup, no_such_subteam otherwise', async () => {
    const web = client(fake);
    fake.setUsergroup('S0APPROVERS', ['U1', 'U2']);
    await expect(web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).resolves.toMatchObject({ ok: true, users: ['U1', 'U2'] });
    const error = await rejectionOf(web.usergroups.users.list({ usergroup: 'S0NOPE' }), WebAPIPlatformError);
    expect(error.data.error).toBe('no_such_subteam');
  });

  it('conversations.history: newest first, metadata only with include_all_metadata, oldest/latest/limit and cursors', async () => {
    const web = client(fake);
    const ts: string[] = [];
    for (const n of [1, 2, 3, 4]) {
      const res = await web.chat.postMessage({ channel: 'C1', text: `m${n}`, metadata: { event_type: 'pipeline_run', event_payload: { n } } });
      ts.push(res.ts!);
    }

    const plain = await web.conversations.history({ channel: 'C1' });
    expect(plain.messages?.map((m) => m.text)).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect(plain.messages?.some((m) => 'metadata' in m)).toBe(false);
    expect(plain.has_more).toBe(false);

    const withMeta = await web.conversations.history({ channel: 'C1', include_all_metadata: true, limit: 1 });
    expect(withMeta.messages?.[0]?.metadata).toEqual({ event_type: 'pipeline_run', event_payload: { n: 4 } });
    expect(withMeta.has_more).toBe(true);
    const page2 = await web.conversations.history({ channel: 'C1', limit: 2, cursor: withMeta.response_metadata!.next_cursor! });
    expect(page2.messages?.map((m) => m.text)).toEqual(['m3', 'm2']);

    // oldest/latest are exclusive unless inclusive=true
    const between = await web.conversations.history({ channel: 'C1', oldest: ts[0], latest: ts[3] });
    expect(between.messages?.map((m) => m.text)).toEqual(['m3', 'm2']);
    const inclusive = await web.conversations.history({ channel: 'C1', oldest: ts[0], latest: ts[3], inclusive: true });
    expect(inclusive.messages?.map((m) => m.text)).toEqual(['m4', 'm3', 'm2', 'm1']);

    // Wall-clock ts: a "last hour" window finds them.
    const recent = await web.conversations.history({ channel: 'C1', oldest: String(Date.now() / 1000 - 3600) });
    expect(recent.messages).toHaveLength(4);
  });

  it('answers users.info and auth.test like Slack', async () => {
    const web = client(fake);
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM' });
    fake.setUser('U1', { real_name: 'Ada Lovelace', tz: 'Europe/London' });
    await expect(web.users.info({ user: 'U1' })).resolves.toMatchObject({ user: { id: 'U1', real_name: 'Ada Lovelace', tz: 'Europe/London' } });
    const error = await rejectionOf(web.users.info({ user: 'not-a-user' }), WebAPIPlatformError);
    expect(error.data.error).toBe('user_not_found');
  });

  it('refuses a missing or non-bot token with invalid_auth, and unknown methods with unknown_method', async () => {
    const bad = await rejectionOf(client(fake, {}, 'xoxp-user').auth.test(), WebAPIPlatformError);
    expect(bad.data.error).toBe('invalid_auth');
    const none = await rejectionOf(
      new WebClient(undefined, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR }).auth.test(),
      WebAPIPlatformError,
    );
    expect(none.data.error).toBe('invalid_auth');
    const unknown = await rejectionOf(client(fake).apiCall('nope.never'), WebAPIPlatformError);
    expect(unknown.data.error).toBe('unknown_method');
    expect(fake.calls.map((c) => [c.method, c.token])).toEqual([
      ['auth.test', 'xoxp-user'],
      ['auth.test', undefined],
      ['nope.never', 'xoxb-test'],
    ]);
  });

  it('accepts JSON bodies with a Bearer header (as a hand-rolled fetch would send)', async () => {
    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: 'C9', text: 'hi', blocks: [section('hi')] }),
    });
    expect(res.status).toBe(200);
    await expect(res.json()).resolves.toMatchObject({ ok: true, channel: 'C9' });
    expect(fake.calls[0]).toMatchObject({ token: 'xoxb-json', args: { channel: 'C9', blocks: [section('hi')] } });
  });

  it('a 429 with Retry-After is honoured: the client waits, retries once and succeeds', async () => {
    const web = client(fake, { retryConfig: { retries: 1, ...NO_BACKOFF } });
    const limited: number[] = [];
    web.on(WebClientEvent.RATE_LIMITED, (seconds: number) => limited.push(seconds));
    fake.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 1 });

    const started = Date.now();
    const res = await web.chat.postMessage({ channel: 'C1', text: 'after the limit' });
    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    const attempts = fake.callsTo('chat.postMessage');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(attempts[0]!.response).toEqual({ ok: false, error: 'ratelimited' });
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(limited).toEqual([1]);
    expect(fake.messages('C1')).toHaveLength(1); // the limited attempt stored nothing
  });

  it('while a 429 is being waited out, the client holds back its other calls too (rejectRateLimitedCalls: false)', async () => {
    const web = client(fake, { retryConfig: { retries: 1, ...NO_BACKOFF } });
    fake.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 1 });
    const post = web.chat.postMessage({ channel: 'C1', text: 'x' });
    const [limited] = await fake.waitForCalls('chat.postMessage', 1);
    await new Promise((r) => setTimeout(r, 150)); // let the client read the 429 and pause its queue
    await web.auth.test();
    await post;
    const [auth] = fake.callsTo('auth.test');
    expect(auth!.at - limited!.at).toBeGreaterThanOrEqual(900);
  });

  it('5xx answers are retried by the client; without retries they surface as HTTP errors', async () => {
    fake.failNext('chat.postMessage', 2, { status: 503 });
    const res = await client(fake, { retryConfig: { retries: 2, ...NO_BACKOFF } }).chat.postMessage({ channel: 'C1', text: 'x' });
    expect(res.ok).toBe(true);
    expect(fake.callsTo('chat.postMessage').map((c) => c.status)).toEqual([503, 503, 200]);

    fake.failNext('chat.update', 1, { status: 500 });
    const error = await rejectionOf(client(fake).chat.update({ channel: 'C1', ts: res.ts!, text: 'y' }), WebAPIHTTPError);
    expect(error.code).toBe(ErrorCode.HTTPError);
    expect(error.statusCode).toBe(500);
  });

  it('rejectRateLimitedCalls: true surfaces the 429 at once as a rate-limited error with retryAfter', async () => {
    fake.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 7 });
    const started = Date.now();
    const error = await rejectionOf(
      client(fake, { rejectRateLimitedCalls: true, retryConfig: { retries: 3 } }).chat.postMessage({ channel: 'C1', text: 'x' }),
      WebAPIRateLimitedError,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.code).toBe(ErrorCode.RateLimitedError);
    expect(error.retryAfter).toBe(7);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1); // no retry
  });

  it('injects platform errors (HTTP 200, ok:false) and slow answers', async () => {
    const web = client(fake);
    fake.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    const error = await rejectionOf(web.chat.postMessage({ channel: 'C1', text: 'x' }), WebAPIPlatformError);
    expect(error.data.error).toBe('channel_not_found');
    expect(fake.callsTo('chat.postMessage')[0]!.status).toBe(200);
    await expect(web.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true }); // only the next one failed

    fake.failNext('auth.test', 1, { delayMs: 300 });
    const started = Date.now();
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    // A client timeout shorter than the delay gives up; the fake had already done the work.
    fake.failNext('chat.postMessage', 1, { delayMs: 500 });
    const timedOut = await rejection(client(fake, { timeout: 100 }).chat.postMessage({ channel: 'C1', text: 'slow' }));
    expect(timedOut.code).toBe(ErrorCode.RequestError);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['x', 'slow']);
  });

  it('uploads a file through files.uploadV2 (getUploadURLExternal, upload URL, completeUploadExternal)', async () => {
    const web = client(fake);
    const res = await web.files.uploadV2({
      channel_id: 'C1',
      content: 'accuracy,0.93\n',
      filename: 'metrics.csv',
      title: 'Metrics',
      initial_comment: 'Run 42 metrics',
    });
    expect(res.ok).toBe(true);

    const [file] = fake.files();
    expect(file).toMatchObject({ filename: 'metrics.csv', title: 'Metrics', completed: true, channel_id: 'C1', length: 14 });
    expect(file!.content?.toString('utf8')).toBe('accuracy,0.93\n');
    expect(fake.callsTo('files.completeUploadExternal')[0]!.args.files).toEqual([{ id: file!.id, title: 'Metrics' }]);
    expect(fake.messages('C1')).toMatchObject([{ text: 'Run 42 metrics', files: [{ id: file!.id, name: 'metrics.csv' }] }]);
  });

  it('records response_url posts and answers ok; faults can target response URLs', async () => {
    const url = fake.responseUrl('cmd-1');
    expect(url).toBe(`${fake.origin}/response/cmd-1`);
    // What Bolt's respond() sends: JSON, no token.
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const first = await post({ text: 'Working on it', response_type: 'ephemeral' });
    expect(first.status).toBe(200);
    await expect(first.json()).resolves.toEqual({ ok: true });
    void post({ text: 'Done', blocks: [section('Done')], replace_original: true });
    const seen = await fake.waitForResponses(2);
    expect(seen).toMatchObject([
      { id: 'cmd-1', text: 'Working on it', response_type: 'ephemeral' },
      { id: 'cmd-1', text: 'Done', blocks: [section('Done')], replace_original: true },
    ]);

    fake.failNext('response_url', 1, { status: 500 });
    expect((await post({ text: 'lost' })).status).toBe(500);
    expect(fake.responses).toHaveLength(2);
    expect(fake.responseUrl()).not.toBe(fake.responseUrl()); // fresh ids when none given
  });

  it('waitForCalls resolves once enough calls arrived, and times out listing what it saw', async () => {
    const web = client(fake);
    const waiting = fake.waitForCalls('chat.postMessage', 2);
    await web.chat.postMessage({ channel: 'C1', text: 'a' });
    await web.chat.postMessage({ channel: 'C1', text: 'b' });
    await expect(waiting).resolves.toHaveLength(2);

    await expect(fake.waitForCalls('chat.update', 1, 100)).rejects.toThrow(
      /1 call\(s\) to chat\.update, saw 0; 2 call\(s\): #1 chat\.postMessage -> 200, #2 chat\.postMessage -> 200/,
    );
  });

  it('reset() forgets calls, messages and faults', async () => {
    const web = client(fake);
    await web.chat.postMessage({ channel: 'C1', text: 'a' });
    fake.failNext('auth.test', 1, { error: 'account_inactive' });
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    expect(fake.messages('C1')).toEqual([]);
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true });
  });
});

describe('fake Slack server with the per-channel posting limit enforced', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack({ perChannelRatePerSecond: 1 });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('limits a second quick post to the same channel, not to another channel, and not chat.update', async () => {
    const web = client(fake, { rejectRateLimitedCalls: true });
    const first = await web.chat.postMessage({ channel: 'C1', text: 'one' });
    const error = await rejectionOf(web.chat.postMessage({ channel: 'C1', text: 'two' }), WebAPIRateLimitedError);
    expect(error.code).toBe(ErrorCode.RateLimitedError);
    expect(error.retryAfter).toBe(1);
    expect(fake.rateLimitedCount).toBe(1);

    await expect(web.chat.postMessage({ channel: 'C2', text: 'elsewhere' })).resolves.toMatchObject({ ok: true });
    // chat.update is Tier 3 (per workspace), not part of postMessage's per-channel budget.
    await expect(web.chat.update({ channel: 'C1', ts: first.ts!, text: 'one, edited' })).resolves.toMatchObject({ ok: true });
    expect(fake.rateLimitedCount).toBe(1);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['one, edited']);
    expect(fake.postTimes('C1')).toHaveLength(1);
  });

  it('a client that honours Retry-After gets both posts through, about a second apart', async () => {
    const web = client(fake, { retryConfig: { retries: 2, ...NO_BACKOFF } });
    await Promise.all([web.chat.postMessage({ channel: 'C1', text: 'a' }), web.chat.postMessage({ channel: 'C1', text: 'b' })]);
    const [t1, t2] = fake.postTimes('C1');
    expect(t2! - t1!).toBeGreaterThanOrEqual(950);
    expect(fake.rateLimitedCount).toBe(1);
    expect(fake.messages('C1')).toHaveLength(2);
  });
});

describe('fake Slack server: as slow and as mean as production (latency, lost answers)', () => {
  let fake: FakeSlack;
  afterEach(async () => {
    await fake.close();
  });

  /** Resolves to 'answered' or 'failed' when the call settles; `state()` tells where it is now. */
  function track(call: Promise<unknown>): { state(): 'pending' | 'answered' | 'failed'; settled: Promise<unknown> } {
    let state: 'pending' | 'answered' | 'failed' = 'pending';
    const settled = call.then(
      (value) => {
        state = 'answered';
        return value;
      },
      (error: unknown) => {
        state = 'failed';
        return error;
      },
    );
    return { state: () => state, settled };
  }

  it('latency per method: a call is recorded (and done) on arrival, its answer held; another method answers at its own latency', async () => {
    fake = await startFakeSlack({ latencyMs: { default: 60_000, 'auth.test': 0 } });
    expect(fake.latencyOf('chat.postMessage')).toBe(60_000);
    expect(fake.latencyOf('auth.test')).toBe(0);
    const web = client(fake, { timeout: 120_000 });
    const post = track(web.chat.postMessage({ channel: 'C1', text: 'held' }));
    await fake.waitForCalls('chat.postMessage', 1);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['held']); // the work is done
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true }); // answered while the post is held
    expect(post.state()).toBe('pending');
    await fake.close(); // ends the held answer
    await post.settled;
    expect(post.state()).toBe('failed');
  });

  it('a single latency number applies to every method, response_url included, and setLatency/reset change it', async () => {
    fake = await startFakeSlack({ latencyMs: 250 });
    expect(['chat.update', 'views.open', 'response_url', 'file_upload'].map((m) => fake.latencyOf(m))).toEqual([250, 250, 250, 250]);
    fake.setLatency({ 'chat.postMessage': 400 });
    expect([fake.latencyOf('chat.postMessage'), fake.latencyOf('chat.update')]).toEqual([400, 0]);
    fake.reset();
    expect(fake.latencyOf('chat.update')).toBe(250);

    fake.setLatency({ response_url: 60_000 });
    const answer = track(
      fetch(fake.responseUrl('r1'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'late' }) }),
    );
    const [recorded] = await fake.waitForResponses(1);
    expect(recorded!.text).toBe('late');
    expect(answer.state()).toBe('pending');
  });

  it('a lost answer (hang): recorded and carried out, never answered; the client times out; a retry posts a second time', async () => {
    fake = await startFakeSlack();
    fake.failNext('chat.postMessage', 1, { lose: 'hang' });
    const timedOut = await rejection(client(fake, { timeout: 300 }).chat.postMessage({ channel: 'C1', text: 'lost answer' }));
    expect(timedOut.code).toBe(ErrorCode.RequestError);
    expect(fake.callsTo('chat.postMessage')).toEqual([expect.objectContaining({ lost: 'hang', status: 200 })]);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['lost answer']);

    // The reason exactly-once needs more than client retries: the retried post is a duplicate.
    fake.failNext('chat.postMessage', 1, { lose: 'hang' });
    await client(fake, { timeout: 300, retryConfig: { retries: 1, ...NO_BACKOFF } }).chat.postMessage({ channel: 'C2', text: 'twice' });
    expect(fake.messages('C2').map((m) => m.text)).toEqual(['twice', 'twice']);
  });

  it('a lost answer (reset): the connection is destroyed after the work; processed: false loses the request itself', async () => {
    fake = await startFakeSlack();
    fake.failNext('chat.postMessage', 1, { lose: 'reset' });
    const reset = await rejection(client(fake).chat.postMessage({ channel: 'C1', text: 'done, unheard' }));
    expect(reset.code).toBe(ErrorCode.RequestError);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['done, unheard']);

    fake.failNext('chat.postMessage', 1, { lose: 'reset', processed: false });
    await rejection(client(fake).chat.postMessage({ channel: 'C1', text: 'never done' }));
    expect(fake.callsTo('chat.postMessage').map((c) => c.lost)).toEqual(['reset', 'reset']);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['done, unheard']);
  });

  it('a lost response_url answer still records the response; an answer slower than the client timeout fails the call', async () => {
    fake = await startFakeSlack();
    fake.failNext('response_url', 1, { lose: 'reset' });
    const lost = await fetch(fake.responseUrl('r1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    expect(lost).toBe('failed');
    expect(fake.responses).toEqual([expect.objectContaining({ text: 'hi', lost: 'reset' })]);

    fake.failNext('users.info', 1, { delayMs: 60_000 });
    const slow = await rejection(client(fake, { timeout: 200 }).users.info({ user: 'U1' }));
    expect(slow.code).toBe(ErrorCode.RequestError);
    expect(fake.callsTo('users.info')).toHaveLength(1);
  });

  it('429 and 5xx answers also wait out the latency (a slow Slack is slow to refuse too)', async () => {
    fake = await startFakeSlack({ latencyMs: { 'chat.postMessage': 60_000 } });
    fake.failNext('chat.postMessage', 1, { status: 503 });
    const post = track(client(fake, { timeout: 120_000 }).chat.postMessage({ channel: 'C1', text: 'x' }));
    await fake.waitForCalls('chat.postMessage', 1);
    expect(fake.callsTo('chat.postMessage')[0]!.status).toBe(503);
    expect(post.state()).toBe('pending');
  });

  it('apps.connections.open takes only an app-level token', async () => {
    fake = await startFakeSlack();
    const bot = await rejectionOf(client(fake).apiCall('apps.connections.open'), WebAPIPlatformError);
    expect(bot.data.error).toBe('not_allowed_token_type');
    const app = await rejectionOf(client(fake, {}, 'xapp-1-test').apiCall('apps.connections.open'), WebAPIPlatformError);
    expect(app.data.error).toBe('fake_slack_has_no_socket_mode_server');
  });
});
