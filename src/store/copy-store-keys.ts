import { readFileSync } from 'node:fs';
import Redis, { Cluster } from 'ioredis';
import { redisConnection } from './redis-store';
import { clusterKeyPrefix, DEFAULT_KEY_PREFIX } from './store-keys';

/**
 * One-time migration of a deployment's state from a single-node Redis (keys `mlops:…`) to a Redis
 * Cluster (keys `{mlops}:…`, see clusterKeyPrefix). Run it with every bot replica stopped: it
 * copies a still picture. Copies strings, lists and sets (the only types the store writes) with
 * their remaining TTL, so locks, dedup markers and leases keep their meaning. Never overwrites: a
 * key that already exists in the target stops the copy before anything is written.
 */
export async function copyStoreKeys(opts: {
  from: Redis;
  to: Redis | Cluster;
  fromPrefix: string;
  toPrefix: string;
}): Promise<{ copied: number; expiredMeanwhile: number }> {
  const names = await scanAll(opts.from, opts.fromPrefix);
  const targets = names.map((name) => `${opts.toPrefix}${name.slice(opts.fromPrefix.length)}`);
  for (const target of targets) {
    if ((await opts.to.exists(target)) === 1)
      throw new Error(`the target already has ${target}: copy into a deployment that has no data yet (nothing was written)`);
  }
  let copied = 0;
  let expiredMeanwhile = 0;
  for (const name of names) {
    const target = `${opts.toPrefix}${name.slice(opts.fromPrefix.length)}`;
    const type = await opts.from.type(name);
    const ttl = await opts.from.pttl(name);
    if (type === 'none' || ttl === -2) {
      expiredMeanwhile += 1;
      continue;
    }
    const write = opts.to.multi();
    if (type === 'string') {
      const value = await opts.from.get(name);
      if (value === null) {
        expiredMeanwhile += 1;
        continue;
      }
      write.set(target, value);
    } else if (type === 'list') {
      const items = await opts.from.lrange(name, 0, -1);
      if (items.length > 0) write.rpush(target, ...items);
    } else if (type === 'set') {
      const members = await opts.from.smembers(name);
      if (members.length > 0) write.sadd(target, ...members);
    } else {
      throw new Error(`${name} is a ${type}, which the bot never writes: remove it or copy it by hand (${copied} keys copied so far)`);
    }
    if (ttl > 0) write.pexpire(target, ttl);
    const results = await write.exec();
    for (const [error] of results ?? []) if (error) throw error;
    copied += 1;
  }
  return { copied, expiredMeanwhile };
}

async function scanAll(client: Redis, prefix: string): Promise<string[]> {
  // SCAN's MATCH is a glob: escape its metacharacters so the prefix matches literally.
  const match = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) names.add(key);
  } while (cursor !== '0');
  return [...names];
}

const USAGE =
  'usage: node dist/src/store/copy-store-keys.js --from redis://old-host:6379/0 --to rediss://cluster-endpoint:6379 [--to-ca-file ca.pem] [--from-ca-file ca.pem] [--prefix mlops:]';

/** CLI: reads its arguments (not the bot's environment), prints one line of result or of error. */
async function main(argv: string[]): Promise<number> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i] ?? '', argv[i + 1] ?? '');
  const from = args.get('--from');
  const to = args.get('--to');
  if (from === undefined || to === undefined || [...args.keys()].some((k) => !['--from', '--to', '--to-ca-file', '--from-ca-file', '--prefix'].includes(k))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const prefix = args.get('--prefix') ?? DEFAULT_KEY_PREFIX;
  const ca = (flag: string) => (args.has(flag) ? readFileSync(args.get(flag) ?? '', 'utf8') : undefined);
  const fromCa = ca('--from-ca-file');
  const toCa = ca('--to-ca-file');
  const source = redisConnection(from, fromCa !== undefined ? { tlsCa: fromCa } : {});
  const target = redisConnection(to, { cluster: true, ...(toCa !== undefined ? { tlsCa: toCa } : {}) });
  const fromClient = new Redis({ host: source.host, port: source.port, ...source.options, lazyConnect: true, maxRetriesPerRequest: 1 });
  const toClient = new Cluster([{ host: target.host, port: target.port }], {
    redisOptions: target.options,
    dnsLookup: (address, callback) => callback(null, address),
    lazyConnect: true,
  });
  try {
    await fromClient.connect();
    await toClient.connect();
    const result = await copyStoreKeys({ from: fromClient, to: toClient, fromPrefix: prefix, toPrefix: clusterKeyPrefix(prefix) });
    process.stdout.write(`copied ${result.copied} keys from ${prefix}* to ${clusterKeyPrefix(prefix)}* (${result.expiredMeanwhile} expired meanwhile)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`copy-store-keys: ${(error as Error).message}\n`);
    return 1;
  } finally {
    fromClient.disconnect();
    toClient.disconnect();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
