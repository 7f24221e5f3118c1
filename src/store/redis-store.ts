import { waitAtMost, withTimeout } from '../core/time-limit';
import { rootCertificates } from 'node:tls';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { ErrorCode, MlopsError } from '../core/errors';
import type { Store } from '../core/store';
import { clusterKeyPrefix, DEFAULT_KEY_PREFIX } from './store-keys';

export interface StoreLogger {
  warn(obj: object, msg: string): void;
  /** Used for "reconnected" when present; falls back to warn. */
  info?(obj: object, msg: string): void;
}

export interface RedisStoreOptions {
  /** e.g. `redis://127.0.0.1:6379/0` (`rediss://` for TLS). */
  url: string;
  /** Prepended to every key (plain commands, MULTI and script KEYS alike). Default `mlops:`. */
  keyPrefix?: string;
  /** Upper bound on one command's wait for an answer. Default 1000 ms. */
  commandTimeoutMs?: number;
  logger?: StoreLogger;
  /**
   * `REDIS_CLUSTER=true`: `url` names one node of a Redis Cluster (ElastiCache Serverless,
   * cluster-mode ElastiCache, MemoryDB). The store then speaks the cluster protocol (ioredis
   * `Cluster`) and wraps the key prefix in a hash tag, so every key lives in one slot.
   */
  cluster?: boolean;
  /** PEM CA bundle (REDIS_CA_FILE's contents) trusted for `rediss://` on top of the system CAs. */
  tlsCa?: string;
}

/** Where and how to reach Redis, as the store and the startup probe both connect. */
export interface RedisConnection {
  host: string;
  port: number;
  cluster: boolean;
  /** Per-connection options (TLS, credentials, database, timeouts), without retry policy. */
  options: RedisOptions;
}

/**
 * Reads `redis[s]://[user[:password]@]host[:port][/db]` into connection options. TLS trusts the
 * system CAs plus `tlsCa`; the server name is the URL's host, so certificates are checked as usual.
 */
export function redisConnection(url: string, opts: { cluster?: boolean; tlsCa?: string } = {}): RedisConnection {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rediss:';
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const db = parsed.pathname.replace(/^\//, '');
  const options: RedisOptions = {
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== '' && opts.cluster !== true ? { db: Number(db) } : {}),
    ...(tls ? { tls: opts.tlsCa !== undefined ? { ca: [...rootCertificates, opts.tlsCa] } : {} } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
  return { host, port: parsed.port === '' ? 6379 : Number(parsed.port), cluster: opts.cluster === true, options };
}

const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Server replies meaning "the store cannot serve right now" rather than "the caller is wrong":
 * they become StoreUnavailable (503, retry later). Other replies (WRONGTYPE, ERR not an integer…)
 * are bugs that a retry cannot fix, so they are rethrown untouched.
 */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|MISCONF|OOM|NOAUTH|WRONGPASS|NOPERM)\b|max number of clients/;

/** Lua, so that each check-then-write is one atomic step on the server. */
const SCRIPTS = {
  // ARGV: hasExpected ('1'|'0'), expected, next, ttlMs ('' = none). GET yields false when absent.
  mlopsCompareAndSet: {
    numberOfKeys: 1,
    lua: `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
return 1`,
  },
  mlopsDeleteIfEquals: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
  },
  // The TTL is applied only when the counter has none yet (first increment of a window).
  mlopsIncrement: {
    numberOfKeys: 1,
    lua: `
local value = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value`,
  },
  // Scripts are not rolled back on error: check the queue's type before writing anything.
  mlopsRecordUnique: {
    numberOfKeys: 2,
    lua: `
local queueType = redis.call('TYPE', KEYS[2]).ok
if queueType ~= 'none' and queueType ~= 'list' then
  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[3])
return 1`,
  },
} as const;

/** The commands that defineCommand adds at run time (ioredis cannot type them). */
interface ScriptCommands {
  mlopsCompareAndSet(key: string, hasExpected: '1' | '0', expected: string, next: string, ttlMs: string): Promise<number>;
  mlopsDeleteIfEquals(key: string, expected: string): Promise<number>;
  mlopsIncrement(key: string, ttlMs: string): Promise<number>;
  mlopsRecordUnique(uniqueKey: string, queueKey: string, value: string, ttlMs: string, queueItem: string): Promise<number>;
}

/**
 * Store on Redis (ioredis 5), shared by every replica.
 *
 * Fails fast: requests must answer within Slack's 3 s, so there is no offline queue, one retry at
 * most, and a per-command timeout. While Redis is down every call rejects at once with
 * MlopsError(StoreUnavailable); the client keeps reconnecting in the background (capped backoff)
 * and the same instance works again when Redis is back.
 *
 * A command that timed out may still have run on the server (it was sent, the answer was late):
 * callers treat StoreUnavailable on a write as "unknown outcome" and rely on idempotency.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: Redis | Cluster;
  /** How this store reaches Redis (the startup probe connects the same way). */
  readonly connection: RedisConnection;
  /** The prefix actually prepended to keys (hash-tagged in cluster mode). */
  readonly keyPrefix: string;
  private readonly scripts: ScriptCommands;
  private readonly commandTimeoutMs: number;
  private readonly logger: StoreLogger | undefined;
  private everReady = false;
  private healthy = true;
  private attemptEnded: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.logger = options.logger;
    this.connection = redisConnection(options.url, options);
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.keyPrefix = this.connection.cluster ? clusterKeyPrefix(prefix) : prefix;
    const perConnection: RedisOptions = {
      ...this.connection.options,
      commandTimeout: this.commandTimeoutMs,
      // A command in flight when the connection drops may already have run: resending it would run
      // it twice (a resent SET NX answers false to its own winner). It rejects on its timeout instead.
      autoResendUnfulfilledCommands: false,
      // disconnect() waits this long for the socket to close; a socket that had already dropped never
      // reports it, and ioredis's 2 s default then holds the process open after close().
      disconnectTimeout: 100,
    };
    // Never give up (returning null would end the client): Redis may come back at any time.
    const retry = (attempt: number): number => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS);
    this.client = this.connection.cluster
      ? new Cluster([{ host: this.connection.host, port: this.connection.port }], {
          keyPrefix: this.keyPrefix,
          // On: a node connection is opened on its first command, and without the queue every other
          // command of that burst is refused. Fail-fast stays: run() refuses while the cluster is not
          // ready, and a queued command's timeout (commandTimeout) runs from when it was sent.
          enableOfflineQueue: true,
          clusterRetryStrategy: retry,
          // Resending a command whose connection closed could run it twice (see above); a CLUSTERDOWN
          // is not waited out either: both reject at once (StoreUnavailable) and callers retry.
          retryDelayOnFailover: 0,
          retryDelayOnClusterDown: 0,
          // MOVED/ASK/TRYAGAIN mean "not run here": following them is safe.
          maxRedirections: 16,
          slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
          // TLS certificates name the nodes' DNS names (ElastiCache): connect by name, not by IP.
          dnsLookup: (address, callback) => callback(null, address),
          redisOptions: { ...perConnection, maxRetriesPerRequest: 1 },
        })
      : new Redis({
          host: this.connection.host,
          port: this.connection.port,
          ...perConnection,
          keyPrefix: this.keyPrefix,
          lazyConnect: false,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          retryStrategy: retry,
        });
    for (const [name, definition] of Object.entries(SCRIPTS)) this.client.defineCommand(name, definition);
    // defineCommand adds methods at run time; ScriptCommands names exactly the ones defined above.
    this.scripts = this.client as unknown as ScriptCommands;

    // Without an 'error' listener ioredis prints every failed reconnect to stderr.
    this.client.on('error', (error: Error) => {
      if (!this.healthy) return;
      this.healthy = false;
      this.logger?.warn({ err: error }, 'Redis is not answering; store calls fail fast until it reconnects');
    });
    this.client.on('ready', () => {
      const wasDown = this.everReady && !this.healthy;
      this.everReady = true;
      this.healthy = true;
      if (!wasDown || !this.logger) return;
      if (this.logger.info) this.logger.info({}, 'Redis is answering again');
      else this.logger.warn({}, 'Redis is answering again');
    });
  }

  ping(): Promise<void> {
    return this.run('ping', async () => {
      await this.client.ping();
    });
  }

  get(key: string): Promise<string | null> {
    return this.run('get', () => this.client.get(key));
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    // MGET without keys is a syntax error.
    if (keys.length === 0) return this.run('getMany', async () => []);
    return this.run('getMany', () => this.client.mget([...keys]));
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.run('set', async () => {
      const ttl = ttlArg(ttlMs);
      // A plain SET also clears an earlier TTL; both adapters document and test that.
      if (ttl === '') await this.client.set(key, value);
      else await this.client.set(key, value, 'PX', ttl);
    });
  }

  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.run('setIfAbsent', async () => {
      const ttl = ttlArg(ttlMs);
      const reply = ttl === '' ? await this.client.set(key, value, 'NX') : await this.client.set(key, value, 'PX', ttl, 'NX');
      return reply === 'OK';
    });
  }

  compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean> {
    return this.run('compareAndSet', async () => {
      const ttl = ttlArg(ttlMs);
      const written = await this.scripts.mlopsCompareAndSet(key, expected === null ? '0' : '1', expected ?? '', next, ttl);
      return written === 1;
    });
  }

  deleteIfEquals(key: string, expected: string): Promise<boolean> {
    return this.run('deleteIfEquals', async () => (await this.scripts.mlopsDeleteIfEquals(key, expected)) === 1);
  }

  delete(key: string): Promise<void> {
    return this.run('delete', async () => {
      await this.client.del(key);
    });
  }

  increment(key: string, ttlMs?: number): Promise<number> {
    return this.run('increment', async () => {
      const ttl = ttlArg(ttlMs);
      return ttl === '' ? this.client.incr(key) : this.scripts.mlopsIncrement(key, ttl);
    });
  }

  pushBounded(key: string, value: string, maxLength: number): Promise<void> {
    return this.run('pushBounded', async () => {
      assertMaxLength(maxLength);
      const results = await this.client.multi().rpush(key, value).ltrim(key, -maxLength, -1).exec();
      // exec resolves null when the transaction was discarded, and reports command errors per entry.
      if (results === null) throw new Error('pushBounded: the MULTI transaction was discarded');
      for (const [error] of results) if (error) throw error;
    });
  }

  push(key: string, value: string): Promise<void> {
    return this.run('push', async () => {
      await this.client.rpush(key, value);
    });
  }

  listRange(key: string, start: number, stop: number): Promise<string[]> {
    return this.run('listRange', async () => {
      assertIndex(start, 'start');
      assertIndex(stop, 'stop');
      return this.client.lrange(key, start, stop);
    });
  }

  listLength(key: string): Promise<number> {
    return this.run('listLength', () => this.client.llen(key));
  }

  listRemove(key: string, value: string): Promise<number> {
    return this.run('listRemove', () => this.client.lrem(key, 0, value));
  }

  moveHead(from: string, to: string): Promise<string | null> {
    return this.run('moveHead', () => this.client.lmove(from, to, 'LEFT', 'RIGHT'));
  }

  setAdd(key: string, member: string): Promise<void> {
    return this.run('setAdd', async () => {
      await this.client.sadd(key, member);
    });
  }

  setRemove(key: string, member: string): Promise<void> {
    return this.run('setRemove', async () => {
      await this.client.srem(key, member);
    });
  }

  setMembers(key: string): Promise<string[]> {
    return this.run('setMembers', () => this.client.smembers(key));
  }

  recordUnique(uniqueKey: string, value: string, ttlMs: number, queueKey: string, queueItem: string): Promise<boolean> {
    return this.run('recordUnique', async () => {
      const ttl = ttlArg(ttlMs);
      return (await this.scripts.mlopsRecordUnique(uniqueKey, queueKey, value, ttl, queueItem)) === 1;
    });
  }

  /**
   * The server's `maxmemory-policy`, from CONFIG GET, else from INFO memory (ElastiCache and other
   * managed services refuse CONFIG but answer INFO). `hidden` says why neither could tell (renamed
   * or ACL-denied commands). On a cluster every master is asked and the first one that is not
   * `noeviction` is reported (`node`). Rejects with StoreUnavailable when Redis does not answer.
   */
  maxmemoryPolicy(): Promise<{ policy: string; via: 'CONFIG GET' | 'INFO'; node?: string } | { hidden: string }> {
    return this.run('maxmemoryPolicy', async () => {
      if (!(this.client instanceof Cluster)) return policyOf(this.client);
      const masters = this.client.nodes('master');
      if (masters.length === 0) throw new Error('no cluster master is connected');
      let reading: Awaited<ReturnType<typeof policyOf>> | undefined;
      for (const master of masters) {
        const one = await policyOf(master);
        const node = `${master.options.host ?? '?'}:${master.options.port ?? '?'}`;
        if ('hidden' in one) return { hidden: `${node}: ${one.hidden}` };
        if (one.policy !== 'noeviction') return { ...one, node };
        reading ??= one;
      }
      return reading as { policy: string; via: 'CONFIG GET' | 'INFO' };
    });
  }

  /** Runs `fn` once, the next time the connection to Redis becomes ready (reconnects included). */
  onNextReady(fn: () => void): void {
    this.client.once('ready', fn);
  }

  /** QUIT lets pending replies arrive; DISCONNECT when Redis is not there to answer it. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.client.quit();
        await this.untilEnded();
      } catch {
        // Not connected (or QUIT timed out): nothing to flush, just stop reconnecting.
      } finally {
        // Only when still open: on an ended client ioredis arms a 2 s timer that nothing clears.
        if (this.client.status !== 'end') this.client.disconnect();
      }
    })();
    return this.closing;
  }

  /**
   * Runs one command: argument errors (RangeError) and bug replies pass through, every
   * connectivity failure becomes StoreUnavailable.
   */
  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      await this.firstConnection();
      // The cluster client queues while it is not ready (see the constructor): refuse instead.
      if (this.client instanceof Cluster && this.client.status !== 'ready') throw new Error(`the Redis Cluster is not ready (${this.client.status})`);
      // The cluster client may also hold a command in its own queues (no node for the slot yet, a
      // redirection pending), where no per-node timeout runs: bound the whole call, so a request
      // never hangs. Like any timeout this is an unknown outcome: the command may still run.
      if (this.client instanceof Cluster)
        return await withTimeout(
          command(),
          2 * this.commandTimeoutMs,
          () => new Error(`no answer from the Redis Cluster in time (${2 * this.commandTimeoutMs} ms)`),
        );
      return await command();
    } catch (error) {
      throw this.translate(operation, error);
    }
  }

  /**
   * Without an offline queue, a command sent before the very first connection is ready would fail
   * at once (every call right after start-up). Wait for that first attempt, bounded by the command
   * timeout. Later outages are not waited for: they fail fast.
   */
  private async firstConnection(): Promise<void> {
    if (this.everReady) return;
    const status = this.client.status;
    if (status !== 'connecting' && status !== 'connect' && status !== 'wait') return;
    this.attemptEnded ??= new Promise<void>((resolve) => {
      const done = (): void => {
        for (const event of ['ready', 'close', 'end']) this.client.off(event, done);
        this.attemptEnded = undefined;
        resolve();
      };
      for (const event of ['ready', 'close', 'end']) this.client.once(event, done);
    });
    await waitAtMost(this.attemptEnded, this.commandTimeoutMs);
  }

  private async untilEnded(): Promise<void> {
    if (this.client.status === 'end') return;
    await waitAtMost(new Promise<void>((resolve) => this.client.once('end', () => resolve())), this.commandTimeoutMs);
  }

  private translate(operation: string, error: unknown): unknown {
    if (error instanceof MlopsError || error instanceof RangeError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const isReply = error instanceof Error && error.name === 'ReplyError';
    if (isReply && !UNAVAILABLE_REPLY.test(message)) return error;
    return new MlopsError(ErrorCode.StoreUnavailable, `the store (Redis) is not answering: ${message}`, { operation }, { cause: error });
  }
}

async function policyOf(client: Redis): Promise<{ policy: string; via: 'CONFIG GET' | 'INFO' } | { hidden: string }> {
  const refusals: string[] = [];
  try {
    const reply: unknown = await client.config('GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string' && reply[1] !== '') return { policy: reply[1], via: 'CONFIG GET' };
    refusals.push('CONFIG GET maxmemory-policy answered nothing');
  } catch (error) {
    if (!isRefusedCommand(error)) throw error;
    refusals.push(`CONFIG: ${(error as Error).message.trim()}`);
  }
  try {
    const policy = /^maxmemory_policy:(\S+)/m.exec(await client.info('memory'))?.[1];
    if (policy !== undefined) return { policy, via: 'INFO' };
    refusals.push('INFO memory has no maxmemory_policy');
  } catch (error) {
    if (!isRefusedCommand(error)) throw error;
    refusals.push(`INFO: ${(error as Error).message.trim()}`);
  }
  return { hidden: refusals.join('; ') };
}

/** A command the server will not run for us (renamed away, ACL, managed service), as opposed to an outage. */
function isRefusedCommand(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError' && /^(ERR|NOPERM)\b/.test(error.message);
}

/** Same TTL rules as MemoryStore: positive and at most 2^53, fractions rounded up; '' = no TTL. */
function ttlArg(ttlMs: number | undefined): string {
  if (ttlMs === undefined) return '';
  if (!(ttlMs > 0) || Math.ceil(ttlMs) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
  }
  return String(Math.ceil(ttlMs));
}

/** LTRIM with -0 would keep everything, so zero and below are refused. */
function assertMaxLength(maxLength: number): void {
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
}

function assertIndex(index: number, name: string): void {
  if (!Number.isSafeInteger(index)) throw new RangeError(`${name} must be an integer, got ${index}`);
}
