import type { Store } from '../core/store';

/**
 * A leader lease in the store, so that one replica at a time runs a background job (run watchdog,
 * outbox delivery, deploy recovery): taken with SET NX PX, renewed by compare-and-set on our own
 * holder id, released only if still ours (delete-if-equals).
 * A lease can lapse under a long pause, so the job's side effects carry idempotency keys or
 * claims as well.
 */
export interface StoreLease {
  readonly holder: string;
  /** Renews the lease if we hold it, else takes it if free. True when we hold it afterwards. */
  acquire(): Promise<boolean>;
  /** Milliseconds since the last successful acquire (Infinity before the first and after release). */
  sinceRenewalMs(): number;
  /** True while the last renewal is recent enough, by `marginMs`, that no one else can have taken over. */
  fresh(marginMs: number): boolean;
  /** Gives the lease up if it is still ours (shutdown), so another replica takes over at once. */
  release(): Promise<void>;
}

/** `key` is the lease's store key (storeKeys.lease(job)); `ttlMs` its lifetime from each renewal. */
export function storeLease(store: Store, key: string, holder: string, ttlMs: number): StoreLease {
  // Real time, not the injectable clock: the TTL runs in the store's real time.
  let renewedAt = Number.NEGATIVE_INFINITY;
  const sinceRenewalMs = () => performance.now() - renewedAt;
  return {
    holder,
    async acquire() {
      // The TTL may start as soon as the request is sent: a slow answer must not make the lease
      // look younger than it is, so the renewal counts from before each call.
      let sentAt = performance.now();
      let held = await store.compareAndSet(key, holder, holder, ttlMs);
      if (!held) {
        sentAt = performance.now();
        held = await store.setIfAbsent(key, holder, ttlMs);
      }
      if (held) renewedAt = sentAt;
      return held;
    },
    sinceRenewalMs,
    fresh: (marginMs) => sinceRenewalMs() < ttlMs - marginMs,
    async release() {
      renewedAt = Number.NEGATIVE_INFINITY;
      await store.deleteIfEquals(key, holder);
    },
  };
}
