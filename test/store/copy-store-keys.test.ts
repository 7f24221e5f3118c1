import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { copyStoreKeys } from '../../src/store/copy-store-keys';
import { RedisStore } from '../../src/store/redis-store';
import { clusterKeyPrefix, storeKeys } from '../../src/store/store-keys';
import { startPrivateCluster, startPrivateRedis, type PrivateCluster, type PrivateRedis } from '../kit/private-redis';
import { testKeyPrefix } from '../kit/test-key-prefix';

const ROOT = resolve(__dirname, '../..');

/**
 * The documented one-time migration from a single-node Redis (plain `mlops:` keys, as every
 * deployment before cluster support wrote them) to a Redis Cluster (`{mlops}:` keys): what a
 * single-node RedisStore wrote, a cluster RedisStore reads the same afterwards, TTLs included.
 */
describe('copying a deployment from a single-node Redis to a cluster', () => {
  let single: PrivateRedis;
  let cluster: PrivateCluster;
  let from: Redis;
  let to: Cluster;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    single = await startPrivateRedis();
    stops.push(() => single.stop());
    cluster = await startPrivateCluster({ masters: 3 });
    stops.push(() => cluster.stop());
    from = new Redis(single.port, '127.0.0.1', { lazyConnect: true });
    to = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], { lazyConnect: true });
    stops.push(async () => {
      from.disconnect();
      to.disconnect();
    });
    await from.connect();
    await to.connect();
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  /** State as a bot on the single node leaves it: an event recorded and queued, a lock, a set, a bounded list. */
  async function seed(prefix: string): Promise<void> {
    const old = new RedisStore({ url: `redis://127.0.0.1:${single.port}/0`, keyPrefix: prefix });
    try {
      expect(await old.recordUnique(storeKeys.event('e1'), '{"body":1}', 600_000, storeKeys.inbox(), 'e1')).toBe(true);
      expect(await old.setIfAbsent(storeKeys.endpointLock('fraud-prod'), 'holder-1', 300_000)).toBe(true);
      await old.setAdd(storeKeys.modelCandidates('fraud'), 'c1');
      await old.setAdd(storeKeys.modelCandidates('fraud'), 'c2');
      await old.pushBounded(storeKeys.audit('fraud'), 'a1', 10);
      await old.pushBounded(storeKeys.audit('fraud'), 'a2', 10);
      await old.set(storeKeys.production('fraud'), '1.2.0');
    } finally {
      await old.close();
    }
  }

  it('keeps every key, value and TTL: the cluster store sees the same state and the same dedup', async () => {
    const prefix = testKeyPrefix('copy');
    await seed(prefix);
    expect(await copyStoreKeys({ from, to, fromPrefix: prefix, toPrefix: clusterKeyPrefix(prefix) })).toEqual({ copied: 6, expiredMeanwhile: 0 });
    const moved = new RedisStore({ url: cluster.url, keyPrefix: prefix, cluster: true });
    try {
      expect(await moved.get(storeKeys.event('e1'))).toBe('{"body":1}');
      expect(await moved.listRange(storeKeys.inbox(), 0, -1)).toEqual(['e1']);
      // The event is still known: a retry of it is not recorded twice.
      expect(await moved.recordUnique(storeKeys.event('e1'), 'again', 600_000, storeKeys.inbox(), 'e1')).toBe(false);
      // The lock is still held by its holder, and still expires.
      expect(await moved.setIfAbsent(storeKeys.endpointLock('fraud-prod'), 'holder-2', 300_000)).toBe(false);
      expect(await moved.deleteIfEquals(storeKeys.endpointLock('fraud-prod'), 'holder-1')).toBe(true);
      const ttl = await to.pttl(`${clusterKeyPrefix(prefix)}${storeKeys.event('e1')}`);
      expect(ttl).toBeGreaterThan(500_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
      expect(await to.pttl(`${clusterKeyPrefix(prefix)}${storeKeys.production('fraud')}`)).toBe(-1);
      expect((await moved.setMembers(storeKeys.modelCandidates('fraud'))).sort()).toEqual(['c1', 'c2']);
      expect(await moved.listRange(storeKeys.audit('fraud'), 0, -1)).toEqual(['a1', 'a2']);
      expect(await moved.get(storeKeys.production('fraud'))).toBe('1.2.0');
    } finally {
      await moved.close();
    }
  });

  it('writes nothing when the target already has one of the keys', async () => {
    const prefix = testKeyPrefix('copy');
    await seed(prefix);
    await to.set(`${clusterKeyPrefix(prefix)}${storeKeys.production('fraud')}`, 'newer');
    await expect(copyStoreKeys({ from, to, fromPrefix: prefix, toPrefix: clusterKeyPrefix(prefix) })).rejects.toThrow(
      /the target already has .*nothing was written/,
    );
    expect(await to.exists(`${clusterKeyPrefix(prefix)}${storeKeys.event('e1')}`)).toBe(0);
    expect(await to.get(`${clusterKeyPrefix(prefix)}${storeKeys.production('fraud')}`)).toBe('newer');
  });

  it('refuses a key of a type the bot never writes, naming it', async () => {
    const prefix = testKeyPrefix('copy');
    await from.hset(`${prefix}stray`, 'f', 'v');
    await expect(copyStoreKeys({ from, to, fromPrefix: prefix, toPrefix: clusterKeyPrefix(prefix) })).rejects.toThrow(
      new RegExp(`${prefix}stray is a hash, which the bot never writes`),
    );
  });

  it('runs as a command: node dist/src/store/copy-store-keys.js --from … --to … --prefix …', async () => {
    const prefix = testKeyPrefix('copy-cli');
    await seed(prefix);
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const run = spawnSync(
      process.execPath,
      [tsx, 'src/store/copy-store-keys.ts', '--from', `redis://127.0.0.1:${single.port}/0`, '--to', cluster.url, '--prefix', prefix],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`copied 6 keys from ${prefix}* to ${clusterKeyPrefix(prefix)}* (0 expired meanwhile)\n`);
    expect(run.status).toBe(0);
    const usage = spawnSync(process.execPath, [tsx, 'src/store/copy-store-keys.ts', '--from', 'redis://x'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^usage: node dist\/src\/store\/copy-store-keys\.js --from/);
  });
});
