/**
 * Issue 10 (smaller findings): a model named `all` must not share the global audit log's key, or
 * `/mlops history all` would show every model's decisions and the Home tab that model's. Real Redis.
 */
import { createAuditLog } from '../../src/deployments/audit-log';
import { RedisStore } from '../../src/store/redis-store';
import { storeKeys } from '../../src/store/store-keys';
import { testKeyPrefix } from '../kit/test-key-prefix';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('audit log keys', () => {
  let store: RedisStore;
  beforeAll(() => {
    store = new RedisStore({ url: REDIS_URL, keyPrefix: testKeyPrefix() });
  });
  afterAll(async () => {
    await store.close();
  });

  it('no model name maps to the global key', () => {
    for (const model of ['all', 'audit', '', 'all:x']) expect(storeKeys.audit(model)).not.toBe(storeKeys.auditAll());
  });

  it('a model named "all" keeps its own history; the global log keeps every model', async () => {
    const audit = createAuditLog(store);
    const entry = (model: string, action: 'approved' | 'rejected') => ({ at: new Date().toISOString(), model, action, actor: 'U0ALICE' });
    await audit.append(entry('fraud-detector', 'approved'));
    await audit.append(entry('all', 'rejected'));
    expect((await audit.recent('all', 10)).map((e) => e.model)).toEqual(['all']);
    expect((await audit.recent('fraud-detector', 10)).map((e) => e.model)).toEqual(['fraud-detector']);
    expect((await audit.recent(undefined, 10)).map((e) => e.model)).toEqual(['all', 'fraud-detector']);
  });
});
