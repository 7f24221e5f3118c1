import { envSchema, envSecrets } from '../../src/config/config-schema';

describe('envSecrets', () => {
  it('lists the value of every secret setting of the environment schema (a new *_TOKEN or *_SECRET cannot be forgotten)', () => {
    const secretNames = Object.keys(envSchema.shape).filter((name) => /TOKEN|SECRET|PASSWORD/.test(name));
    expect(secretNames.length).toBeGreaterThanOrEqual(4);
    const env = envSchema.parse({
      SLACK_BOT_TOKEN: 'xoxb-bot-token',
      SLACK_SIGNING_SECRET: 'signing-secret',
      SLACK_APP_TOKEN: 'xapp-app-token',
      PIPELINE_WEBHOOK_SECRET: 'pipeline-webhook-secret',
    });
    const values = envSecrets(env);
    for (const name of secretNames) expect(values).toContain((env as Record<string, unknown>)[name]);
  });

  it('leaves out the secrets that are not set', () => {
    expect(envSecrets(envSchema.parse({ SLACK_BOT_TOKEN: 'xoxb-bot-token' }))).toEqual(['xoxb-bot-token']);
  });
});
