import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { redisConnection } from '../../src/store/redis-store';
import { clusterKeyPrefix } from '../../src/store/store-keys';

// ioredis's own slot function (its dependency cluster-key-slot ships no types).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

const baseEnv = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'sign-secret' };
const noFile = () => undefined;
const problems = (env: Record<string, string>): string[] => {
  const result = loadConfig({ ...baseEnv, ...env }, noFile);
  return result.ok ? [] : result.problems;
};

describe('Redis settings (REDIS_URL, REDIS_CLUSTER, REDIS_CA_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-settings-'));
  const pem = join(dir, 'ca.pem');
  const notPem = join(dir, 'not.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(notPem, 'hello');

  it('parses REDIS_CLUSTER as true/false (default false) and refuses anything else', () => {
    const on = loadConfig({ ...baseEnv, REDIS_URL: 'rediss://cache.example:6379', REDIS_CLUSTER: 'true' }, noFile);
    const off = loadConfig({ ...baseEnv, REDIS_URL: 'redis://127.0.0.1:6379/0' }, noFile);
    if (!on.ok || !off.ok) throw new Error('expected valid configs');
    expect(on.config.env.REDIS_CLUSTER).toBe(true);
    expect(off.config.env.REDIS_CLUSTER).toBe(false);
    expect(problems({ REDIS_URL: 'redis://h:6379', REDIS_CLUSTER: 'yes' })).toEqual(['REDIS_CLUSTER: expected true or false']);
  });

  it('names settings that do not fit together, one line each', () => {
    expect(problems({ REDIS_CLUSTER: 'true' })).toEqual([expect.stringMatching(/^REDIS_CLUSTER: is true but REDIS_URL is not set/)]);
    expect(problems({ REDIS_URL: 'redis://h:6379/2', REDIS_CLUSTER: 'true' })).toEqual([
      expect.stringMatching(/^REDIS_URL: a Redis Cluster has only database 0/),
    ]);
    expect(problems({ REDIS_URL: 'redis://h:6379/0', REDIS_CLUSTER: 'true' })).toEqual([]);
    expect(problems({ REDIS_URL: 'redis://h:6379', REDIS_CA_FILE: pem })).toEqual([
      expect.stringMatching(/^REDIS_CA_FILE: is set but REDIS_URL is not rediss:\/\//),
    ]);
  });

  it('checks REDIS_CA_FILE: present, readable, a PEM certificate', () => {
    expect(problems({ REDIS_URL: 'rediss://h:6379', REDIS_CA_FILE: pem })).toEqual([]);
    expect(problems({ REDIS_URL: 'rediss://h:6379', REDIS_CA_FILE: join(dir, 'missing.pem') })).toEqual([
      `REDIS_CA_FILE: file ${join(dir, 'missing.pem')} does not exist`,
    ]);
    expect(problems({ REDIS_URL: 'rediss://h:6379', REDIS_CA_FILE: notPem })).toEqual([expect.stringMatching(/^REDIS_CA_FILE: .* holds no PEM certificate/)]);
    expect(problems({ REDIS_URL: 'rediss://h:6379', REDIS_CA_FILE: dir })).toEqual([expect.stringMatching(/^REDIS_CA_FILE: cannot read /)]);
  });

  it('reads credentials, database and TLS from the URL', () => {
    const plain = redisConnection('redis://app:p%40ss@10.0.0.5:6380/3');
    expect(plain).toEqual({ host: '10.0.0.5', port: 6380, cluster: false, options: { username: 'app', password: 'p@ss', db: 3, connectTimeout: 2000 } });
    const tls = redisConnection('rediss://my-cache.serverless.use1.cache.amazonaws.com', { cluster: true, tlsCa: 'PEM' });
    expect(tls.host).toBe('my-cache.serverless.use1.cache.amazonaws.com');
    expect(tls.port).toBe(6379);
    expect(tls.cluster).toBe(true);
    // System CAs plus the file's, not the file's alone.
    const ca = (tls.options.tls as { ca: string[] }).ca;
    expect(ca.length).toBeGreaterThan(1);
    expect(ca.at(-1)).toBe('PEM');
    expect(redisConnection('rediss://h').options.tls).toEqual({});
  });

  it('wraps the key prefix in one hash tag for a cluster, keeping a prefix that has one', () => {
    expect(clusterKeyPrefix('mlops:')).toBe('{mlops}:');
    expect(clusterKeyPrefix('team-a:mlops:')).toBe('{team-a:mlops}:');
    expect(clusterKeyPrefix('{prod}:mlops:')).toBe('{prod}:mlops:');
    // `{}` is no hash tag in Redis: it is wrapped like any other prefix.
    expect(clusterKeyPrefix('{}mlops:')).toBe('{{}mlops}:');
    expect(clusterKeyPrefix('')).toBe('{mlops}:');
    // Same tag, same slot: what makes every script valid on a cluster.
    expect(new Set(['event:1', 'inbox', 'inbox:processing', 'lock:endpoint:x'].map((k) => calculateSlot(`${clusterKeyPrefix('mlops:')}${k}`))).size).toBe(1);
  });

  it('the startup probe reads two keys of different slots (a cluster answers CROSSSLOT)', () => {
    expect(calculateSlot('mlops-slot-probe:a')).not.toBe(calculateSlot('mlops-slot-probe:b'));
  });
});
