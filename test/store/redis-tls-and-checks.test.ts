import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { ErrorCode, isMlopsError } from '../../src/core/errors';
import { probeRedisServer } from '../../src/store/check-redis-server';
import { redisConnection, RedisStore } from '../../src/store/redis-store';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import {
  freePort,
  startPrivateCluster,
  startPrivateRedis,
  startPrivateTlsRedis,
  type PrivateCluster,
  type PrivateRedis,
  type TestCertificates,
} from '../kit/private-redis';
import { startTestBot } from '../kit/start-test-bot';
import { testKeyPrefix } from '../kit/test-key-prefix';

/**
 * TLS (`rediss://`, REDIS_CA_FILE) against a local `redis-server --tls-port` whose certificate a
 * throwaway CA signed, and the startup probe's one-line refusals for settings that cannot work:
 * TLS on one side only, an untrusted certificate, a cluster without REDIS_CLUSTER (and the
 * reverse), refused credentials. Every server is this file's own and is stopped at its end.
 */
describe('Redis over TLS and the startup connection checks', () => {
  let tlsRedis: PrivateRedis & { certs: TestCertificates };
  let plain: PrivateRedis;
  let cluster: PrivateCluster;
  let slack: FakeSlack;
  let aws: FakeAws;
  let ca: string;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    // One after another, each registered for the end, so a failed start leaves nothing running.
    tlsRedis = await startPrivateTlsRedis();
    stops.push(() => tlsRedis.stop());
    plain = await startPrivateRedis();
    stops.push(() => plain.stop());
    cluster = await startPrivateCluster({ masters: 3 });
    stops.push(() => cluster.stop());
    slack = await startFakeSlack();
    stops.push(() => slack.close());
    aws = await startFakeAws();
    stops.push(() => aws.close());
    ca = readFileSync(tlsRedis.certs.caFile, 'utf8');
    const admin = new Redis(plain.port, '127.0.0.1', { lazyConnect: true });
    await admin.connect();
    await admin.acl('SETUSER', 'app', 'on', '>right-password', '~*', '+@all');
    admin.disconnect();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
  });

  const refusal = async (url: string, opts: { cluster?: boolean; tlsCa?: string } = {}): Promise<string> => {
    const probe = await probeRedisServer(redisConnection(url, opts));
    if (probe.kind !== 'refused') throw new Error(`expected a refusal, got ${JSON.stringify(probe)}`);
    expect(probe.line).not.toContain('\n');
    return probe.line;
  };

  it('stores and reads over rediss:// with the CA from REDIS_CA_FILE (scripts, MULTI, LMOVE included)', async () => {
    const store = new RedisStore({ url: tlsRedis.url, keyPrefix: testKeyPrefix('tls'), tlsCa: ca });
    try {
      expect(await store.recordUnique('event:1', 'body', 60_000, 'inbox', 'e1')).toBe(true);
      expect(await store.recordUnique('event:1', 'body', 60_000, 'inbox', 'e1')).toBe(false);
      expect(await store.moveHead('inbox', 'processing')).toBe('e1');
      await store.pushBounded('audit', 'x', 3);
      expect(await store.getMany(['event:1', 'missing'])).toEqual(['body', null]);
      expect(await store.compareAndSet('event:1', 'body', 'next')).toBe(true);
      expect(await probeRedisServer(store.connection)).toEqual({ kind: 'ok', clusterEnabled: false });
    } finally {
      await store.close();
    }
  });

  it('rejects a certificate from an unknown CA: store calls fail as unavailable, the probe names REDIS_CA_FILE', async () => {
    const store = new RedisStore({ url: tlsRedis.url, keyPrefix: testKeyPrefix('tls'), tlsCa: readFileSync(tlsRedis.certs.otherCaFile, 'utf8') });
    try {
      const error = await store.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMlopsError(error, ErrorCode.StoreUnavailable)).toBe(true);
    } finally {
      await store.close();
    }
    // System CAs only (no REDIS_CA_FILE): the throwaway CA is not among them.
    expect(await refusal(tlsRedis.url)).toMatch(
      /^the TLS certificate of Redis at 127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\b.*set REDIS_CA_FILE/,
    );
  });

  it('names a TLS-only server reached with redis://, and a plain server reached with rediss://', async () => {
    expect(await refusal(tlsRedis.url.replace('rediss://', 'redis://'))).toMatch(/^Redis at 127\.0\.0\.1:\d+ accepts TLS only .*use rediss:\/\/ in REDIS_URL/);
    expect(await refusal(`rediss://127.0.0.1:${plain.port}/0`, { tlsCa: ca })).toMatch(
      /^REDIS_URL is rediss:\/\/ but Redis at 127\.0\.0\.1:\d+ does not speak TLS: use redis:\/\//,
    );
  });

  it('names refused credentials', async () => {
    expect(await refusal(`redis://app:wrong-password@127.0.0.1:${plain.port}/0`)).toMatch(
      /^Redis at 127\.0\.0\.1:\d+ refused the credentials \(WRONGPASS.*check the user and password in REDIS_URL/,
    );
    expect(await probeRedisServer(redisConnection(`redis://app:right-password@127.0.0.1:${plain.port}/0`))).toEqual({ kind: 'ok', clusterEnabled: false });
  });

  it('names a cluster reached without REDIS_CLUSTER (from INFO, or from CROSSSLOT when INFO is denied), and REDIS_CLUSTER on a single node', async () => {
    expect(await refusal(cluster.url)).toMatch(
      /^Redis at 127\.0\.0\.1:\d+ is a Redis Cluster \(cluster_enabled:1\) but REDIS_CLUSTER is not set: set REDIS_CLUSTER=true/,
    );
    expect(await probeRedisServer(redisConnection(cluster.url, { cluster: true }))).toEqual({ kind: 'ok', clusterEnabled: true });
    // A managed service may deny INFO: a read of two keys of different slots still tells.
    const admin = new Redis(cluster.nodes[0]!.port, '127.0.0.1', { lazyConnect: true });
    await admin.connect();
    try {
      await admin.acl('SETUSER', 'no-info', 'on', '>pw', '~*', '+@all', '-info');
      expect(await refusal(`redis://no-info:pw@127.0.0.1:${cluster.nodes[0]!.port}`)).toMatch(/is a Redis Cluster .* set REDIS_CLUSTER=true/);
    } finally {
      await admin.acl('DELUSER', 'no-info');
      admin.disconnect();
    }
    expect(await refusal(`redis://127.0.0.1:${plain.port}`, { cluster: true })).toMatch(
      /^REDIS_CLUSTER=true but Redis at 127\.0\.0\.1:\d+ is not a cluster .*unset REDIS_CLUSTER/,
    );
  });

  it('does not refuse when nothing listens yet (Redis may start after the bot)', async () => {
    const probe = await probeRedisServer(redisConnection(`redis://127.0.0.1:${await freePort()}/0`));
    expect(probe.kind).toBe('unreachable');
  });

  it('the bot refuses to start with the one line, through its real startup (cluster without REDIS_CLUSTER, TLS without rediss://)', async () => {
    for (const [env, pattern] of [
      [{ REDIS_URL: cluster.url }, /REDIS_CLUSTER is not set/],
      [{ REDIS_URL: tlsRedis.url.replace('rediss://', 'redis://') }, /accepts TLS only/],
    ] as const) {
      const error = await startTestBot({ slack, aws, env }).then(
        async (t) => {
          await t.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(isMlopsError(error, ErrorCode.ConfigInvalid)).toBe(true);
      expect((error as Error).message).toMatch(pattern);
    }
  });

  it('a cluster that was down at startup is named when it first answers (onFatal), not silently used without REDIS_CLUSTER', async () => {
    const own = await startPrivateCluster({ masters: 3 });
    const seed = own.nodes[0]!;
    const fatal: Error[] = [];
    let reported: () => void = () => undefined;
    const reportedOnce = new Promise<void>((resolve) => (reported = resolve));
    try {
      await seed.kill();
      const t = await startTestBot({
        slack,
        aws,
        env: { REDIS_URL: `redis://127.0.0.1:${seed.port}` },
        onFatal: (error) => {
          fatal.push(error);
          reported();
        },
      });
      try {
        expect(fatal).toEqual([]);
        await seed.restart();
        await reportedOnce;
        expect(fatal).toHaveLength(1);
        expect(isMlopsError(fatal[0], ErrorCode.ConfigInvalid)).toBe(true);
        expect(fatal[0]?.message).toMatch(/is a Redis Cluster \(cluster_enabled:1\) but REDIS_CLUSTER is not set/);
      } finally {
        await t.stop();
      }
    } finally {
      await own.stop();
    }
  }, 60_000);

  it('the bot starts over rediss:// with REDIS_CA_FILE and on a cluster with REDIS_CLUSTER=true', async () => {
    for (const env of [
      { REDIS_URL: tlsRedis.url, REDIS_CA_FILE: tlsRedis.certs.caFile },
      { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' },
    ]) {
      const t = await startTestBot({ slack, aws, env });
      try {
        expect(t.logs.text()).toContain('Redis connection settings fit the server');
        expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      } finally {
        await t.stop();
      }
    }
  });
});
