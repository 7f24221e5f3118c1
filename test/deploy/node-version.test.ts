import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../kit/test-secrets';

/**
 * Issue 18: Node 22 is what ships and what the docs recommend (.nvmrc, the image, the Lambda
 * runtime and its bundle target), while `engines` still admits the Node 20 that runs `npm test`
 * here; and on Node 20 the AWS SDK's multi-line notice reaches the log as one JSON line, not as
 * raw text in the middle of the JSON stream.
 */

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** The lowest major version an `engines.node` range of the form ">=N[.M]" admits. */
const enginesMin = (range: string) => Number(/^>=\s*(\d+)(\.\d+)*$/.exec(range.trim())?.[1] ?? NaN);

describe('Node 22 ships; Node 20 still runs the tests', () => {
  it('.nvmrc, every Dockerfile stage, the Lambda runtime and its bundle target are Node 22', () => {
    expect(read('.nvmrc').trim()).toBe('22');
    const froms = [...read('Dockerfile').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:22[-.]/);
    expect(read('deploy/terraform/main.tf')).toMatch(/runtime\s+=\s+"nodejs22\.x"/);
    expect(read('lambda/dag-trigger/scripts/package.mjs')).toMatch(/target:\s*'node22'/);
    expect(read('README.md')).toMatch(/Node\.js 22 is what ships/);
  });

  it('engines admit Node 20 (root) and the Node 22 that ships (Lambda package)', () => {
    const root = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(enginesMin(root.engines.node)).toBeLessThanOrEqual(20);
    const lambda = JSON.parse(read('lambda/dag-trigger/package.json')) as { engines: { node: string } };
    expect(enginesMin(lambda.engines.node)).toBeLessThanOrEqual(22);
  });
});

describe("the AWS SDK's Node-version notice in the log stream", () => {
  let slack: FakeSlack;
  let work: string;
  beforeAll(async () => {
    slack = await startFakeSlack();
    work = mkdtempSync(join(tmpdir(), 'mlops-node-warning-'));
  });
  afterAll(async () => {
    await slack.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('arrives as one JSON warn line on stdout, nothing raw on stderr (the real entry point, told it runs on Node 20)', async () => {
    // Whatever Node runs this test, the SDK sees v20 and prints its real notice.
    const preload = join(work, 'pretend-node-20.cjs');
    writeFileSync(preload, "Object.defineProperty(process, 'version', { value: 'v20.0.0' });\n");
    const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
    const child = spawn(process.execPath, ['--require', preload, '--import', tsx, join(ROOT, 'src', 'main.ts')], {
      cwd: work,
      env: {
        PATH: process.env['PATH'] ?? '',
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        AWS_REGION: 'us-east-1',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('mlops-chatops is listening')) resolve();
      });
      void exited.then(() => resolve());
    });
    child.kill('SIGTERM');
    await exited;
    clearTimeout(killer);

    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    const notJson = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const notices = lines.map((l) => JSON.parse(l) as { level: string; msg: string; warning?: string }).filter((l) => l.msg.includes('AWS SDK for JavaScript'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ level: 'warn', warning: expect.any(String) });
    expect(notices[0]!.msg).toMatch(
      /^NodeVersionSupportWarning: The AWS SDK for JavaScript \(v3\) versions published after .* will require node >=22\. You are running node v20\.0\.0\./,
    );
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });
});
