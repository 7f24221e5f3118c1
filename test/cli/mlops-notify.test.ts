import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mlopsNotify, signBody } from '../../src/cli/mlops-notify';

const SECRET = 'cli-test-secret';

interface Received {
  method: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  valid: boolean;
}

/**
 * A loopback /hooks/pipeline that verifies the signature the way the bot does (contract 5.1).
 * `headers` go with every answer (e.g. a Location for a scripted 3xx); Node adds a Date header.
 */
async function fakeHook(
  statuses: [number, unknown][] = [],
  headers: Record<string, string> = {},
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-mlops-request-timestamp'] ?? '');
      const given = Buffer.from(String(req.headers['x-mlops-signature'] ?? ''));
      const expected = Buffer.from(`v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${raw}`).digest('hex')}`);
      const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const valid = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      received.push({ method: req.method, headers: req.headers, raw, valid });
      const [status, body] = valid
        ? (statuses.shift() ?? [202, { accepted: true }])
        : [401, { error: 'MLOPS_SIGNATURE_INVALID', message: fresh ? 'signature does not match' : 'timestamp is more than 300 s from now' }];
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/pipeline`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function capture(): { out: string[]; err: string[]; sleeps: number[]; io: Parameters<typeof mlopsNotify>[3] } {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  return {
    out,
    err,
    sleeps,
    io: { out: (l) => out.push(l), err: (l) => err.push(l), sleep: (ms) => (sleeps.push(ms), Promise.resolve()) },
  };
}

const EVAL_ARGS = [
  '--type',
  'evaluation.completed',
  '--model',
  'fraud-detector',
  '--version',
  '1.4.0',
  '--metric',
  'f1=0.91',
  '--metric',
  'mse=0.04',
  '--run-id',
  'manual__2026-11-24T10:00:00+00:00',
  '--dag-id',
  'fraud_detector_training',
  '--run-url',
  'https://airflow.example.com/dags/fraud_detector_training/grid',
  '--training-job',
  'fraud-detector-1-4-0-20261124',
  '--commit',
  '3f2a9c1',
  '--image',
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops/fraud-detector:1.4.0',
  '--data',
  's3://mlops-data/fraud-detector/train/',
];

describe('mlops-notify', () => {
  let hook: Awaited<ReturnType<typeof fakeHook>> | undefined;
  afterEach(async () => {
    await hook?.close();
  });

  it('builds, signs and posts an evaluation event; prints "recorded" and exits 0 on 202', async () => {
    hook = await fakeHook();
    const c = capture();
    const env = { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET, CI_PIPELINE_URL: 'https://gitlab.example.com/ml/ml-ops/-/pipelines/981' };
    const code = await mlopsNotify(EVAL_ARGS, env, fetch, c.io);

    expect(code).toBe(0);
    expect(hook.received).toHaveLength(1);
    const [request] = hook.received;
    expect(request!.valid).toBe(true);
    expect(request!.headers['content-type']).toBe('application/json');
    const event = JSON.parse(request!.raw) as Record<string, unknown>;
    expect(event).toMatchObject({
      type: 'evaluation.completed',
      model: 'fraud-detector',
      version: '1.4.0',
      metrics: { f1: 0.91, mse: 0.04 },
      run: {
        dagId: 'fraud_detector_training',
        runId: 'manual__2026-11-24T10:00:00+00:00',
        url: 'https://airflow.example.com/dags/fraud_detector_training/grid',
      },
      trainingJob: 'fraud-detector-1-4-0-20261124',
      lineage: {
        commit: '3f2a9c1',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops/fraud-detector:1.4.0',
        data: 's3://mlops-data/fraud-detector/train/',
      },
      links: { pipeline: 'https://gitlab.example.com/ml/ml-ops/-/pipelines/981' },
    });
    expect(c.out).toEqual([`recorded ${String(event.id)}`]);
  });

  it('prints "duplicate" and exits 0 on 200', async () => {
    hook = await fakeHook([[200, { duplicate: true }]]);
    const c = capture();
    const code = await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io);
    expect(code).toBe(0);
    expect(c.out[0]).toMatch(/^duplicate /);
  });

  it('sends a failure event with the error fields', async () => {
    hook = await fakeHook();
    const c = capture();
    const args = [
      '--type',
      'training.failed',
      '--model',
      'fraud-detector',
      '--error-task',
      'train_model',
      '--error-message',
      'OOMKilled',
      '--log-url',
      'https://airflow.example.com/log?x=1',
    ];
    expect(await mlopsNotify(args, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io)).toBe(0);
    expect(JSON.parse(hook.received[0]!.raw)).toMatchObject({
      error: { task: 'train_model', message: 'OOMKilled', logUrl: 'https://airflow.example.com/log?x=1' },
    });
  });

  it('derives a deterministic id from the CI pipeline and job name, so a retried job is a duplicate', async () => {
    const c = capture();
    const env = { CI_PIPELINE_ID: '981', CI_JOB_NAME: 'notify-evaluation', CI_JOB_ID: '5001' };
    await mlopsNotify([...EVAL_ARGS, '--dry-run'], env, fetch, c.io);
    await mlopsNotify([...EVAL_ARGS, '--dry-run'], { ...env, CI_JOB_ID: '5002' }, fetch, c.io);
    await mlopsNotify([...EVAL_ARGS, '--dry-run', '--version', '1.4.1'], env, fetch, c.io);
    const ids = c.out.map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids[0]).toMatch(/^ci-[0-9a-f]{40}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('uses a random id outside CI and --id when given', async () => {
    const c = capture();
    await mlopsNotify([...EVAL_ARGS, '--dry-run'], {}, fetch, c.io);
    await mlopsNotify([...EVAL_ARGS, '--dry-run'], {}, fetch, c.io);
    await mlopsNotify([...EVAL_ARGS, '--dry-run', '--id', 'my-event-1'], {}, fetch, c.io);
    const ids = c.out.map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[2]).toBe('my-event-1');
  });

  it.each([
    ['a missing version', ['--type', 'evaluation.completed', '--model', 'm', '--metric', 'f1=0.9'], 'version: required for evaluation.completed'],
    ['missing metrics', ['--type', 'evaluation.completed', '--model', 'm', '--version', '1.0.0'], 'metrics: required for evaluation.completed'],
    ['a bad version', ['--type', 'training.succeeded', '--model', 'm', '--version', 'v1'], 'version: expected a semantic version'],
    ['an unknown type', ['--type', 'training.exploded', '--model', 'm'], 'type:'],
    [
      'a non-numeric metric',
      ['--type', 'evaluation.completed', '--model', 'm', '--version', '1.0.0', '--metric', 'f1=high'],
      '--metric f1=high: expected a number',
    ],
    ['a metric without =', ['--type', 'evaluation.completed', '--model', 'm', '--version', '1.0.0', '--metric', 'f1'], '--metric f1: expected NAME=VALUE'],
    ['a failure without message', ['--type', 'training.failed', '--model', 'm', '--error-task', 't'], 'error.message:'],
    ['a failure without error', ['--type', 'deployment.failed', '--model', 'm', '--version', '1.0.0'], 'error: required for deployment.failed'],
    ['a missing model', ['--type', 'training.started'], '--model: required'],
    ['an unknown option', ['--type', 'training.started', '--model', 'm', '--colour', 'red'], "Unknown option '--colour'"],
  ])('exits 2 and names the problem for %s', async (_name, args, problem) => {
    hook = await fakeHook();
    const c = capture();
    const code = await mlopsNotify(args, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io);
    expect(code).toBe(2);
    expect(c.err.join('\n')).toContain(problem);
    expect(hook.received).toHaveLength(0);
  });

  it('exits 2 when MLOPS_HOOK_URL or PIPELINE_WEBHOOK_SECRET is missing', async () => {
    const c = capture();
    expect(await mlopsNotify(EVAL_ARGS, {}, fetch, c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('MLOPS_HOOK_URL');
    expect(c.err.join('\n')).toContain('PIPELINE_WEBHOOK_SECRET');
  });

  it('retries 503 and 5xx with growing backoff, re-signing each attempt, then succeeds', async () => {
    hook = await fakeHook([
      [503, { error: 'store unavailable' }],
      [500, { error: 'oops' }],
    ]);
    const c = capture();
    const code = await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io);
    expect(code).toBe(0);
    expect(hook.received).toHaveLength(3);
    expect(hook.received.every((r) => r.valid)).toBe(true);
    expect(new Set(hook.received.map((r) => (JSON.parse(r.raw) as { id: string }).id)).size).toBe(1);
    expect(c.sleeps).toHaveLength(2);
    expect(c.sleeps[0]!).toBeGreaterThanOrEqual(500);
    expect(c.sleeps[1]!).toBeGreaterThanOrEqual(1000);
  });

  it('does not retry a 4xx and prints the bot message, exit 1', async () => {
    hook = await fakeHook([[422, { error: 'model "m" has no channel and slack.defaultChannel is not set' }]]);
    const c = capture();
    const code = await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io);
    expect(code).toBe(1);
    expect(hook.received).toHaveLength(1);
    expect(c.err.join('\n')).toContain('HTTP 422');
    expect(c.err.join('\n')).toContain('slack.defaultChannel is not set');
  });

  it('a wrong secret gets 401 from the bot: exit 1', async () => {
    hook = await fakeHook();
    const c = capture();
    expect(await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: 'wrong' }, fetch, c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('HTTP 401');
  });

  it.each([301, 302, 307, 308])('reports a %i redirect without following it (no GET, no signature sent elsewhere), exit 1', async (status) => {
    hook = await fakeHook([[status, {}]], { location: '/hooks/pipeline/' });
    const c = capture();
    const code = await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io);
    expect(code).toBe(1);
    expect(hook.received.map((r) => r.method)).toEqual(['POST']);
    expect(c.err.join('\n')).toContain(`the bot's URL redirects (HTTP ${status} to /hooks/pipeline/)`);
    expect(c.err.join('\n')).toContain('set MLOPS_HOOK_URL to the final URL');
    expect(c.sleeps).toEqual([]);
  });

  it('names the clock skew when a 401 comes from a clock 10 minutes behind the bot', async () => {
    hook = await fakeHook();
    const c = capture();
    const behind = () => new Date(Date.now() - 600_000);
    const code = await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, { ...c.io, now: behind });
    expect(code).toBe(1);
    expect(hook.received).toHaveLength(1);
    const match = /clock skew of (-?\d+) s \(this machine is \d+ s behind the bot; the limit is 300 s\): sync this machine's clock/.exec(c.err.join('\n'));
    expect(match).not.toBeNull();
    expect(Math.abs(Number(match?.[1]) + 600)).toBeLessThanOrEqual(2);
  });

  it('points at the secret, not the clock, for a 401 with clocks in sync', async () => {
    hook = await fakeHook();
    const c = capture();
    expect(await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: 'wrong' }, fetch, c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('check PIPELINE_WEBHOOK_SECRET');
    expect(c.err.join('\n')).not.toContain('clock skew');
  });

  it('names a setting the bot lacks (422 missing) and does not retry', async () => {
    hook = await fakeHook([
      [
        422,
        {
          error: 'MLOPS_CONFIG_INVALID',
          message: 'the bot cannot verify events: PIPELINE_WEBHOOK_SECRET is not set on the bot',
          missing: 'PIPELINE_WEBHOOK_SECRET',
        },
      ],
    ]);
    const c = capture();
    expect(await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io)).toBe(1);
    expect(hook.received).toHaveLength(1);
    expect(c.sleeps).toEqual([]);
    expect(c.err.join('\n')).toContain('the bot lacks the setting PIPELINE_WEBHOOK_SECRET');
  });

  it.each(['NaN', 'Infinity', '-Infinity', '1e999'])('refuses --metric f1=%s before sending, exit 2', async (value) => {
    hook = await fakeHook();
    const c = capture();
    const args = ['--type', 'evaluation.completed', '--model', 'm', '--version', '1.0.0', '--metric', `f1=${value}`];
    expect(await mlopsNotify(args, { MLOPS_HOOK_URL: hook.url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io)).toBe(2);
    expect(c.err.join('\n')).toContain(`--metric f1=${value}: expected a number`);
    expect(hook.received).toHaveLength(0);
  });

  it('gives up with exit 3 when the bot stays unreachable', async () => {
    hook = await fakeHook();
    const url = hook.url;
    await hook.close();
    const c = capture();
    const code = await mlopsNotify(EVAL_ARGS, { MLOPS_HOOK_URL: url, PIPELINE_WEBHOOK_SECRET: SECRET }, fetch, c.io);
    expect(code).toBe(3);
    expect(c.sleeps).toHaveLength(3);
    expect(c.err.at(-1)).toContain('gave up after 4 attempts');
    hook = await fakeHook(); // afterEach closes a live server
  });

  it('signs exactly like the bot: the reference vector', () => {
    const body = '{"id":"evt-1","type":"training.started","model":"fraud-detector","timestamp":"2026-11-24T10:00:00Z"}';
    expect(signBody('s3cret', 1795000000, body)).toBe('v0=8977297dc51dc5aee8637845983203a67b7aac70a88356480350b1d5313ab18d');
  });

  it('prints usage with --help', async () => {
    const c = capture();
    expect(await mlopsNotify(['--help'], {}, fetch, c.io)).toBe(0);
    expect(c.out[0]).toContain('Usage: mlops-notify');
  });
});
