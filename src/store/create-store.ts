import { readFileSync } from 'node:fs';
import type { Store } from '../core/store';
import { MemoryStore } from './memory-store';
import { RedisStore, type StoreLogger } from './redis-store';

/**
 * Picks the adapter from configuration: Redis when a URL is given (shared by all replicas),
 * otherwise the in-memory store (one replica only; config loading warns about that).
 */
export function createStore(opts: {
  redisUrl?: string;
  keyPrefix?: string;
  logger?: StoreLogger;
  /** REDIS_CLUSTER. */
  redisCluster?: boolean;
  /** REDIS_CA_FILE (checked by loadConfig): a PEM bundle trusted on top of the system CAs. */
  redisCaFile?: string;
}): Store {
  if (opts.redisUrl) {
    return new RedisStore({
      url: opts.redisUrl,
      keyPrefix: opts.keyPrefix,
      logger: opts.logger,
      cluster: opts.redisCluster === true,
      ...(opts.redisCaFile !== undefined ? { tlsCa: readFileSync(opts.redisCaFile, 'utf8') } : {}),
    });
  }
  // One process owns the memory store, so a key prefix has nothing to isolate.
  return new MemoryStore();
}
