import { evaluationCompleted } from '../fixtures/pipeline-events';
import { nowSeconds, signV0, slashCommandBody } from '../kit/sign-requests';
import { startTestBot } from '../kit/start-test-bot';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../kit/test-secrets';

describe('logs never contain secrets', () => {
  it('keeps tokens, secrets, signatures and raw bodies out of every log line of a busy session', async () => {
    const t = await startTestBot();
    const signatures: string[] = [];
    try {
      await t.command('help');
      await t.command('nonsense');
      const event = evaluationCompleted();
      const body = JSON.stringify(event);
      await t.hook(event);
      await t.hook(event);
      await t.hook({ id: 'bad' });
      await t.hook(event, { secret: 'wrong-secret-wrong-secret' });
      const slackBody = slashCommandBody({ text: 'help', responseUrl: t.slack.responseUrl() });
      const badSig = signV0('not-the-secret', nowSeconds(), slackBody);
      signatures.push(badSig, signV0(TEST_WEBHOOK_SECRET, nowSeconds(), body));
      await fetch(`${t.url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(nowSeconds()), 'x-slack-signature': badSig },
        body: slackBody,
      });
      t.slack.failNext('chat.postMessage', 1, { error: 'invalid_auth' });
      await t.bot.deps.slack.chat.postMessage({ channel: 'C0FRAUD', text: 'probe' }).catch((e: unknown) => t.bot.deps.logger.error({ err: e }, 'probe failed'));
    } finally {
      await t.stop();
    }
    const text = t.logs.text();
    expect(t.logs.lines.length).toBeGreaterThan(5);
    for (const secret of [TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET, ...signatures]) expect(text).not.toContain(secret);
    expect(text).not.toContain('"metrics":{"f1"');
  });
});

describe('the log scan every test bot runs at stop()', () => {
  it('fails the test when a secret reaches the logs, so the whole suite is a secret scan', async () => {
    const t = await startTestBot({ store: 'memory' });
    // Bypass the logger (which would scrub it) to prove the scan itself catches a leak.
    t.logs.stream.write(`{"msg":"leak ${TEST_SIGNING_SECRET}"}\n`);
    await expect(t.stop()).rejects.toThrow(/secrets or signatures reached the logs \(1\)/);
  });
});
