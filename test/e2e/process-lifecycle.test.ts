import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '..', '..');

/** Runs the real entry point (src/main.ts through tsx) as a child process with exactly `env`. */
function runMain(env: Record<string, string>): {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  // A fresh working directory, so no ./mlops.config.yml is found by accident.
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main.ts')], {
    cwd: mkdtempSync(join(tmpdir(), 'mlops-main-')),
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitFor<T>(fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the process (npm start entry point)', () => {
  it('exits 1 with one readable line per configuration problem and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-cfg-'));
    const path = join(dir, 'mlops.config.yml');
    writeFileSync(path, 'slack:\n  defaultChannel: general\nmodels:\n  fraud-detector:\n    requiredApprovals: 0\n');
    const run = runMain({ SLACK_BOT_TOKEN: 'not-a-token', PORT: 'x', MLOPS_CONFIG: path });
    expect(await run.exit).toBe(1);
    const err = run.stderr();
    expect(err).toMatch(/configuration is invalid \(\d+ problems\)/);
    expect(err).toMatch(/- SLACK_BOT_TOKEN: expected a bot token starting with xoxb-/);
    expect(err).toMatch(/- SLACK_SIGNING_SECRET: is required in HTTP mode/);
    expect(err).toMatch(/- PORT: expected a port number/);
    expect(err).toMatch(/mlops\.config\.yml: slack\.defaultChannel: expected a Slack channel id/);
    expect(err).toMatch(/mlops\.config\.yml: models\.fraud-detector\.requiredApprovals: /);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('starts with only the two Slack variables (no Redis, no config file), serves /healthz, and stops on SIGTERM with exit 0', async () => {
    const run = runMain({
      SLACK_BOT_TOKEN: 'xoxb-1-2-processtest',
      SLACK_SIGNING_SECRET: 'process-test-secret',
      // The startup token check must not reach the real Slack (it would refuse this token and the
      // process would exit 1): a loopback port that cannot be reached, i.e. Slack unreachable.
      SLACK_API_URL: 'http://127.0.0.1:1/api/',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    try {
      const port = await waitFor(() => {
        const line = run
          .stdout()
          .split('\n')
          .find((l) => l.includes('mlops-chatops is listening'));
        return line !== undefined ? (JSON.parse(line) as { port: number }).port : undefined;
      }, 20_000);
      const out = run.stdout();
      expect(out).toMatch(/no config file at .*running with an empty configuration/);
      expect(out).toMatch(/REDIS_URL is not set: using the in-memory store/);
      expect(out).not.toContain('xoxb-1-2-processtest');
      expect(out).not.toContain('process-test-secret');
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toMatch(/mlops-chatops stopped/);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 30_000);
});
