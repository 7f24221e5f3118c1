import { startTestBot, type TestBot } from '../kit/start-test-bot';

describe('buttons and modals the bot does not handle', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ store: 'memory' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('acks an unknown button at once and tells the clicking user, instead of a 404 after 3 s', async () => {
    const started = Date.now();
    const res = await t.click({ actionId: 'mlops_legacy_button', value: 'x', userId: 'U0ALICE', channelId: 'C0FRAUD', messageTs: '1732600000.000100' });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const [answer] = await t.slack.waitForResponses(1);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer?.body)).toContain('no longer handled');
  });

  it('acks an unknown modal submission at once', async () => {
    const started = Date.now();
    const res = await t.submitView({ callbackId: 'mlops_legacy_modal', userId: 'U0ALICE', privateMetadata: '', values: {} });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
