import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import Redis from 'ioredis';
import { ErrorCode, isMlopsError } from '../../src/core/errors';
import type { Store } from '../../src/core/store';
import { RedisStore } from '../../src/store/redis-store';
import { answersPing, freePort } from '../kit/private-redis';

/**
 * Fail-fast and recovery against a private redis-server that the test kills, freezes and restarts.
 * The 2500 ms bound is the guarantee that a request can still answer Slack within 3 s while
 * Redis is gone; it is not a benchmark.
 */

const FAIL_FAST_BOUND_MS = 2500;
const RECOVERY_BOUND_MS = 5000;

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${port}`);
    if (await answersPing(port)) return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

async function killRedis(child: ChildProcess | undefined): Promise<void> {
  if (child?.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT'); // a frozen server cannot die of anything but SIGKILL, but be tidy
  child.kill('SIGKILL');
  await exited;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every Store method once, so none escapes the fail-fast translation. */
function everyMethod(store: Store): [string, () => Promise<unknown>][] {
  return [
    ['ping', () => store.ping()],
    ['get', () => store.get('k')],
    ['getMany', () => store.getMany(['k', 'j'])],
    ['set', () => store.set('k', 'v', 60_000)],
    ['setIfAbsent', () => store.setIfAbsent('k', 'v', 60_000)],
    ['compareAndSet', () => store.compareAndSet('k', null, 'v', 60_000)],
    ['deleteIfEquals', () => store.deleteIfEquals('k', 'v')],
    ['delete', () => store.delete('k')],
    ['increment', () => store.increment('n', 60_000)],
    ['increment (no TTL)', () => store.increment('n')],
    ['pushBounded', () => store.pushBounded('l', 'v', 10)],
    ['push', () => store.push('l', 'v')],
    ['listRange', () => store.listRange('l', 0, -1)],
    ['listLength', () => store.listLength('l')],
    ['listRemove', () => store.listRemove('l', 'v')],
    ['moveHead', () => store.moveHead('l', 'p')],
    ['setAdd', () => store.setAdd('s', 'm')],
    ['setRemove', () => store.setRemove('s', 'm')],
    ['setMembers', () => store.setMembers('s')],
    ['recordUnique', () => store.recordUnique('u', 'v', 60_000, 'q', 'i')],
  ];
}

interface Outcome {
  method: string;
  ms: number;
  code: string | undefined;
}

async function measure(method: string, call: () => Promise<unknown>): Promise<Outcome> {
  const started = Date.now();
  const code = await call().then(
    () => 'resolved',
    (error: unknown) => (isMlopsError(error) ? error.code : `not an MlopsError: ${String(error)}`),
  );
  return { method, ms: Date.now() - started, code };
}

/** Polls ping; returns how long it took to answer again. */
async function untilPingAnswers(store: Store, boundMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await store.ping();
      return Date.now() - started;
    } catch (error) {
      expect(isMlopsError(error, ErrorCode.StoreUnavailable)).toBe(true);
      if (Date.now() - started > boundMs) throw new Error(`the store did not recover within ${boundMs} ms`, { cause: error });
      await sleep(100);
    }
  }
}

describe('RedisStore when Redis is down, frozen, and back', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let store: RedisStore;
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger = {
    warn: (_obj: object, msg: string) => warnings.push(msg),
    info: (_obj: object, msg: string) => infos.push(msg),
  };

  beforeAll(async () => {
    port = await freePort();
    server = await startRedis(port);
    store = new RedisStore({ url: `redis://127.0.0.1:${port}/0`, keyPrefix: `test:unavailable:${randomUUID()}:`, logger });
  });

  afterAll(async () => {
    await store.close();
    await killRedis(server);
  });

  it('works while the server is up', async () => {
    await store.ping();
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
    expect(warnings).toEqual([]);
  });

  it('a frozen server (SIGSTOP): every call times out as StoreUnavailable after about commandTimeoutMs', async () => {
    server?.kill('SIGSTOP');
    try {
      const outcomes = await Promise.all(everyMethod(store).map(([method, call]) => measure(method, call)));
      for (const outcome of outcomes) {
        expect({ method: outcome.method, code: outcome.code }).toEqual({ method: outcome.method, code: ErrorCode.StoreUnavailable });
        expect(outcome.ms).toBeLessThan(FAIL_FAST_BOUND_MS);
      }
      // The commandTimeout (1000 ms) did the work: nothing failed at once on a connected socket.
      expect(Math.min(...outcomes.map((o) => o.ms))).toBeGreaterThanOrEqual(900);
    } finally {
      server?.kill('SIGCONT');
    }
    await untilPingAnswers(store, RECOVERY_BOUND_MS);
    // A timed-out write was sent all the same and ran once the server woke: "unknown outcome".
    expect(await store.get('n')).toBe('2');
    expect(await store.listRange('q', 0, -1)).toEqual(['i']);
  });

  it('a killed server: every call, ping included, rejects with StoreUnavailable well under 3 s', async () => {
    await killRedis(server);
    server = undefined;
    // Sequential on purpose: each call must fail fast on its own, not share one slow failure.
    for (const [method, call] of everyMethod(store)) {
      const outcome = await measure(method, call);
      expect({ method, code: outcome.code }).toEqual({ method, code: ErrorCode.StoreUnavailable });
      expect(outcome.ms).toBeLessThan(FAIL_FAST_BOUND_MS);
    }
    // Still failing fast after several reconnect attempts have gone by.
    await sleep(1500);
    const again = await measure('get', () => store.get('k'));
    expect(again.code).toBe(ErrorCode.StoreUnavailable);
    expect(again.ms).toBeLessThan(FAIL_FAST_BOUND_MS);
    // One warning per outage, not one per reconnect attempt.
    expect(warnings).toHaveLength(1);
  });

  it('a restarted server on the same port: the same instance answers again within 5 s', async () => {
    server = await startRedis(port);
    const recoveredInMs = await untilPingAnswers(store, RECOVERY_BOUND_MS);
    expect(recoveredInMs).toBeLessThan(RECOVERY_BOUND_MS);
    await store.set('after', 'restart');
    expect(await store.get('after')).toBe('restart');
    expect(await store.recordUnique('u', 'v', 60_000, 'q', 'i')).toBe(true);
    expect(infos).toContain('Redis is answering again');
  });
});

describe('RedisStore created while Redis is down', () => {
  let server: ChildProcess | undefined;
  let store: RedisStore | undefined;

  afterAll(async () => {
    await store?.close();
    await killRedis(server);
  });

  it('fails fast at first, then connects on its own once Redis starts', async () => {
    const port = await freePort();
    store = new RedisStore({ url: `redis://127.0.0.1:${port}/0`, keyPrefix: `test:unavailable:${randomUUID()}:`, logger: { warn: () => undefined } });
    const first = await measure('ping', () => (store as RedisStore).ping());
    expect(first.code).toBe(ErrorCode.StoreUnavailable);
    expect(first.ms).toBeLessThan(FAIL_FAST_BOUND_MS);

    server = await startRedis(port);
    await untilPingAnswers(store, RECOVERY_BOUND_MS);
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
  });
});

/** A TCP proxy that can swallow replies and cut every connection: a reply lost on the way back. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let holdReplies = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (data) => upstream.write(data));
    upstream.on('data', (data) => {
      if (!holdReplies) client.write(data);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    holdReplies: (on: boolean) => {
      holdReplies = on;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('RedisStore when a reply is lost with the connection', () => {
  const redisUrl = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  const prefix = `test:unavailable:${randomUUID()}:`;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let store: RedisStore;
  let admin: Redis;

  beforeAll(async () => {
    proxy = await startProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    const viaProxy = new URL(redisUrl.href);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    store = new RedisStore({ url: viaProxy.href, keyPrefix: prefix, logger: { warn: () => undefined } });
    // Unprefixed: ioredis would prefix KEYS' results again on DEL (it prefixes `call` too).
    admin = new Redis(redisUrl.href, { lazyConnect: true });
  });

  afterAll(async () => {
    await store.close();
    await proxy.close();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('does not resend a command whose reply was lost: the caller hears "unavailable", the write ran once', async () => {
    await store.ping();
    proxy.holdReplies(true);
    const lock = measure('setIfAbsent', () => store.setIfAbsent('lock', 'me', 60_000));
    const push = measure('push', () => store.push('queue', 'job-1'));
    await sleep(100); // both commands have reached Redis and run; their replies are swallowed
    proxy.cut();
    proxy.holdReplies(false);

    for (const outcome of await Promise.all([lock, push])) {
      // Resent after the reconnect, setIfAbsent would answer false: "someone else holds my lock".
      expect({ method: outcome.method, code: outcome.code }).toEqual({ method: outcome.method, code: ErrorCode.StoreUnavailable });
      expect(outcome.ms).toBeLessThan(FAIL_FAST_BOUND_MS);
    }
    await untilPingAnswers(store, RECOVERY_BOUND_MS);
    await sleep(300);
    expect(await admin.get(`${prefix}lock`)).toBe('me');
    expect(await admin.llen(`${prefix}queue`)).toBe(1);
  });
});
