import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startTestBot, type TestBot, type TestBotOptions } from '../kit/start-test-bot';

/** Polls `read` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, read: () => T | undefined | Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Ack {
  status: number;
  ms: number;
  /** The ack's JSON body, or undefined for an empty ack. */
  body?: { text?: string; blocks?: unknown[]; response_type?: string };
}

/** Sends a signed slash command and reads the ack with its timing. */
export async function sendCommand(t: TestBot, text: string, opts: { userId?: string; channelId?: string } = {}): Promise<Ack> {
  const started = Date.now();
  const res = await t.command(text, opts);
  const raw = await res.text();
  const ms = Date.now() - started;
  return { status: res.status, ms, ...(raw.trim() !== '' ? { body: JSON.parse(raw) as Ack['body'] } : {}) };
}

/** The next response_url post after `count` earlier ones, as text + blocks JSON. */
export async function nextResponse(
  t: TestBot,
  count: number,
  timeoutMs = 8000,
): Promise<{ text: string; all: string; responseType?: string; replaceOriginal?: boolean; at: number }> {
  const responses = await t.slack.waitForResponses(count + 1, timeoutMs);
  const r = responses[count];
  if (r === undefined) throw new Error('no response');
  return {
    text: r.text ?? '',
    all: JSON.stringify(r.body),
    ...(r.response_type !== undefined ? { responseType: r.response_type } : {}),
    ...(r.replace_original !== undefined ? { replaceOriginal: r.replace_original } : {}),
    at: r.at,
  };
}

/**
 * A test bot on its own fake AWS with explicit SDK settings (the kit's defaults: 3 s per attempt,
 * 2 attempts): for delay and timeout tests.
 */
export async function startBotWithAws(
  aws: { requestTimeoutMs: number; maxAttempts: number },
  options: TestBotOptions = {},
): Promise<TestBot & { ownAws: FakeAws }> {
  const fake = await startFakeAws();
  const t = await startTestBot({
    ...options,
    aws: fake,
    overrides: {
      ...options.overrides,
      aws: { endpoint: fake.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-aws-secret' }, ...aws },
    },
  });
  const stopBot = t.stop.bind(t);
  return Object.assign(t, {
    ownAws: fake,
    stop: async () => {
      await stopBot();
      await fake.close();
    },
  });
}

/** A signed-ready Events API body for app_home_opened. */
export function appHomeOpenedBody(userId: string, tab: 'home' | 'messages' = 'home'): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    api_app_id: 'A0MLOPS',
    type: 'event_callback',
    event_id: `Ev${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user: userId, channel: 'D0HOME', tab, event_ts: `${Date.now() / 1000}` },
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
