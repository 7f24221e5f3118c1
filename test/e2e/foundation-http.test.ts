import { ErrorCode, MlopsError } from '../../src/core/errors';
import { MemoryStore } from '../../src/store/memory-store';
import { evaluationCompleted, trainingFailed } from '../fixtures/pipeline-events';
import { signV0, nowSeconds, slashCommandBody } from '../kit/sign-requests';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from '../kit/test-secrets';

describe('foundation over HTTP (real Bolt receiver, fake Slack, real Redis)', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => t.slack.reset());

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'redis' });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);
    expect(metrics).toMatch(/mlops_http_requests_total\{route="\/healthz",status="200"\} 1/);
    expect((await fetch(`${t.url}/nope`)).status).toBe(404);
    expect((await fetch(`${t.url}/hooks/pipeline`)).status).toBe(405);
  });

  it('answers /mlops help in the ack, ephemeral, listing every subcommand', async () => {
    const res = await t.command('help');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { response_type: string; text: string; blocks: unknown[] };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/\/mlops subcommands: help/);
    expect(JSON.stringify(body.blocks)).toContain('/mlops help [subcommand]');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/mlops_slack_requests_total\{kind="command",name="help",outcome="ok"\} 1/);
  });

  it('answers an unknown subcommand with help and a did-you-mean', async () => {
    const res = await t.command('hepl');
    const body = (await res.json()) as { text: string; response_type: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/`hepl` is not a \/mlops subcommand\. Did you mean `\/mlops help`\?/);
  });

  it('refuses Slack requests with a missing, wrong or stale signature (401) and runs nothing', async () => {
    const body = slashCommandBody({ text: 'help', responseUrl: t.slack.responseUrl() });
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      wrong: { 'x-slack-request-timestamp': String(nowSeconds()), 'x-slack-signature': signV0('not-the-secret', nowSeconds(), body) },
      stale: { 'x-slack-request-timestamp': String(nowSeconds() - 301), 'x-slack-signature': signV0(TEST_SIGNING_SECRET, nowSeconds() - 301, body) },
      tampered: { 'x-slack-request-timestamp': String(nowSeconds()), 'x-slack-signature': signV0(TEST_SIGNING_SECRET, nowSeconds(), body + 'x') },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await fetch(`${t.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
      expect(await res.text()).not.toContain('subcommands');
    }
    expect(t.slack.calls).toHaveLength(0);
  });

  it('records a signed pipeline event (202), then answers duplicates with 200', async () => {
    const event = evaluationCompleted();
    const first = await t.hook(event);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: true, id: event.id });
    const again = await t.hook(event);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, id: event.id });
    const stored = await t.bot.deps.store.get(`event:${event.id}`);
    expect((JSON.parse(stored ?? '{}') as { event: { model: string } }).event.model).toBe('fraud-detector');
    expect(t.logs.text()).toContain('pipeline event recorded');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/mlops_events_received_total\{source="hook",type="evaluation.completed",result="recorded"\} 1/);
    expect(metrics).toMatch(/mlops_events_received_total\{source="hook",type="evaluation.completed",result="duplicate"\} 1/);
  });

  it('answers 400 listing each problem for invalid events', async () => {
    const res = await t.hook({ id: 'x1', type: 'evaluation.completed', model: 'fraud-detector', timestamp: 'yesterday' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { problems: string[] };
    expect(body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^timestamp: /),
        'version: required for evaluation.completed',
        'metrics: required for evaluation.completed',
      ]),
    );
    const notJson = await t.hook('{"id":');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ problems: ['(body): not valid JSON'] });
    const failedWithoutError = await t.hook({ ...trainingFailed(), error: undefined });
    expect(failedWithoutError.status).toBe(400);
  });

  it('answers 401 for missing, wrong, stale and future signatures on the hook, recording nothing', async () => {
    const event = evaluationCompleted();
    const body = JSON.stringify(event);
    const post = (headers: Record<string, string>) =>
      fetch(`${t.url}/hooks/pipeline`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({})).status).toBe(401);
    expect((await t.hook(event, { secret: 'wrong-secret-wrong-secret' })).status).toBe(401);
    expect((await t.hook(event, { timestamp: nowSeconds() - 400 })).status).toBe(401);
    expect((await t.hook(event, { timestamp: nowSeconds() + 400 })).status).toBe(401);
    const ts = nowSeconds();
    expect(
      (await post({ 'x-mlops-request-timestamp': String(ts), 'x-mlops-signature': signV0(TEST_WEBHOOK_SECRET, ts, body.replace('1.4.0', '9.9.9')) })).status,
    ).toBe(401);
    expect(await t.bot.deps.store.get(`event:${event.id}`)).toBeNull();
  });

  it('answers 413 for bodies over 1 MiB', async () => {
    const huge = JSON.stringify({ ...evaluationCompleted(), padding: 'x'.repeat(1024 * 1024) });
    const res = await t.hook(huge);
    expect(res.status).toBe(413);
  });
});

describe('hook edge cases', () => {
  it('answers 422 naming the missing setting when there is no config file, and 503 when the store fails', async () => {
    class FailingStore extends MemoryStore {
      override async recordUnique(): Promise<boolean> {
        throw new MlopsError(ErrorCode.StoreUnavailable, 'the store (Redis) is not answering');
      }
    }
    const empty = await startTestBot({ fileConfig: null, store: 'memory' });
    try {
      const res = await empty.hook(evaluationCompleted());
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ error: 'MLOPS_EVENT_UNROUTABLE', missing: expect.stringMatching(/slack\.defaultChannel/) });
    } finally {
      await empty.stop();
    }
    const failing = await startTestBot({ overrides: { store: new FailingStore() } });
    try {
      const event = evaluationCompleted();
      const res = await failing.hook(event);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${failing.url}/readyz`)).status).toBe(200);
    } finally {
      await failing.stop();
    }
  });
});

describe('hook without PIPELINE_WEBHOOK_SECRET', () => {
  it('warns once at startup and answers every event with a non-retryable 422 naming the setting, recording nothing', async () => {
    const t = await startTestBot({ env: { PIPELINE_WEBHOOK_SECRET: undefined } });
    try {
      const warnings = t.logs.lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.msg.includes('PIPELINE_WEBHOOK_SECRET'));
      expect(warnings).toEqual([
        { ...warnings[0], level: 'warn', msg: expect.stringMatching(/^PIPELINE_WEBHOOK_SECRET is not set: \/hooks\/pipeline refuses every event with 422/) },
      ]);
      const event = evaluationCompleted();
      const res = await t.hook(event, { secret: 'any-secret-the-sender-has-1234' });
      expect(res.status).toBe(422);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await res.json()).toMatchObject({
        error: 'MLOPS_CONFIG_INVALID',
        missing: 'PIPELINE_WEBHOOK_SECRET',
        message: expect.stringContaining('PIPELINE_WEBHOOK_SECRET is not set on the bot'),
      });
      expect(await t.bot.deps.store.get(`event:${event.id}`)).toBeNull();
    } finally {
      await t.stop();
    }
  });
});
