import type { ProductionRecord } from '../core/production-record';
import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';

export type { ProductionRecord };

const MAX_DEPLOY_HISTORY = 50;

/**
 * The production baseline of each model: the last version that reached deployment.succeeded,
 * plus the bounded list of deployed versions (rollback targets, oldest first).
 */
export function createProductionRegistry(store: Store) {
  return {
    async current(model: string): Promise<ProductionRecord | undefined> {
      const raw = await store.get(storeKeys.production(model));
      return raw === null ? undefined : (JSON.parse(raw) as ProductionRecord);
    },
    async recordDeployed(record: ProductionRecord): Promise<void> {
      await store.set(storeKeys.production(record.model), JSON.stringify(record));
      await store.pushBounded(storeKeys.deployHistory(record.model), JSON.stringify(record), MAX_DEPLOY_HISTORY);
    },
    /** Deployed versions, newest first. */
    async history(model: string): Promise<ProductionRecord[]> {
      const raws = await store.listRange(storeKeys.deployHistory(model), 0, -1);
      return raws.map((r) => JSON.parse(r) as ProductionRecord).reverse();
    },
    /** The version deployed before the current one (default rollback target). */
    async previous(model: string): Promise<ProductionRecord | undefined> {
      const history = await this.history(model);
      const current = history[0];
      return history.find((r) => current !== undefined && r.version !== current.version);
    },
  };
}
export type ProductionRegistry = ReturnType<typeof createProductionRegistry>;
