import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';

/**
 * A leader lease in the store, so that one replica runs a background job at a time:
 * taken with SET NX PX, renewed by compare-and-set on our own holder id, released only if still ours.
 * A lease can lapse under a long pause, so the job's side effects carry idempotency keys as well.
 */
export interface StoreLease {
  readonly holder: string;
  /** Renews the lease if we hold it, else takes it if free. True when we hold it afterwards. */
  acquire(): Promise<boolean>;
  /** Milliseconds since the last successful acquire (Infinity before the first). */
  sinceRenewalMs(): number;
  /** Gives the lease up if it is still ours (shutdown), so another replica takes over at once. */
  release(): Promise<void>;
}

export function createStoreLease(store: Store, job: string, holder: string, ttlMs: number): StoreLease {
  const key = storeKeys.lease(job);
  // Real time, not the injectable clock: the TTL runs in the store's real time.
  let renewedAt = Number.NEGATIVE_INFINITY;
  return {
    holder,
    async acquire() {
      const held = (await store.compareAndSet(key, holder, holder, ttlMs)) || (await store.setIfAbsent(key, holder, ttlMs));
      if (held) renewedAt = performance.now();
      return held;
    },
    sinceRenewalMs: () => performance.now() - renewedAt,
    async release() {
      renewedAt = Number.NEGATIVE_INFINITY;
      await store.deleteIfEquals(key, holder);
    },
  };
}
