import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { fakeMwaa, type FakeMwaa } from '../../lambda/dag-trigger/test/fake-mwaa';

/**
 * What ships, not the TypeScript source: the zip that `npm run package` builds in
 * lambda/dag-trigger (the same script, into a temp dir), unpacked as Lambda would, its
 * handler.js loaded by a plain `node` in a directory with no node_modules anywhere above it (the
 * bundle must carry its dependencies), with the environment Terraform gives the function, against
 * the loopback MWAA that verifies every SigV4 signature.
 */

const ROOT = join(__dirname, '..', '..');
const PACKAGE_DIR = join(ROOT, 'lambda', 'dag-trigger');
const run = promisify(execFile);

const REGION = 'eu-west-1';
const CREDS = { accessKeyId: 'AKIDBUNDLETEST', secretAccessKey: 'bundle-test-secret' };
const ENV_NAME = 'mlops-prod';
const TRAINING = 'fraud_detector_training';

interface ZipEntry {
  name: string;
  mode: number;
  data: Buffer;
}

/** Reads a zip's central directory (no zip package needed): every entry, inflated. */
function readZip(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const localExtraLength = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLength + localExtraLength;
    const raw = zip.subarray(start, start + compressedSize);
    entries.push({ name, mode, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

let work: string;
let functionDir: string;
let entries: ZipEntry[];
let mwaa: FakeMwaa;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dag-trigger-bundle-'));
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  // Exactly the package script, only into the temp dir.
  const [command, ...args] = (pkg.scripts['package'] ?? '').split(' ');
  expect(command).toBe('node');
  await run(process.execPath, [...args, '--outdir', join(work, 'dist')], { cwd: PACKAGE_DIR });
  entries = readZip(readFileSync(join(work, 'dist', 'dag-trigger.zip')));
  functionDir = join(work, 'task');
  mkdirSync(functionDir);
  for (const entry of entries) writeFileSync(join(functionDir, entry.name), entry.data);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeEach(async () => {
  mwaa = await fakeMwaa({ region: REGION, ...CREDS, environments: { [ENV_NAME]: [TRAINING, 'fraud_detector_deployment', 'other_dag'] } });
});
afterEach(() => mwaa.close());

/** Cold-starts the bundled function in a fresh node (as Lambda's nodejs runtime would) and invokes it once. */
async function invoke(event: unknown, env: Record<string, string> = {}): Promise<unknown> {
  // The function logs JSON lines to stdout itself: the answer goes to a file of its own.
  const answerFile = join(work, `answer-${Math.random().toString(36).slice(2)}.json`);
  const runner = `require(${JSON.stringify(join(functionDir, 'handler.js'))}).handler(JSON.parse(process.argv[1])).then((a) => require('node:fs').writeFileSync(process.argv[2], JSON.stringify(a)), (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(2); });`;
  await run(process.execPath, ['-e', runner, JSON.stringify(event), answerFile], {
    cwd: functionDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: work, // no ~/.aws of the developer
      MWAA_ENVIRONMENT: ENV_NAME,
      ALLOWED_DAGS: `${TRAINING},fraud_detector_deployment`,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_MWAA: mwaa.url,
      AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
      ...env,
    },
  });
  return JSON.parse(readFileSync(answerFile, 'utf8')) as unknown;
}

describe('the packaged DAG-trigger Lambda (dist/dag-trigger.zip)', () => {
  it('is one file, handler.js, readable by the Lambda runtime user, with no node_modules beside it', () => {
    expect(entries.map((e) => e.name)).toEqual(['handler.js']);
    expect(entries[0]!.mode & 0o777).toBe(0o644);
    expect(entries[0]!.data.toString('utf8')).toMatch(/exports|module\.exports/);
  });

  it('starts a DAG through signed InvokeRestApi and answers {dag_run_id, state}', async () => {
    const conf = { model: 'fraud-detector', version: '1.4.0' };
    expect(await invoke({ dag_name: TRAINING, dag_run_id: 'bundle__1', conf })).toEqual({ dag_run_id: 'bundle__1', state: 'queued' });
    expect(mwaa.calls.map((c) => ({ environment: c.environment, Method: c.Method, Path: c.Path, Body: c.Body }))).toEqual([
      { environment: ENV_NAME, Method: 'POST', Path: `/dags/${TRAINING}/dagRuns`, Body: { dag_run_id: 'bundle__1', conf } },
    ]);
  });

  it('answers a repeated run id as already_triggered (one run), and the status action with the run state', async () => {
    const event = { dag_name: TRAINING, dag_run_id: 'bundle__2', conf: {} };
    await invoke(event);
    expect(await invoke(event)).toMatchObject({ dag_run_id: 'bundle__2', already_triggered: true });
    expect(await invoke({ action: 'status', dag_name: TRAINING, dag_run_id: 'bundle__2' })).toMatchObject({ dag_run_id: 'bundle__2', state: 'queued' });
    expect(mwaa.calls.filter((c) => c.Method === 'POST')).toHaveLength(2);
  });

  it('refuses a DAG outside ALLOWED_DAGS with 403 without calling MWAA', async () => {
    expect(await invoke({ dag_name: 'other_dag' })).toMatchObject({ statusCode: 403 });
    expect(mwaa.calls).toEqual([]);
  });

  it('with a broken environment, answers 500 naming the setting instead of failing to start', async () => {
    const answer = (await invoke({ dag_name: TRAINING }, { ALLOWED_DAGS: '' })) as { statusCode: number; message: string };
    expect(answer.statusCode).toBe(500);
    expect(answer.message).toMatch(/ALLOWED_DAGS/);
    expect(mwaa.calls).toEqual([]);
  });
});
