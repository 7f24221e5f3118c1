import type { EnvConfig } from '../config/config-schema';
import { ErrorCode, isMlopsError, MlopsError } from '../core/errors';
import type { Store } from '../core/store';
import { RedisStore } from './redis-store';

/** `REDIS_MAXMEMORY_POLICY_CHECK`: refuse to start (default), only warn, or do not ask at all. */
export type EvictionCheckMode = EnvConfig['REDIS_MAXMEMORY_POLICY_CHECK'];

interface CheckLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Startup check of Redis's `maxmemory-policy`. Anything but `noeviction` lets Redis delete keys
 * under memory pressure, and the volatile-* policies (ElastiCache's default is volatile-lru) pick
 * exactly the keys with a TTL: endpoint locks, dedup markers, leases, i.e. the exactly-once
 * guarantees. With `noeviction` a full Redis refuses writes instead (OOM), which the store reports
 * as unavailable (503, retried) rather than losing state silently.
 *
 * Refuses with one line (reason and fix) in `refuse` mode; warns in `warn` mode. When the server
 * hides both CONFIG and INFO it warns and goes on. When Redis is not answering yet (it may start
 * after the bot), the check runs when it first answers and a wrong policy then goes to `onFatal`.
 */
export async function checkEvictionPolicy(
  store: Store,
  opts: {
    mode: EvictionCheckMode;
    logger: CheckLogger;
    onFatal: (error: Error) => void;
    /** What to run when Redis first answers, if it does not yet (default: this check again). */
    whenReady?: () => Promise<void>;
  },
): Promise<void> {
  if (!(store instanceof RedisStore) || opts.mode === 'off') return;
  const { logger, mode } = opts;
  let reading: Awaited<ReturnType<RedisStore['maxmemoryPolicy']>>;
  try {
    reading = await store.maxmemoryPolicy();
  } catch (error) {
    if (!isMlopsError(error, ErrorCode.StoreUnavailable)) throw error;
    logger.warn({}, 'Redis maxmemory-policy not checked yet: Redis is not answering; it is checked when Redis answers');
    store.onNextReady(() => {
      (opts.whenReady ?? (() => checkEvictionPolicy(store, opts)))().catch((late: unknown) =>
        opts.onFatal(late instanceof Error ? late : new Error(String(late))),
      );
    });
    return;
  }
  if ('hidden' in reading) {
    logger.warn(
      { detail: reading.hidden },
      'Redis maxmemory-policy not checked: the server refuses CONFIG and INFO; make sure it is noeviction (ElastiCache: the parameter group), or set REDIS_MAXMEMORY_POLICY_CHECK=off to skip this check',
    );
    return;
  }
  if (reading.policy === 'noeviction') {
    // Via INFO means CONFIG is refused (ElastiCache, MemoryDB hide it): say so, it is expected there.
    logger.info(
      { policy: reading.policy, via: reading.via },
      reading.via === 'INFO'
        ? 'Redis maxmemory-policy is noeviction (read from INFO: CONFIG is unavailable, as on ElastiCache)'
        : 'Redis maxmemory-policy is noeviction',
    );
    return;
  }
  const line =
    `Redis maxmemory-policy is ${reading.policy}${reading.node !== undefined ? ` on cluster master ${reading.node}` : ''}: under memory pressure Redis deletes keys ${reading.policy.startsWith('volatile') ? 'with a TTL' : 'of any kind'} ` +
    '(endpoint locks, dedup markers, leases), breaking exactly-once deployments and deliveries; ' +
    'set maxmemory-policy noeviction (redis.conf, CONFIG SET, or the ElastiCache parameter group), or REDIS_MAXMEMORY_POLICY_CHECK=warn to start anyway';
  if (mode === 'warn') {
    logger.warn({ policy: reading.policy }, line);
    return;
  }
  throw new MlopsError(ErrorCode.ConfigInvalid, line, { policy: reading.policy });
}
