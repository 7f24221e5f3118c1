import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import { createBot } from '../../src/create-bot';
import { ErrorCode, isMlopsError } from '../../src/core/errors';
import { createLogger } from '../../src/observability/create-logger';
import { captureLogs } from '../kit/capture-logs';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startPrivateRedis, type PrivateRedis } from '../kit/private-redis';
import { SAMPLE_CONFIG, startTestBot } from '../kit/start-test-bot';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../kit/test-secrets';

/**
 * The startup check of Redis's maxmemory-policy, against real redis-servers configured like
 * ElastiCache's default (volatile-lru), with CONFIG renamed away, with CONFIG and INFO denied by
 * ACL (a managed service that hides both), and like the shipped deploy/k8s/redis.yaml (noeviction).
 */
interface LogLine {
  level: string;
  msg: string;
  detail?: string;
}
const parsed = (lines: string[]): LogLine[] => lines.map((l) => JSON.parse(l) as LogLine);
const policyLines = (lines: string[]): LogLine[] => parsed(lines).filter((l) => l.msg.startsWith('Redis maxmemory-policy'));

describe('Redis maxmemory-policy at startup', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  const redises: PrivateRedis[] = [];
  const redis = async (args: string[]): Promise<PrivateRedis> => {
    const r = await startPrivateRedis({ args });
    redises.push(r);
    return r;
  };
  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await Promise.all(redises.map((r) => r.stop()));
    await slack.close();
    await aws.close();
  });

  it('refuses to start on volatile-lru (ElastiCache default) with one line naming the policy, the risk and the fix', async () => {
    const r = await redis(['--maxmemory-policy', 'volatile-lru']);
    const error = await startTestBot({ slack, aws, env: { REDIS_URL: r.url } }).then(
      async (t) => {
        await t.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(isMlopsError(error, ErrorCode.ConfigInvalid)).toBe(true);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^Redis maxmemory-policy is volatile-lru: .*keys with a TTL \(endpoint locks, dedup markers, leases\)/);
    expect(message).toContain('set maxmemory-policy noeviction');
    expect(message).toContain('REDIS_MAXMEMORY_POLICY_CHECK=warn');
  });

  it('the real entry point exits 1 with exactly one line on stderr naming the policy and the fix, before listening', async () => {
    const r = await redis(['--maxmemory-policy', 'volatile-lru']);
    const root = join(__dirname, '..', '..');
    const tsx = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
    const child = spawn(process.execPath, ['--import', tsx, join(root, 'src', 'main.ts')], {
      cwd: mkdtempSync(join(tmpdir(), 'mlops-main-')),
      env: {
        PATH: process.env['PATH'] ?? '',
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: r.url,
        PORT: '0',
        HOST: '127.0.0.1',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^mlops-chatops: Redis maxmemory-policy is volatile-lru: .*set maxmemory-policy noeviction/),
    ]);
    expect(stdout).not.toContain('mlops-chatops is listening');
  }, 30_000);

  it('refuses allkeys-lru too', async () => {
    const r = await redis(['--maxmemory-policy', 'allkeys-lru']);
    await expect(startTestBot({ slack, aws, env: { REDIS_URL: r.url } })).rejects.toThrow(/^Redis maxmemory-policy is allkeys-lru: .*keys of any kind/);
  });

  it('still reads the policy through INFO when CONFIG is renamed away, and refuses', async () => {
    const r = await redis(['--maxmemory-policy', 'volatile-lru', '--rename-command', 'CONFIG', '']);
    await expect(startTestBot({ slack, aws, env: { REDIS_URL: r.url } })).rejects.toThrow(/^Redis maxmemory-policy is volatile-lru: /);
  });

  it('starts with a one-line warning when the server refuses both CONFIG and INFO', async () => {
    const r = await redis(['--maxmemory-policy', 'volatile-lru', '--user', 'default', 'on', 'nopass', '~*', '&*', '+@all', '-config', '-info']);
    // ioredis itself prints a console warning when INFO is denied (its ready check); expected here.
    const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const t = await startTestBot({ slack, aws, env: { REDIS_URL: r.url } });
      try {
        const warnings = policyLines(t.logs.lines);
        expect(warnings.map((l) => l.level)).toEqual(['warn']);
        expect(warnings[0]?.msg).toMatch(/not checked: the server refuses CONFIG and INFO; make sure it is noeviction/);
        expect(String(warnings[0]?.detail)).toContain('NOPERM');
        expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      } finally {
        await t.stop();
      }
    } finally {
      consoleWarn.mockRestore();
    }
  });

  it('starts with REDIS_MAXMEMORY_POLICY_CHECK=warn on volatile-lru, warning once', async () => {
    const r = await redis(['--maxmemory-policy', 'volatile-lru']);
    const t = await startTestBot({ slack, aws, env: { REDIS_URL: r.url, REDIS_MAXMEMORY_POLICY_CHECK: 'warn' } });
    try {
      const warnings = policyLines(t.logs.lines);
      expect(warnings.map((l) => [l.level, l.msg])).toEqual([['warn', expect.stringMatching(/^Redis maxmemory-policy is volatile-lru: /)]]);
    } finally {
      await t.stop();
    }
  });

  it('starts on noeviction without a warning', async () => {
    const r = await redis(['--maxmemory-policy', 'noeviction']);
    const t = await startTestBot({ slack, aws, env: { REDIS_URL: r.url } });
    try {
      expect(policyLines(t.logs.lines).map((l) => [l.level, l.msg])).toEqual([['info', 'Redis maxmemory-policy is noeviction']]);
    } finally {
      await t.stop();
    }
  });

  it('checks when Redis first answers if it was down at startup, and reports a wrong policy as fatal', async () => {
    const r = await redis(['--maxmemory-policy', 'volatile-lru']);
    await r.kill();
    const loaded = loadConfig(
      {
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        PIPELINE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        MLOPS_CONFIG: '/virtual/mlops.config.yml',
        REDIS_URL: r.url,
      },
      () => stringify({ ...SAMPLE_CONFIG, trigger: undefined }),
    );
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const logs = captureLogs();
    const fatal: Error[] = [];
    let reported: () => void = () => undefined;
    const reportedOnce = new Promise<void>((resolve) => (reported = resolve));
    const bot = createBot({
      config: loaded.config,
      logger: createLogger({ level: 'debug', destination: logs.stream }),
      onFatal: (error) => {
        fatal.push(error);
        reported();
      },
    });
    try {
      await bot.start();
      expect(policyLines(logs.lines).map((l) => [l.level, l.msg])).toEqual([
        ['warn', expect.stringMatching(/^Redis maxmemory-policy not checked yet: Redis is not answering/)],
      ]);
      expect(fatal).toEqual([]);
      await r.restart();
      await reportedOnce;
      expect(fatal).toHaveLength(1);
      expect(isMlopsError(fatal[0], ErrorCode.ConfigInvalid)).toBe(true);
      expect(fatal[0]?.message).toMatch(/^Redis maxmemory-policy is volatile-lru: /);
    } finally {
      await bot.stop(2000);
    }
  });
});
