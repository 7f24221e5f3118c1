import type { Store } from '../core/store';
import { MemoryStore } from './memory-store';
import { RedisStore, type StoreLogger } from './redis-store';

/**
 * Picks the adapter from configuration: Redis when a URL is given (shared by all replicas),
 * otherwise the in-memory store (one replica only; config loading warns about that).
 */
export function createStore(opts: { redisUrl?: string; keyPrefix?: string; logger?: StoreLogger }): Store {
  if (opts.redisUrl) return new RedisStore({ url: opts.redisUrl, keyPrefix: opts.keyPrefix, logger: opts.logger });
  // One process owns the memory store, so a key prefix has nothing to isolate.
  return new MemoryStore();
}
