/**
 * Issue 10, item 1: the bot token is verified once, at startup. A token Slack refuses stops the
 * process with one line naming the setting; a Slack that cannot be reached does not stop the bot
 * from coming up (hooks, health, acks) and is retried with a growing, logged backoff.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SlackSetupError } from '../../src/slack/verify-bot-token';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../kit/test-secrets';
import { waitFor } from './approvals-helpers';

const ROOT = join(__dirname, '..', '..');
const FAST_RETRY = { baseMs: 20, maxMs: 200 };

/** The real entry point (src/main.ts through tsx) against `slackApiUrl`; resolves when it exits. */
function runMain(slackApiUrl: string): Promise<{ code: number | null; stderr: string }> {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main.ts')], {
    cwd: mkdtempSync(join(tmpdir(), 'mlops-slack-start-')),
    env: {
      PATH: process.env['PATH'] ?? '',
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: slackApiUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

/** Log lines (parsed) whose message matches. */
function logLines(t: TestBot, pattern: RegExp): { msg: string; attempt?: number; retryInMs?: number; cause?: string }[] {
  return t.logs.lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => pattern.test(l.msg));
}

describe('the bot token is checked once at startup', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack();
  });
  afterEach(async () => {
    await slack.close();
  });

  it.each(['invalid_auth', 'not_authed', 'account_inactive'])(
    'Slack answers %s: the process exits 1 with one line naming SLACK_BOT_TOKEN and what to do, no stack trace, no retry',
    async (error) => {
      slack.failNext('auth.test', 1, { error });
      const run = await runMain(slack.apiUrl);
      expect(run.code).toBe(1);
      const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^mlops-chatops: SLACK_BOT_TOKEN: .*\\(${error}\\).*xoxb-`))]);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(slack.callsTo('auth.test')).toHaveLength(1);
    },
    40_000,
  );

  it('while Slack answers 503 the bot still comes up (ready, hooks, acks), retries with a growing backoff and logs each retry; then it is verified', async () => {
    slack.failNext('auth.test', 1000, { status: 503 });
    const t = await startTestBot({ slack, overrides: { slackTokenRetry: FAST_RETRY } });
    try {
      expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      const help = await t.command('help');
      expect(help.status).toBe(200);
      expect(await help.text()).toContain('train');

      const retries = await waitFor(() => {
        const seen = logLines(t, /cannot verify SLACK_BOT_TOKEN: Slack is unreachable/);
        return seen.length >= 4 ? seen : undefined;
      }, 'four logged retries');
      expect(retries[0]!.msg).toMatch(/auth\.test: HTTP 503\); attempt 1 failed, retrying in \d+\.\d s/);
      expect(retries.map((r) => r.attempt)).toEqual(retries.map((_, i) => i + 1));
      // Exponential: each wait is at least the previous one (jitter stays within [b/2, b] of a doubling b).
      const waits = retries.slice(0, 4).map((r) => r.retryInMs!);
      expect([...waits].sort((a, b) => a - b)).toEqual(waits);
      expect(waits[3]!).toBeGreaterThan(waits[0]!);

      slack.reset(); // Slack is back
      await waitFor(() => logLines(t, /SLACK_BOT_TOKEN verified after \d+ attempts/)[0], 'the token to be verified');
      expect(slack.callsTo('auth.test').map((c) => c.status)).toEqual([200]);
      const before = slack.calls.length;
      expect((await t.command('help')).status).toBe(200);
      expect(slack.calls.slice(before).map((c) => c.method)).toEqual([]);
    } finally {
      await t.stop();
    }
  });

  it('Slack on a closed port (connection refused): the bot comes up and says why it retries', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const t = await startTestBot({ slack, env: { SLACK_API_URL: `http://127.0.0.1:${closedPort}/api/` }, overrides: { slackTokenRetry: FAST_RETRY } });
    try {
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
      const [first] = await waitFor(() => {
        const seen = logLines(t, /cannot verify SLACK_BOT_TOKEN/);
        return seen.length > 0 ? seen : undefined;
      }, 'a logged retry');
      // Under jest the client sees fetch's "fetch failed" without its cause; a real process names ECONNREFUSED.
      expect(first!.msg).toMatch(/Slack is unreachable \(auth\.test: .*(ECONNREFUSED|fetch failed)\); attempt 1 failed, retrying in/);
    } finally {
      await t.stop();
    }
  });

  it('a 429 at startup: the retry waits at least Retry-After (not the short backoff), then the token is verified', async () => {
    slack.failNext('auth.test', 1, { status: 429, retryAfterSeconds: 1 });
    const t = await startTestBot({ slack, overrides: { slackTokenRetry: FAST_RETRY } });
    try {
      const [retry] = logLines(t, /cannot verify SLACK_BOT_TOKEN/);
      expect(retry!.msg).toMatch(/rate limited, Retry-After 1 s/);
      expect(retry!.retryInMs).toBeGreaterThanOrEqual(1000);
      await waitFor(() => logLines(t, /SLACK_BOT_TOKEN verified after 2 attempts/)[0], 'the token to be verified');
      expect(slack.callsTo('auth.test').map((c) => c.status)).toEqual([429, 200]);
    } finally {
      await t.stop();
    }
  });

  it('a refusal that comes after retries (Slack was unreachable, then answers invalid_auth) reaches onFatal as a SlackSetupError', async () => {
    slack.failNext('auth.test', 2, { status: 502 });
    slack.failNext('auth.test', 1, { error: 'invalid_auth' });
    let fatal: (error: Error) => void = () => undefined;
    const reported = new Promise<Error>((resolve) => (fatal = resolve));
    const t = await startTestBot({ slack, overrides: { slackTokenRetry: FAST_RETRY }, onFatal: (error) => fatal(error) });
    try {
      const error = await reported;
      expect(error).toBeInstanceOf(SlackSetupError);
      expect(error.message).toMatch(/^SLACK_BOT_TOKEN: Slack refused the token \(invalid_auth\)/);
      expect(slack.callsTo('auth.test')).toHaveLength(3);
    } finally {
      await t.stop();
    }
  });
});
