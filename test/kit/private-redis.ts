import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server of the test's own on a free loopback port, that the test may kill and restart. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL (an outage, not a shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port (and data dir: with AOF, recorded data survives). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True once something on the port answers PING with PONG. */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data.toString().startsWith('+PONG')));
  });
}

/** Starts redis-server; `durable` turns on appendfsync-always AOF, as a production Redis for this bot should. */
export async function startPrivateRedis(
  opts: { durable?: boolean; /** More redis-server options, e.g. ['--maxmemory-policy', 'volatile-lru']. */ args?: string[] } = {},
): Promise<PrivateRedis> {
  return startOnFreePort(async (port) => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
    args.push(...(opts.durable === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    args.push(...(opts.args ?? []));
    return args;
  }, answersPing);
}

/**
 * freePort() only says a port was free a moment ago: a server of a test file running beside this
 * one may take it first. redis-server then exits at once (cannot bind), and we try another port.
 */
async function startOnFreePort(
  argsFor: (port: number) => Promise<string[]>,
  ready: (port: number) => Promise<boolean>,
): Promise<PrivateRedis & { port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      const node = await spawnNode(await argsFor(port), () => ready(port), port);
      return { ...node, url: `redis://127.0.0.1:${port}/0` };
    } catch (error) {
      if (attempt >= 5 || !(error as Error).message.startsWith('redis-server exited')) throw error;
    }
  }
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, made by openssl in a temp dir. */
export interface TestCertificates {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A second CA that signed nothing here: trusting it instead of caFile must fail verification. */
  otherCaFile: string;
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-redis-tls-'));
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]): void => {
    const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr || run.error?.message}`);
  };
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=mlops test CA']);
  openssl(['req', '-x509', ...ec, '-keyout', f('other-ca.key'), '-out', f('other-ca.crt'), '-days', '2', '-subj', '/CN=mlops other CA']);
  openssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
  ]);
  return { dir, caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key'), otherCaFile: f('other-ca.crt') };
}

/** True once a TLS handshake (certificate not checked) and PING succeed on the port. */
export function answersTlsPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => finish(data.toString().startsWith('+PONG')));
  });
}

/**
 * redis-server speaking TLS only (`--port 0 --tls-port p`), like ElastiCache with in-transit
 * encryption; the certificate is signed by a throwaway CA (`certs.caFile`).
 */
export async function startPrivateTlsRedis(opts: { args?: string[] } = {}): Promise<PrivateRedis & { certs: TestCertificates; tlsUrl: string }> {
  const certs = makeTestCertificates();
  const node = await startOnFreePort(async (port) => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-redis-'));
    const args = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    args.push('--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile, '--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no');
    args.push(...(opts.args ?? []));
    return args;
  }, answersTlsPing);
  const port = node.port;
  return { ...node, port, url: `rediss://127.0.0.1:${port}/0`, tlsUrl: `rediss://127.0.0.1:${port}/0`, certs };
}

/** A local Redis Cluster of `masters` masters (no replicas) on free loopback ports, each in its own temp dir. */
export interface PrivateCluster {
  /** `redis://127.0.0.1:<first port>`: one node, as REDIS_URL names it with REDIS_CLUSTER=true. */
  url: string;
  nodes: (PrivateRedis & { port: number })[];
  /** Resolves once every node reports cluster_state:ok (after a restart, say). */
  waitHealthy(): Promise<void>;
  /** The node serving a key's slot right now. */
  nodeOf(key: string): Promise<PrivateRedis & { port: number }>;
  stop(): Promise<void>;
}

/**
 * Starts `masters` redis-servers with cluster mode on and joins them with `redis-cli --cluster
 * create`. `durable`: AOF appendfsync always, so a master stopped and restarted keeps what it
 * acknowledged and rejoins with the same node id (its nodes.conf stays in its dir).
 * A short cluster-node-timeout lets the others notice a stopped master within about 2 s.
 */
export async function startPrivateCluster(opts: { masters?: number; durable?: boolean } = {}): Promise<PrivateCluster> {
  const count = opts.masters ?? 3;
  const nodes: (PrivateRedis & { port: number })[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      nodes.push(
        await startOnFreePort(async (port) => {
          const dir = mkdtempSync(join(tmpdir(), 'mlops-redis-cluster-'));
          // The bus port is port + 10000 unless told: past 55535 that is no port at all.
          const busPort = await freePort();
          return [
            ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
            ...(opts.durable === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
            ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--cluster-port', String(busPort)],
          ];
        }, answersPing),
      );
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  const clusterInfo = (port: number): string => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8', timeout: 5_000 }).stdout;
  const waitHealthy = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (nodes.every((n) => clusterInfo(n.port).includes('cluster_state:ok') && /cluster_known_nodes:(\d+)/.exec(clusterInfo(n.port))?.[1] === String(count)))
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the test cluster did not reach cluster_state:ok within 30 s');
  };
  await waitHealthy();
  const nodeOf = async (key: string) => {
    const slot = spawnSync('redis-cli', ['-p', String(nodes[0]!.port), 'cluster', 'keyslot', key], { encoding: 'utf8' }).stdout.trim();
    // CLUSTER NODES lists each master's slot ranges: find the one holding this slot.
    const lines = spawnSync('redis-cli', ['-p', String(nodes[0]!.port), 'cluster', 'nodes'], { encoding: 'utf8' }).stdout.split('\n');
    const s = Number(slot);
    for (const line of lines) {
      const parts = line.split(' ');
      const port = Number(/:(\d+)@/.exec(parts[1] ?? '')?.[1]);
      const owns = parts.slice(8).some((range) => {
        const [from, to] = range.split('-').map(Number);
        return from !== undefined && s >= from && s <= (to ?? from);
      });
      if (owns && (parts[2] ?? '').includes('master')) {
        const node = nodes.find((n) => n.port === port);
        if (node !== undefined) return node;
      }
    }
    throw new Error(`no node serves slot ${slot} of ${key}`);
  };
  return {
    url: `redis://127.0.0.1:${nodes[0]!.port}`,
    nodes,
    waitHealthy,
    nodeOf,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

async function spawnNode(args: string[], ready: () => Promise<boolean>, port: number): Promise<PrivateRedis> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${port}`);
      if (await ready()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const kill = async () => {
    const c = child;
    if (c?.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: '', kill, restart: start, stop: kill };
}
