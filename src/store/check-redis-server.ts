import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import Redis from 'ioredis';
import { ErrorCode, MlopsError } from '../core/errors';
import type { Store } from '../core/store';
import { checkEvictionPolicy, type EvictionCheckMode } from './check-eviction-policy';
import { RedisStore, type RedisConnection } from './redis-store';

interface CheckLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type RedisProbe = { kind: 'ok'; clusterEnabled: boolean | undefined } | { kind: 'refused'; line: string } | { kind: 'unreachable'; detail: string };

const PROBE_TIMEOUT_MS = 2000;

/** Node's codes for a certificate it does not trust (unknown CA, self-signed, wrong name, expired). */
const UNTRUSTED_CERT =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;
/** A TLS client that met a plain-text server (it answered the ClientHello with a RESP error). */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure|disconnected before secure TLS connection|EPROTO/i;
const UNREACHABLE = /^(ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/;

/**
 * Connects once to the node REDIS_URL names, the way the store will (TLS, CA, credentials), and
 * names a setting that cannot work in one line: TLS on one side only, an untrusted certificate,
 * refused credentials, a cluster reached without REDIS_CLUSTER (`cluster_enabled:1`, or a
 * CROSSSLOT/MOVED answer when INFO is hidden), or REDIS_CLUSTER against a server without cluster
 * support. `unreachable` (nothing listening yet) is not a refusal: Redis may start after the bot.
 */
export async function probeRedisServer(conn: RedisConnection): Promise<RedisProbe> {
  const where = `${conn.host}:${conn.port}`;
  const tls = conn.options.tls !== undefined;
  let lastError: (Error & { code?: string }) | undefined;
  const client = new Redis({
    ...conn.options,
    host: conn.host,
    port: conn.port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    commandTimeout: PROBE_TIMEOUT_MS,
    connectTimeout: PROBE_TIMEOUT_MS,
  });
  client.on('error', (error: Error) => (lastError = error));
  try {
    try {
      await client.connect();
      return await inspect(client, conn, where);
    } catch (error) {
      const failure = (lastError ?? error) as Error & { code?: string };
      const code = failure.code ?? '';
      const message = failure.message;
      if (error instanceof MlopsError) throw error;
      const auth = [message, (error as Error).message].find((m) => /^(NOAUTH|WRONGPASS|NOPERM)\b/.test(m));
      if (auth !== undefined) {
        return refused(
          `Redis at ${where} refused the credentials (${auth.split('\n')[0]}): check the user and password in REDIS_URL (redis[s]://user:password@host:port)`,
        );
      }
      if (tls && UNTRUSTED_CERT.test(code)) {
        return refused(
          `the TLS certificate of Redis at ${where} is not trusted (${code}: ${message}): set REDIS_CA_FILE to the PEM bundle of the CA that signed it, and use the host name the certificate names`,
        );
      }
      // A plain Redis reads a ClientHello as an unfinished inline command and waits: the handshake
      // times out, or the socket closes, whatever the error says. Ask the port in plain text.
      if (tls && (NOT_TLS.test(message) || NOT_TLS.test(code) || (await speaksPlainRedis(conn.host, conn.port)))) {
        return refused(`REDIS_URL is rediss:// but Redis at ${where} does not speak TLS: use redis:// (or turn on in-transit encryption on the server)`);
      }
      if (UNREACHABLE.test(code)) return { kind: 'unreachable', detail: `${code}: ${message}` };
      // Plain text to a TLS-only server: it drops the connection at the first bytes. Confirm by a handshake.
      if (!tls && (await speaksTls(conn.host, conn.port))) {
        return refused(
          `Redis at ${where} accepts TLS only (in-transit encryption is on): use rediss:// in REDIS_URL (REDIS_CA_FILE if its CA is not a public one)`,
        );
      }
      return { kind: 'unreachable', detail: message };
    }
  } finally {
    // Only when still open: on an ended client ioredis arms a 2 s timer that nothing clears.
    if (client.status !== 'end') client.disconnect();
  }
}

async function inspect(client: Redis, conn: RedisConnection, where: string): Promise<RedisProbe> {
  let clusterEnabled: boolean | undefined;
  try {
    const flag = /^cluster_enabled:(\d)/m.exec(await client.info('cluster'))?.[1];
    if (flag !== undefined) clusterEnabled = flag === '1';
  } catch (error) {
    if (!isReply(error)) throw error;
  }
  if (clusterEnabled !== true && !conn.cluster) {
    // INFO hidden, or a proxy (ElastiCache Serverless) that may not say: two keys of different slots
    // in one read tell a cluster apart (CROSSSLOT or MOVED); a single node just answers.
    try {
      await client.mget('mlops-slot-probe:a', 'mlops-slot-probe:b');
      clusterEnabled ??= false;
    } catch (error) {
      if (!isReply(error)) throw error;
      if (/^(CROSSSLOT|MOVED|ASK|CLUSTERDOWN)\b/.test((error as Error).message)) clusterEnabled = true;
    }
  }
  if (clusterEnabled === true && !conn.cluster) {
    return refused(
      `Redis at ${where} is a Redis Cluster (cluster_enabled:1) but REDIS_CLUSTER is not set: set REDIS_CLUSTER=true (ElastiCache Serverless, cluster-mode ElastiCache and MemoryDB are clusters); without it multi-key scripts fail with CROSSSLOT/MOVED`,
    );
  }
  if (conn.cluster && clusterEnabled !== true) {
    try {
      await client.cluster('SLOTS');
    } catch (error) {
      if (!isReply(error)) throw error;
      if (/cluster support disabled/i.test((error as Error).message)) {
        return refused(`REDIS_CLUSTER=true but Redis at ${where} is not a cluster (cluster_enabled:0, CLUSTER SLOTS refused): unset REDIS_CLUSTER`);
      }
    }
  }
  return { kind: 'ok', clusterEnabled };
}

function refused(line: string): RedisProbe {
  return { kind: 'refused', line };
}

function isReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** True when the port answers a plain-text PING with a RESP reply (+PONG, or -NOAUTH and the like). */
function speaksPlainRedis(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString())));
  });
}

/** True when a TLS handshake (certificate not checked: only "does it speak TLS") succeeds. */
function speaksTls(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: PROBE_TIMEOUT_MS });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Startup checks of the Redis behind a RedisStore, before the bot listens: first how it is reached
 * (TLS, certificate, credentials, cluster mode; one line naming the setting to change, as a
 * ConfigInvalid error), then its eviction policy (check-eviction-policy.ts). When Redis is not
 * answering yet both run when it first answers, and a problem found then goes to `onFatal`.
 */
export async function checkRedisServer(store: Store, opts: { mode: EvictionCheckMode; logger: CheckLogger; onFatal: (error: Error) => void }): Promise<void> {
  if (!(store instanceof RedisStore)) return;
  const probe = await probeRedisServer(store.connection);
  if (probe.kind === 'refused') throw new MlopsError(ErrorCode.ConfigInvalid, probe.line, { check: 'redis-connection' });
  if (probe.kind === 'ok')
    opts.logger.info({ cluster: store.connection.cluster, tls: store.connection.options.tls !== undefined }, 'Redis connection settings fit the server');
  await checkEvictionPolicy(store, { ...opts, whenReady: () => checkRedisServer(store, opts) });
}
