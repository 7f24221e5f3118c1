import { createLogger, scrubSecrets } from '../../src/observability/create-logger';
import { captureLogs } from '../kit/capture-logs';

describe('createLogger redaction', () => {
  const secret = 'super-secret-signing-value-123';
  it('censors token, secret, signature and body fields wherever they sit', () => {
    const logs = captureLogs();
    const log = createLogger({ level: 'info', destination: logs.stream, secrets: [secret] });
    log.info(
      {
        token: 'xoxb-1-2-abc',
        client: { token: 'xoxb-9-9-zzz' },
        signingSecret: secret,
        headers: { authorization: 'Bearer xoxb-1-2-abc', 'x-slack-signature': 'v0=abcdef', 'x-mlops-signature': 'v0=123456' },
        body: '{"raw":"payload"}',
        model: 'fraud-detector',
      },
      'request',
    );
    const text = logs.text();
    expect(text).toContain('"model":"fraud-detector"');
    for (const leaked of ['xoxb-1-2-abc', 'xoxb-9-9-zzz', secret, 'v0=abcdef', 'v0=123456', '"raw":"payload"']) expect(text).not.toContain(leaked);
    expect(text).toContain('[REDACTED]');
  });

  it('scrubs token shapes and configured secrets from messages and errors', () => {
    const logs = captureLogs();
    const log = createLogger({ level: 'info', destination: logs.stream, secrets: [secret] });
    log.warn(`call failed with token xoxb-111-222-secretish and secret ${secret}`);
    log.error({ err: new Error(`invalid_auth for xapp-1-A0-abc and ${secret}`) }, 'slack error');
    const text = logs.text();
    expect(text).not.toMatch(/xoxb-111|xapp-1-A0|super-secret/);
    expect(text).toContain('invalid_auth for [REDACTED]');
    expect(scrubSecrets('a xoxp-1-2 b', [])).toBe('a [REDACTED] b');
  });
});
