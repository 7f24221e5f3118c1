/** Fixed test credentials. Long and distinctive so a log scan for them cannot miss. */
export const TEST_BOT_TOKEN = 'xoxb-1111-2222-TESTBOTTOKENsecretvalue';
export const TEST_SIGNING_SECRET = 'test-signing-secret-8f3a9c0d2e7b';
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-5b1e4d7a9c2f';
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
