import type { Store } from '../core/store';

const MAX_ATTEMPTS = 20;

/**
 * Read-modify-write of a JSON value by compare-and-set, retried on contention: `change` gets
 * the current value (undefined when absent) and returns the next one, or undefined to leave it.
 * Returns the value stored afterwards.
 */
export async function updateJson<T>(store: Store, key: string, ttlMs: number, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const raw = await store.get(key);
    const current = raw === null ? undefined : (JSON.parse(raw) as T);
    const next = change(current);
    if (next === undefined) return current;
    if (await store.compareAndSet(key, raw, JSON.stringify(next), ttlMs)) return next;
  }
  throw new Error(`${key} is changing too fast`);
}
