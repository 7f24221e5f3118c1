/**
 * The store port. Two adapters implement it (src/store/redis-store.ts, src/store/memory-store.ts)
 * and one contract suite (test/store/store-contract.test.ts) runs against both.
 * Values are strings; callers serialise. Every method is atomic on its own.
 * Any method may reject with MlopsError(StoreUnavailable) when the backend does not answer; on a
 * write that means "outcome unknown" (it may have run), so writes are designed to be idempotent.
 * TTLs are milliseconds, > 0 (fractions round up); a bad TTL, maxLength or index rejects with RangeError.
 * Using a key as the wrong type (a list op on a string…) rejects with a plain Error "WRONGTYPE …",
 * never StoreUnavailable: it is a bug, not an outage. Empty lists and sets cease to exist.
 */
export interface Store {
  readonly kind: 'redis' | 'memory';
  ping(): Promise<void>;

  get(key: string): Promise<string | null>;
  /** Same order as `keys`; null for missing keys and for keys holding a list or set. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /** Like SET: without `ttlMs` the key has no expiry afterwards, even if it had one. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** SET NX (PX ttl). True when this call created the key: dedup and locks. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /**
   * Writes `next` only if the current value equals `expected` (null: the key must be absent).
   * True when written. The basis of every state transition.
   * Like `set`, a write without `ttlMs` leaves the key without expiry.
   */
  compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean>;
  /** Deletes only if the value still equals `expected` (lock release). */
  deleteIfEquals(key: string, expected: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomic counter; returns the new value. `ttlMs` is applied only when the key has no expiry yet
   * (a fixed window from the first increment); later increments never extend it.
   */
  increment(key: string, ttlMs?: number): Promise<number>;

  /** Appends at the tail and trims the head so that at most `maxLength` (>= 1) newest items stay. */
  pushBounded(key: string, value: string, maxLength: number): Promise<void>;
  /** Appends at the tail, unbounded (queues). */
  push(key: string, value: string): Promise<void>;
  /** Inclusive range, negative indexes from the tail (LRANGE semantics). */
  listRange(key: string, start: number, stop: number): Promise<string[]>;
  listLength(key: string): Promise<number>;
  /** Removes every occurrence of `value`; returns how many. */
  listRemove(key: string, value: string): Promise<number>;
  /** Atomically moves the head of `from` to the tail of `to` (reliable queue claim). */
  moveHead(from: string, to: string): Promise<string | null>;

  setAdd(key: string, member: string): Promise<void>;
  setRemove(key: string, member: string): Promise<void>;
  /** In no particular order. */
  setMembers(key: string): Promise<string[]>;

  /**
   * Atomically: if `uniqueKey` is absent, set it to `value` (with TTL) and push `queueItem` to the
   * tail of `queueKey`; returns true. Otherwise changes nothing and returns false.
   * Dedup and durable recording in one step, so a crash cannot record without queueing.
   */
  recordUnique(uniqueKey: string, value: string, ttlMs: number, queueKey: string, queueItem: string): Promise<boolean>;

  /** Idempotent; calls made after it reject with StoreUnavailable. */
  close(): Promise<void>;
}
