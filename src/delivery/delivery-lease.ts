import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';

/**
 * The delivery leader lease: one replica at a time drains the outbox, so messages of a channel
 * go out in order and at the channel's pace. SET NX PX to take it, compare-and-set on our own
 * holder id to renew, delete-if-ours to hand it over at shutdown. A lease can lapse under a
 * long pause: each delivery is also claimed by compare-and-set (see send-delivery.ts).
 */
export function createDeliveryLease(store: Store, holder: string, ttlMs: number) {
  const key = storeKeys.lease('delivery');
  let renewedAt = Number.NEGATIVE_INFINITY;
  return {
    holder,
    /** Renews the lease if ours, else takes it if free; true when we hold it afterwards. */
    async acquire(): Promise<boolean> {
      const held = (await store.compareAndSet(key, holder, holder, ttlMs)) || (await store.setIfAbsent(key, holder, ttlMs));
      if (held) renewedAt = performance.now();
      return held;
    },
    /** True while the last renewal is recent enough that no one else can have taken over. */
    fresh(marginMs: number): boolean {
      return performance.now() - renewedAt < ttlMs - marginMs;
    },
    async release(): Promise<void> {
      renewedAt = Number.NEGATIVE_INFINITY;
      await store.deleteIfEquals(key, holder);
    },
  };
}
export type DeliveryLease = ReturnType<typeof createDeliveryLease>;
