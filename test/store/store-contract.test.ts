import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { ErrorCode, isMlopsError } from '../../src/core/errors';
import type { Store } from '../../src/core/store';
import { createStore } from '../../src/store/create-store';
import { MemoryStore } from '../../src/store/memory-store';
import { RedisStore } from '../../src/store/redis-store';
import { startPrivateCluster, startPrivateTlsRedis, type PrivateCluster, type PrivateRedis, type TestCertificates } from '../kit/private-redis';
import { testKeyPrefix } from '../kit/test-key-prefix';

/**
 * One contract, two adapters: every behaviour the bot relies on is asserted against the
 * in-memory store and a real Redis alike, so tests written on MemoryStore stay true in production.
 */

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

interface StoreHarness {
  readonly store: Store;
  /** Another handle on the same data: a second connection for Redis, the same instance in memory. */
  peer(): Store;
  /** Lets `ms` pass as far as TTLs go: a real sleep on Redis, the injected clock in memory. */
  elapse(ms: number): Promise<void>;
  dispose(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejections that are the caller's fault (wrong type, not a number) must not look like an outage. */
async function expectReplyError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  expect(isMlopsError(error)).toBe(false);
  expect((error as Error).message).toMatch(pattern);
}

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isMlopsError(error, ErrorCode.StoreUnavailable)).toBe(true);
}

function describeStoreContract(name: 'memory' | 'redis' | 'redis cluster' | 'redis over TLS', factory: () => Promise<StoreHarness>): void {
  const kind = name === 'memory' ? 'memory' : 'redis';
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.dispose();
    });

    describe('basics', () => {
      it('names its kind and answers ping', async () => {
        expect(store.kind).toBe(kind);
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('get returns null for a missing key and the last value set', async () => {
        expect(await store.get('k')).toBeNull();
        await store.set('k', 'one');
        await store.set('k', 'two');
        expect(await store.get('k')).toBe('two');
      });

      it('keeps empty strings, unicode and odd key names intact', async () => {
        await store.set('empty', '');
        await store.set('a key: with spaces/ü', 'värde ✓ {"json":[1,2]}\n');
        expect(await store.get('empty')).toBe('');
        expect(await store.get('a key: with spaces/ü')).toBe('värde ✓ {"json":[1,2]}\n');
      });

      it('getMany keeps the order, answers null for missing or non-string keys, and [] for no keys', async () => {
        await store.set('a', '1');
        await store.set('c', '3');
        await store.push('list', 'x');
        expect(await store.getMany(['c', 'missing', 'a', 'list', 'c'])).toEqual(['3', null, '1', null, '3']);
        expect(await store.getMany([])).toEqual([]);
      });

      it('delete removes keys of any type and ignores missing ones', async () => {
        await store.set('s', 'v');
        await store.push('l', 'v');
        await store.setAdd('m', 'v');
        await store.delete('s');
        await store.delete('l');
        await store.delete('m');
        await store.delete('never-there');
        expect(await store.get('s')).toBeNull();
        expect(await store.listLength('l')).toBe(0);
        expect(await store.setMembers('m')).toEqual([]);
      });
    });

    describe('TTL', () => {
      it('set with a TTL expires', async () => {
        await store.set('short', 'v', 50);
        await store.set('long', 'v', 60_000);
        await h.elapse(120);
        expect(await store.get('short')).toBeNull();
        expect(await store.get('long')).toBe('v');
      });

      it('set without a TTL clears an earlier TTL (like SET)', async () => {
        await store.set('k', 'v1', 50);
        await store.set('k', 'v2');
        await h.elapse(120);
        expect(await store.get('k')).toBe('v2');
      });

      it('an expired key is absent for setIfAbsent, compareAndSet and getMany', async () => {
        await store.set('a', 'old', 50);
        await store.set('b', 'old', 50);
        await h.elapse(120);
        expect(await store.getMany(['a', 'b'])).toEqual([null, null]);
        expect(await store.setIfAbsent('a', 'new')).toBe(true);
        expect(await store.compareAndSet('b', null, 'new')).toBe(true);
        expect(await store.getMany(['a', 'b'])).toEqual(['new', 'new']);
      });

      it('refuses TTLs that are not positive numbers', async () => {
        for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.set('k', 'v', bad)).rejects.toThrow(RangeError);
          await expect(store.setIfAbsent('k', 'v', bad)).rejects.toThrow(RangeError);
          await expect(store.compareAndSet('k', null, 'v', bad)).rejects.toThrow(RangeError);
          await expect(store.increment('k', bad)).rejects.toThrow(RangeError);
          await expect(store.recordUnique('u', 'v', bad, 'q', 'i')).rejects.toThrow(RangeError);
        }
        expect(await store.getMany(['k', 'u'])).toEqual([null, null]);
        expect(await store.listLength('q')).toBe(0);
      });

      it('rounds fractional TTLs up to whole milliseconds', async () => {
        await store.set('k', 'v', 60_000.4);
        expect(await store.get('k')).toBe('v');
      });
    });

    describe('setIfAbsent', () => {
      it('creates once, then leaves the value alone', async () => {
        expect(await store.setIfAbsent('lock', 'me')).toBe(true);
        expect(await store.setIfAbsent('lock', 'you')).toBe(false);
        expect(await store.get('lock')).toBe('me');
      });

      it('can be taken again after its TTL', async () => {
        expect(await store.setIfAbsent('lock', 'me', 50)).toBe(true);
        expect(await store.setIfAbsent('lock', 'you', 50)).toBe(false);
        await h.elapse(120);
        expect(await store.setIfAbsent('lock', 'you', 60_000)).toBe(true);
        expect(await store.get('lock')).toBe('you');
      });

      it('treats a key of another type as present', async () => {
        await store.push('l', 'x');
        expect(await store.setIfAbsent('l', 'v')).toBe(false);
        expect(await store.listRange('l', 0, -1)).toEqual(['x']);
      });
    });

    describe('compareAndSet', () => {
      it('with expected null writes only when the key is absent', async () => {
        expect(await store.compareAndSet('k', null, 'first')).toBe(true);
        expect(await store.compareAndSet('k', null, 'second')).toBe(false);
        expect(await store.get('k')).toBe('first');
      });

      it('writes when the current value matches, and only then', async () => {
        await store.set('k', 'a');
        expect(await store.compareAndSet('k', 'b', 'c')).toBe(false);
        expect(await store.get('k')).toBe('a');
        expect(await store.compareAndSet('k', 'a', 'c')).toBe(true);
        expect(await store.get('k')).toBe('c');
        expect(await store.compareAndSet('k', 'a', 'd')).toBe(false);
        expect(await store.get('k')).toBe('c');
      });

      it('tells an empty string from an absent key', async () => {
        expect(await store.compareAndSet('k', '', 'x')).toBe(false);
        expect(await store.get('k')).toBeNull();
        await store.set('k', '');
        expect(await store.compareAndSet('k', null, 'x')).toBe(false);
        expect(await store.compareAndSet('k', '', 'x')).toBe(true);
        expect(await store.get('k')).toBe('x');
      });

      it('fails on a non-null expected value when the key is absent', async () => {
        expect(await store.compareAndSet('missing', 'v', 'w')).toBe(false);
        expect(await store.get('missing')).toBeNull();
      });

      it('applies the TTL given, and without one leaves the key without expiry', async () => {
        expect(await store.compareAndSet('t', null, 'v', 50)).toBe(true);
        await store.set('p', 'v', 50);
        expect(await store.compareAndSet('p', 'v', 'w')).toBe(true);
        await h.elapse(120);
        expect(await store.get('t')).toBeNull();
        expect(await store.get('p')).toBe('w');
      });
    });

    describe('deleteIfEquals', () => {
      it('deletes only while the value is still the expected one', async () => {
        await store.set('lock', 'token-1');
        expect(await store.deleteIfEquals('lock', 'token-2')).toBe(false);
        expect(await store.get('lock')).toBe('token-1');
        expect(await store.deleteIfEquals('lock', 'token-1')).toBe(true);
        expect(await store.get('lock')).toBeNull();
        expect(await store.deleteIfEquals('lock', 'token-1')).toBe(false);
      });
    });

    describe('increment', () => {
      it('counts from 1 and continues from an existing integer', async () => {
        expect(await store.increment('n')).toBe(1);
        expect(await store.increment('n')).toBe(2);
        await store.set('m', '41');
        expect(await store.increment('m')).toBe(42);
        await store.set('neg', '-5');
        expect(await store.increment('neg')).toBe(-4);
        expect(await store.get('n')).toBe('2');
      });

      it('rejects a value that is not an integer, without calling it an outage', async () => {
        for (const value of ['abc', '1.5', '', ' 1']) {
          await store.set('bad', value);
          await expectReplyError(store.increment('bad'), /not an integer/);
          expect(await store.get('bad')).toBe(value);
        }
      });

      it('sets the TTL when the counter starts, and later increments do not extend it', async () => {
        expect(await store.increment('window', 300)).toBe(1);
        await h.elapse(100);
        expect(await store.increment('window', 300)).toBe(2);
        await h.elapse(250);
        expect(await store.increment('window', 300)).toBe(1);
      });

      it('keeps an existing TTL when incremented without one', async () => {
        await store.set('n', '5', 50);
        expect(await store.increment('n')).toBe(6);
        await h.elapse(120);
        expect(await store.get('n')).toBeNull();
      });

      it('gives a TTL to an existing counter that has none', async () => {
        await store.set('n', '5');
        expect(await store.increment('n', 50)).toBe(6);
        await h.elapse(120);
        expect(await store.get('n')).toBeNull();
      });
    });

    describe('lists', () => {
      it('push appends at the tail; listLength counts', async () => {
        await store.push('q', 'a');
        await store.push('q', 'b');
        await store.push('q', 'c');
        expect(await store.listRange('q', 0, -1)).toEqual(['a', 'b', 'c']);
        expect(await store.listLength('q')).toBe(3);
        expect(await store.listLength('missing')).toBe(0);
      });

      it('listRange follows LRANGE index rules', async () => {
        for (const item of ['a', 'b', 'c', 'd', 'e']) await store.push('q', item);
        const cases: [number, number, string[]][] = [
          [0, -1, ['a', 'b', 'c', 'd', 'e']],
          [0, 0, ['a']],
          [1, 2, ['b', 'c']],
          [-2, -1, ['d', 'e']],
          [-100, 100, ['a', 'b', 'c', 'd', 'e']],
          [-100, -4, ['a', 'b']],
          [3, 1, []],
          [5, 10, []],
          [-1, -2, []],
          [2, -3, ['c']],
        ];
        for (const [start, stop, expected] of cases) {
          expect({ start, stop, range: await store.listRange('q', start, stop) }).toEqual({ start, stop, range: expected });
        }
        expect(await store.listRange('missing', 0, -1)).toEqual([]);
        await expect(store.listRange('q', 0.5, 1)).rejects.toThrow(RangeError);
      });

      it('pushBounded keeps only the newest maxLength items', async () => {
        for (let i = 1; i <= 7; i += 1) await store.pushBounded('h', `v${i}`, 3);
        expect(await store.listRange('h', 0, -1)).toEqual(['v5', 'v6', 'v7']);
        await store.pushBounded('h', 'v8', 1);
        expect(await store.listRange('h', 0, -1)).toEqual(['v8']);
      });

      it('pushBounded refuses a maxLength below 1 (LTRIM -0 would keep everything)', async () => {
        await expect(store.pushBounded('h', 'v', 0)).rejects.toThrow(RangeError);
        await expect(store.pushBounded('h', 'v', -2)).rejects.toThrow(RangeError);
        expect(await store.listLength('h')).toBe(0);
      });

      it('listRemove removes every occurrence and returns how many', async () => {
        for (const item of ['a', 'b', 'a', 'c', 'a']) await store.push('q', item);
        expect(await store.listRemove('q', 'a')).toBe(3);
        expect(await store.listRange('q', 0, -1)).toEqual(['b', 'c']);
        expect(await store.listRemove('q', 'zzz')).toBe(0);
        expect(await store.listRemove('missing', 'a')).toBe(0);
      });

      it('an emptied list no longer exists', async () => {
        await store.push('q', 'a');
        expect(await store.listRemove('q', 'a')).toBe(1);
        expect(await store.setIfAbsent('q', 'now a string')).toBe(true);
        expect(await store.get('q')).toBe('now a string');
      });

      it('moveHead moves items from the head of one list to the tail of another, in order', async () => {
        for (const item of ['a', 'b', 'c']) await store.push('inbox', item);
        await store.push('processing', 'z');
        expect(await store.moveHead('inbox', 'processing')).toBe('a');
        expect(await store.moveHead('inbox', 'processing')).toBe('b');
        expect(await store.listRange('inbox', 0, -1)).toEqual(['c']);
        expect(await store.listRange('processing', 0, -1)).toEqual(['z', 'a', 'b']);
        expect(await store.moveHead('inbox', 'processing')).toBe('c');
        expect(await store.moveHead('inbox', 'processing')).toBeNull();
        expect(await store.moveHead('missing', 'processing')).toBeNull();
        expect(await store.setIfAbsent('inbox', 'gone')).toBe(true);
      });

      it('moveHead onto the same list rotates it', async () => {
        for (const item of ['a', 'b', 'c']) await store.push('ring', item);
        expect(await store.moveHead('ring', 'ring')).toBe('a');
        expect(await store.listRange('ring', 0, -1)).toEqual(['b', 'c', 'a']);
      });
    });

    describe('sets', () => {
      it('adds idempotently, removes, lists members (in no particular order)', async () => {
        await store.setAdd('s', 'b');
        await store.setAdd('s', 'a');
        await store.setAdd('s', 'b');
        expect((await store.setMembers('s')).sort()).toEqual(['a', 'b']);
        await store.setRemove('s', 'b');
        await store.setRemove('s', 'not-a-member');
        await store.setRemove('missing', 'x');
        expect(await store.setMembers('s')).toEqual(['a']);
        expect(await store.setMembers('missing')).toEqual([]);
      });

      it('an emptied set no longer exists', async () => {
        await store.setAdd('s', 'a');
        await store.setRemove('s', 'a');
        expect(await store.setIfAbsent('s', 'string now')).toBe(true);
      });
    });

    describe('recordUnique', () => {
      it('records and queues the first time only', async () => {
        expect(await store.recordUnique('event:1', 'body-1', 60_000, 'inbox', '1')).toBe(true);
        expect(await store.recordUnique('event:1', 'body-1b', 60_000, 'inbox', '1')).toBe(false);
        expect(await store.recordUnique('event:2', 'body-2', 60_000, 'inbox', '2')).toBe(true);
        expect(await store.get('event:1')).toBe('body-1');
        expect(await store.listRange('inbox', 0, -1)).toEqual(['1', '2']);
      });

      it('records again once the marker has expired', async () => {
        expect(await store.recordUnique('event:1', 'a', 50, 'inbox', '1')).toBe(true);
        await h.elapse(120);
        expect(await store.get('event:1')).toBeNull();
        expect(await store.recordUnique('event:1', 'b', 50, 'inbox', '1')).toBe(true);
        expect(await store.listRange('inbox', 0, -1)).toEqual(['1', '1']);
      });

      it('writes nothing when the queue key holds another type', async () => {
        await store.set('inbox', 'not a list');
        await expectReplyError(store.recordUnique('event:1', 'body', 60_000, 'inbox', '1'), /^WRONGTYPE/);
        expect(await store.get('event:1')).toBeNull();
        expect(await store.get('inbox')).toBe('not a list');
      });
    });

    describe('wrong types are caller errors, never "unavailable"', () => {
      it('string operations on a list, list and set operations on a string', async () => {
        await store.push('l', 'x');
        await store.set('s', 'v');
        await store.setAdd('m', 'x');
        await expectReplyError(store.get('l'), /^WRONGTYPE/);
        await expectReplyError(store.compareAndSet('l', null, 'v'), /^WRONGTYPE/);
        await expectReplyError(store.deleteIfEquals('l', 'x'), /^WRONGTYPE/);
        await expectReplyError(store.increment('l'), /^WRONGTYPE/);
        await expectReplyError(store.push('s', 'x'), /^WRONGTYPE/);
        await expectReplyError(store.pushBounded('s', 'x', 3), /^WRONGTYPE/);
        await expectReplyError(store.listRange('m', 0, -1), /^WRONGTYPE/);
        await expectReplyError(store.listLength('s'), /^WRONGTYPE/);
        await expectReplyError(store.listRemove('s', 'v'), /^WRONGTYPE/);
        await expectReplyError(store.setAdd('l', 'x'), /^WRONGTYPE/);
        await expectReplyError(store.setRemove('s', 'x'), /^WRONGTYPE/);
        await expectReplyError(store.setMembers('l'), /^WRONGTYPE/);
        await expectReplyError(store.moveHead('s', 'l'), /^WRONGTYPE/);
        expect(await store.get('s')).toBe('v');
        expect(await store.listRange('l', 0, -1)).toEqual(['x']);
      });

      it('moveHead into a non-list leaves the source untouched; from an empty source it answers null', async () => {
        await store.push('from', 'a');
        await store.set('to', 'v');
        await expectReplyError(store.moveHead('from', 'to'), /^WRONGTYPE/);
        expect(await store.listRange('from', 0, -1)).toEqual(['a']);
        expect(await store.moveHead('empty', 'to')).toBeNull();
      });
    });

    describe('close', () => {
      it('is idempotent, and calls after it reject as unavailable', async () => {
        await store.set('k', 'v');
        await store.close();
        await store.close();
        await expectUnavailable(store.get('k'));
        await expectUnavailable(store.ping());
      });
    });

    describe('races (two handles on the same data)', () => {
      it('50 concurrent setIfAbsent on one key: exactly one wins', async () => {
        const a = store;
        const b = h.peer();
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).setIfAbsent('lock', `owner-${i}`, 60_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get('lock')).toBe(`owner-${results.indexOf(true)}`);
      });

      it('50 concurrent compareAndSet from the same read value: exactly one wins', async () => {
        const b = h.peer();
        await store.set('counter', '7');
        const read = await store.get('counter');
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? store : b).compareAndSet('counter', read, String(Number(read) + 1))));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get('counter')).toBe('8');
      });

      it('read-CAS-retry loops, 2 handles x 25 increments, lose no update', async () => {
        const b = h.peer();
        const incrementMany = async (s: Store, times: number): Promise<void> => {
          for (let i = 0; i < times; i += 1) {
            for (;;) {
              const current = await s.get('counter');
              const next = String(Number(current ?? '0') + 1);
              if (await s.compareAndSet('counter', current, next)) break;
            }
          }
        };
        await Promise.all([incrementMany(store, 25), incrementMany(b, 25)]);
        expect(await store.get('counter')).toBe('50');
      });

      it('concurrent recordUnique of one key queues exactly one item', async () => {
        const b = h.peer();
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? store : b).recordUnique('event:x', `body-${i}`, 60_000, 'inbox', 'x')));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.listRange('inbox', 0, -1)).toEqual(['x']);
      });

      it('concurrent moveHead never hands one item to two claimers', async () => {
        const b = h.peer();
        const items = Array.from({ length: 200 }, (_, i) => `item-${i}`);
        for (const item of items) await store.push('inbox', item);
        // More claims than items, from two connections, all in flight together.
        const claims = await Promise.all(Array.from({ length: 260 }, (_, i) => (i % 2 ? store : b).moveHead('inbox', 'processing')));
        const claimed = claims.filter((c): c is string => c !== null);
        expect(claimed).toHaveLength(200);
        expect(new Set(claimed).size).toBe(200);
        expect([...claimed].sort()).toEqual([...items].sort());
        expect(await store.listLength('inbox')).toBe(0);
        expect((await store.listRange('processing', 0, -1)).sort()).toEqual([...items].sort());
      });

      it('concurrent increments each get a distinct value', async () => {
        const b = h.peer();
        const values = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? store : b).increment('n', 60_000)));
        expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      });

      it('concurrent pushBounded never leaves more than maxLength items', async () => {
        const b = h.peer();
        await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? store : b).pushBounded('audit', `e${i}`, 10)));
        expect(await store.listLength('audit')).toBe(10);
      });
    });
  });
}

// ---- memory: the injected clock makes TTL tests instant and exact ----

describeStoreContract('memory', async () => {
  let offset = 0;
  const store = new MemoryStore({ now: () => Date.now() + offset });
  return {
    store,
    peer: () => store,
    elapse: async (ms) => {
      offset += ms;
    },
    dispose: () => store.close(),
  };
});

// ---- redis: a real server, a fresh key prefix per test, keys removed afterwards ----

const filePrefix = `test:store-contract:${randomUUID()}:`;
let admin: Redis;

beforeAll(() => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  // Nothing of this file may stay behind in the shared Redis.
  await deleteKeys(`${filePrefix}*`);
  expect(await admin.keys(`${filePrefix}*`)).toEqual([]);
  await admin.quit();
});

/** SCAN's MATCH pattern is not prefixed by ioredis, so cleanup uses an unprefixed client. */
async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function redisHarness(): Promise<StoreHarness & { prefix: string }> {
  const prefix = `${filePrefix}${randomUUID()}:`;
  const opened: RedisStore[] = [];
  const open = (): RedisStore => {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    opened.push(store);
    return store;
  };
  const store = open();
  await store.ping();
  return {
    prefix,
    store,
    peer: open,
    elapse: sleep,
    dispose: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await deleteKeys(`${prefix}*`);
    },
  };
}

describeStoreContract('redis', redisHarness);

// ---- redis cluster: a private 3-master cluster for this file (ElastiCache Serverless / cluster mode) ----

let cluster: PrivateCluster;
let tls: PrivateRedis & { certs: TestCertificates };
let tlsCa: string;
beforeAll(async () => {
  cluster = await startPrivateCluster({ masters: 3 });
  tls = await startPrivateTlsRedis();
  tlsCa = readFileSync(tls.certs.caFile, 'utf8');
}, 60_000);
afterAll(async () => {
  await cluster.stop();
  await tls.stop();
});

async function clusterHarness(): Promise<StoreHarness & { prefix: string; store: RedisStore }> {
  const prefix = testKeyPrefix('store-contract-cluster');
  const opened: RedisStore[] = [];
  const open = (): RedisStore => {
    const store = new RedisStore({ url: cluster.url, keyPrefix: prefix, cluster: true });
    opened.push(store);
    return store;
  };
  const store = open();
  await store.ping();
  return {
    prefix,
    store,
    peer: open,
    elapse: sleep,
    // The cluster is this file's own and is stopped at its end: nothing to clean up between tests.
    dispose: async () => {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
}

describeStoreContract('redis cluster', clusterHarness);

// ---- redis over TLS: a private `redis-server --tls-port` whose certificate a throwaway CA signed ----

describeStoreContract('redis over TLS', async () => {
  const opened: RedisStore[] = [];
  const open = (prefix: string) => (): RedisStore => {
    const store = new RedisStore({ url: tls.url, keyPrefix: prefix, tlsCa });
    opened.push(store);
    return store;
  };
  const peer = open(testKeyPrefix('store-contract-tls'));
  const store = peer();
  await store.ping();
  return {
    store,
    peer,
    elapse: sleep,
    // The server is this file's own and is stopped at its end.
    dispose: async () => {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
});

describe('RedisStore on a cluster', () => {
  it('wraps the key prefix in one hash tag, so every key of every call lives in one slot', async () => {
    const h = await clusterHarness();
    try {
      const { store, prefix } = h;
      expect(store.keyPrefix).toBe(`{${prefix.replace(/:$/, '')}}:`);
      await store.set('plain', 'v');
      await store.compareAndSet('cas', null, 'v');
      await store.recordUnique('event:1', 'body', 60_000, 'inbox', 'item');
      await store.pushBounded('bounded', 'v', 5);
      await store.moveHead('inbox', 'processing');
      await store.setAdd('set', 'm');
      await store.increment('counter', 60_000);
      const node = await cluster.nodeOf(`${store.keyPrefix}plain`);
      const raw = new Redis(node.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
      await raw.connect();
      try {
        const keys = (await raw.keys(`${store.keyPrefix.replace(/[{}]/g, '\\$&')}*`)).sort();
        expect(keys).toEqual(['bounded', 'cas', 'counter', 'event:1', 'plain', 'processing', 'set'].map((k) => `${store.keyPrefix}${k}`).sort());
        const slots = new Set(await Promise.all(keys.map((k) => raw.cluster('KEYSLOT', k))));
        expect(slots.size).toBe(1);
      } finally {
        raw.disconnect();
      }
    } finally {
      await h.dispose();
    }
  });

  it('keeps a prefix that already carries a hash tag as it is', async () => {
    const prefix = `{${randomUUID()}}:tagged:`;
    const store = new RedisStore({ url: cluster.url, keyPrefix: prefix, cluster: true });
    try {
      expect(store.keyPrefix).toBe(prefix);
      expect(await store.recordUnique('event:1', 'b', 60_000, 'inbox', 'i')).toBe(true);
      expect(await store.getMany(['event:1', 'inbox'])).toEqual(['b', null]);
    } finally {
      await store.close();
    }
  });

  it('reads the eviction policy of every master', async () => {
    const store = new RedisStore({ url: cluster.url, keyPrefix: testKeyPrefix('policy'), cluster: true });
    const last = cluster.nodes[2]!;
    const raw = new Redis(last.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await raw.connect();
    try {
      expect(await store.maxmemoryPolicy()).toEqual({ policy: 'noeviction', via: 'CONFIG GET' });
      await raw.config('SET', 'maxmemory-policy', 'volatile-lru');
      expect(await store.maxmemoryPolicy()).toEqual({ policy: 'volatile-lru', via: 'CONFIG GET', node: `127.0.0.1:${last.port}` });
    } finally {
      await raw.config('SET', 'maxmemory-policy', 'noeviction');
      raw.disconnect();
      await store.close();
    }
  });
});

// ---- adapter-specific behaviour ----

describe('RedisStore specifics', () => {
  let h: Awaited<ReturnType<typeof redisHarness>>;
  beforeEach(async () => {
    h = await redisHarness();
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('applies the key prefix to plain commands, MULTI, LMOVE and both KEYS of the Lua scripts', async () => {
    const { store, prefix } = h;
    const bare = `bare-${randomUUID()}`;
    await store.set(`${bare}:plain`, 'v');
    await store.compareAndSet(`${bare}:cas`, null, 'v');
    await store.recordUnique(`${bare}:event`, 'body', 60_000, `${bare}:inbox`, 'item');
    await store.pushBounded(`${bare}:bounded`, 'v', 5);
    await store.moveHead(`${bare}:inbox`, `${bare}:processing`);
    await store.setAdd(`${bare}:set`, 'm');
    await store.increment(`${bare}:counter`, 60_000);
    const suffixes = ['plain', 'cas', 'event', 'bounded', 'processing', 'set', 'counter'];
    expect((await admin.keys(`${prefix}${bare}:*`)).sort()).toEqual(suffixes.map((s) => `${prefix}${bare}:${s}`).sort());
    expect(await admin.keys(`${bare}*`)).toEqual([]);
  });

  it('two prefixes never see each other', async () => {
    const other = await redisHarness();
    try {
      await h.store.set('k', 'mine');
      expect(await other.store.get('k')).toBeNull();
      expect(await other.store.setIfAbsent('k', 'theirs')).toBe(true);
      expect(await h.store.get('k')).toBe('mine');
    } finally {
      await other.dispose();
    }
  });

  it('answers a call made right after construction (no offline queue, first connect awaited)', async () => {
    const fresh = h.peer();
    await expect(fresh.get('k')).resolves.toBeNull();
  });

  it('reloads its scripts after SCRIPT FLUSH', async () => {
    await h.store.compareAndSet('k', null, 'v');
    await admin.script('FLUSH');
    expect(await h.store.compareAndSet('k', 'v', 'w')).toBe(true);
    expect(await h.store.recordUnique('e', 'b', 60_000, 'q', 'i')).toBe(true);
  });

  it('sets a real PX expiry (TTL visible on the server)', async () => {
    await h.store.set('k', 'v', 60_000);
    await h.store.recordUnique('e', 'b', 30_000, 'q', 'i');
    const kTtl = await admin.pttl(`${h.prefix}k`);
    const eTtl = await admin.pttl(`${h.prefix}e`);
    expect(kTtl).toBeGreaterThan(55_000);
    expect(kTtl).toBeLessThanOrEqual(60_000);
    expect(eTtl).toBeGreaterThan(25_000);
    expect(await admin.pttl(`${h.prefix}q`)).toBe(-1);
  });
});

describe('MemoryStore specifics', () => {
  it('expires with the real clock by default', async () => {
    const store = new MemoryStore();
    await store.set('k', 'v', 50);
    await sleep(120);
    expect(await store.get('k')).toBeNull();
  });

  it('keeps a key up to and including its expiry instant, like Redis', async () => {
    let now = 1_000;
    const store = new MemoryStore({ now: () => now });
    await store.set('k', 'v', 100);
    now = 1_100;
    expect(await store.get('k')).toBe('v');
    now = 1_101;
    expect(await store.get('k')).toBeNull();
  });

  it('sweeps expired keys that are never read again', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    for (let i = 0; i < 500; i += 1) await store.setIfAbsent(`dedup:${i}`, '1', 10);
    now = 1_000;
    for (let i = 0; i < 1_500; i += 1) await store.set('live', String(i));
    // Reads the private map on purpose: the sweep is invisible through the Store interface.
    const entries = (store as unknown as { entries: Map<string, unknown> }).entries;
    expect(entries.size).toBe(1);
  });

  it('returns copies, so callers cannot change stored lists or sets', async () => {
    const store = new MemoryStore();
    await store.push('l', 'a');
    await store.setAdd('s', 'a');
    (await store.listRange('l', 0, -1)).push('b');
    (await store.setMembers('s')).push('b');
    expect(await store.listRange('l', 0, -1)).toEqual(['a']);
    expect(await store.setMembers('s')).toEqual(['a']);
  });
});

describe('createStore', () => {
  it('is a MemoryStore without a Redis URL', async () => {
    const store = createStore({});
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('is a RedisStore with a URL, using the default mlops: prefix unless told otherwise', async () => {
    const key = `${filePrefix}create-store:${randomUUID()}`;
    const prefixed = createStore({ redisUrl: REDIS_URL, keyPrefix: filePrefix });
    const defaulted = createStore({ redisUrl: REDIS_URL });
    try {
      expect(prefixed).toBeInstanceOf(RedisStore);
      expect(prefixed.kind).toBe('redis');
      await prefixed.set('k', 'v');
      await defaulted.set(key, 'v');
      expect(await admin.get(`${filePrefix}k`)).toBe('v');
      expect(await admin.get(`mlops:${key}`)).toBe('v');
    } finally {
      await admin.del(`mlops:${key}`);
      await Promise.all([prefixed.close(), defaulted.close()]);
    }
  });
});
