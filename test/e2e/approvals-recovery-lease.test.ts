/**
 * Issue 10 (smaller findings): the deploy-recovery lease must be renewed during a scan. A scan can
 * outlast the lease (a trigger call with SDK retries per candidate); without renewal a second
 * replica takes the lapsed lease and recovers the same candidates at the same time. Real Redis;
 * the recovery actions are counted, not timed.
 */
import { deployRecovery } from '../../src/deployments/deploy-recovery';
import type { DeployResult, DeploymentService } from '../../src/deployments/deployment-service';
import { RedisStore } from '../../src/store/redis-store';
import { TEST_REDIS_URL } from '../kit/test-secrets';
import type { TestBot } from '../kit/start-test-bot';
import { approvalsBotPerTest, seedCandidate, sleep, waitFor } from './approvals-helpers';
import { testKeyPrefix } from '../kit/test-key-prefix';

describe('deploy recovery: one replica per scan, however long the scan takes', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  it('keeps its lease while one action outlasts it, so another replica does not recover the same candidates meanwhile', async () => {
    // The jobs' lease lives under its own prefix: the bot's own recovery job holds the bot's.
    const leaseStore = new RedisStore({ url: TEST_REDIS_URL, keyPrefix: testKeyPrefix() });
    const deps = { ...t.bot.deps, store: leaseStore };
    for (const version of ['1.4.0', '1.5.0', '1.6.0']) await seedCandidate(t, { version, state: 'approved' });

    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const acted = { a: [] as string[], b: [] as string[] };
    const service = (who: 'a' | 'b') =>
      ({
        continueDeployment: async (id: string): Promise<DeployResult> => {
          acted[who].push(id);
          if (who === 'a' && acted.a.length === 1) await gate; // a trigger call that takes longer than the lease
          return { kind: 'not_found' };
        },
      }) as unknown as DeploymentService;
    // Lease lifetime 3 x 100 ms.
    const a = deployRecovery(deps, { graceMs: 0, intervalMs: 100, instanceId: 'replica-a' }, service('a'));
    const b = deployRecovery(deps, { graceMs: 0, intervalMs: 100, instanceId: 'replica-b' }, service('b'));
    try {
      const scanA = a.runOnce();
      await waitFor(() => acted.a.length === 1, 'replica a to start its first action');
      await sleep(1000); // more than three lease lifetimes inside one action
      await b.runOnce();
      expect(acted.b).toEqual([]);
      open();
      await scanA;
      expect(acted.a).toHaveLength(3);
    } finally {
      open();
      await a.stop();
      await b.stop();
      await leaseStore.close();
    }
  });
});
