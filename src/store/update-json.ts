import type { Store } from '../core/store';

/** What a read-modify-write decided: a value to write (compare-and-set) and the result to return either way. */
export type JsonUpdate<T, R> = { write: T; result: R } | { write?: undefined; result: R };

export interface JsonUpdateOptions {
  ttlMs?: number;
  /** Attempts before giving up on a key that keeps changing under us (default 50). */
  maxAttempts?: number;
  /** The error thrown when every attempt lost the race; default a plain "changing too fast". */
  tooFast?: () => Error;
}

const DEFAULT_ATTEMPTS = 50;

/**
 * The one compare-and-set loop of the bot: reads the JSON value at `key`, lets `decide` compute the
 * next one (or none), and writes it only if nobody changed the key meanwhile; on a lost race it
 * re-reads and decides again. `decide` may run several times, so it must not have effects a
 * repeat would double (it may read, and it may throw to abort).
 */
export async function updateJsonWith<T, R>(
  store: Store,
  key: string,
  options: JsonUpdateOptions,
  decide: (current: T | undefined, raw: string | null) => JsonUpdate<T, R> | Promise<JsonUpdate<T, R>>,
): Promise<R> {
  const attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const raw = await store.get(key);
    const current = raw === null ? undefined : (JSON.parse(raw) as T);
    const decision = await decide(current, raw);
    if (decision.write === undefined) return decision.result;
    if (await store.compareAndSet(key, raw, JSON.stringify(decision.write), options.ttlMs)) return decision.result;
  }
  throw options.tooFast?.() ?? new Error(`${key} is changing too fast`);
}

/**
 * The common case of updateJsonWith: `change` gets the current value (undefined when absent) and
 * returns the next one, or undefined to leave it. Returns the value stored afterwards.
 */
export async function updateJson<T>(store: Store, key: string, ttlMs: number, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
  return updateJsonWith<T, T | undefined>(store, key, { ttlMs, maxAttempts: 20 }, (current) => {
    const next = change(current);
    return next === undefined ? { result: current } : { write: next, result: next };
  });
}
