import { ErrorCode, MlopsError } from '../../src/core/errors';
import { createCandidateRepository } from '../../src/deployments/candidate-repository';
import { MemoryStore } from '../../src/store/memory-store';
import { storeKeys } from '../../src/store/store-keys';

/** listByModel drops expired ids from the model index in the background: a failing drop is logged, never an unhandled rejection. */
describe('candidate index clean-up', () => {
  it('logs a failed setRemove instead of leaving an unhandled rejection', async () => {
    const store = new MemoryStore();
    await store.setAdd(storeKeys.modelCandidates('fraud-detector'), 'gone-1');
    store.setRemove = () => Promise.reject(new MlopsError(ErrorCode.StoreUnavailable, 'Redis is not answering'));
    const warnings: unknown[][] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const repo = createCandidateRepository(store, { warn: (...args: unknown[]) => void warnings.push(args) });
      await expect(repo.listByModel('fraud-detector')).resolves.toEqual([]);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings[0])).toContain('gone-1');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
    }
  });
});
