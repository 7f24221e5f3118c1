import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import { createAlarmRecorder } from '../../src/pipeline-events/record-event';
import { snsHookRoute } from '../../src/pipeline-events/sns-hook-route';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { cloudwatchAlarm, snsNotification, snsSubscriptionConfirmation, trainingJobStateChange } from '../fixtures/sns-messages';
import { createSnsSigner, forgerKeys } from '../fixtures/sns-signing';
import type { FakeSlackMessage } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';

const textOf = (m: FakeSlackMessage | undefined) => JSON.stringify(m?.blocks ?? []) + (m?.text ?? '');

async function until<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The SNS route of the real bot's deps (store, recorder, config, delivery worker) mounted with a
 * fetch that serves the test certificate in place of the download from the SNS host.
 */
describe('SNS entry point: signed messages in, Slack messages out', () => {
  let t: TestBot;
  let server: Server;
  let url: string;
  const signer = createSnsSigner();
  let failRecording = false;

  beforeAll(async () => {
    t = await startTestBot();
    const deps = t.bot.deps;
    const handler = snsHookRoute({
      config: deps.config.file,
      store: deps.store,
      recordEvent: (event, source, at) =>
        failRecording ? Promise.reject(new MlopsError(ErrorCode.StoreUnavailable, 'down')) : deps.recordEvent(event, source, at),
      recordAlarm: createAlarmRecorder({ store: deps.store }),
      clock: deps.clock,
      metrics: deps.metrics,
      fetch: signer.fetch,
    });
    server = createServer((req, res) => void handler(req, res, deps.logger));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sns`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.stop();
  });

  const post = (message: Record<string, unknown> | string, target = url) =>
    fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', ...(typeof message === 'object' ? { 'x-amz-sns-message-type': String(message['Type']) } : {}) },
      body: typeof message === 'string' ? message : JSON.stringify(message),
    });

  it('confirms a subscription by fetching its SubscribeURL on the SNS host, once', async () => {
    const confirmation = signer.sign(snsSubscriptionConfirmation());
    const res = await post(confirmation);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ confirmed: true });
    expect(signer.fetch.calls).toContain(confirmation['SubscribeURL']);
    const again = await post(confirmation);
    expect(await again.json()).toEqual({ confirmed: true, duplicate: true });
    expect(signer.fetch.calls.filter((u) => u === confirmation['SubscribeURL'])).toHaveLength(1);
  });

  it('records a pipeline event from a Notification (signature v2) once, even when SNS retries the same message', async () => {
    const event = evaluationCompleted({ model: 'churn-predictor', metrics: { auc: 0.93, logloss: 0.21 }, confusionMatrix: undefined });
    const message = signer.sign(snsNotification(event), '2');
    expect((await post(message)).status).toBe(202);
    const retry = await post(message);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ duplicate: true });
    const posted = await until(() => t.slack.messages('C0CHURN').find((m) => m.text.includes('churn-predictor 1.4.0 evaluated')));
    expect(textOf(posted)).toContain('AUC');
    await new Promise((r) => setTimeout(r, 600));
    expect(t.slack.messages('C0CHURN').filter((m) => m.text.includes('churn-predictor 1.4.0 evaluated'))).toHaveLength(1);
  });

  it('maps SageMaker training job state changes to training messages in one thread, collapsing repeated InProgress events', async () => {
    const jobName = `fraud-detector-2-0-0-${randomUUID().slice(0, 8)}`;
    const inProgress = trainingJobStateChange('InProgress', { jobName });
    expect((await post(signer.sign(snsNotification(inProgress)))).status).toBe(202);
    // SageMaker sends an event per secondary status: same job and status, so a duplicate.
    const again = { ...inProgress, id: randomUUID(), detail: { ...inProgress.detail, SecondaryStatus: 'Downloading' } };
    expect((await post(signer.sign(snsNotification(again)))).status).toBe(200);
    expect((await post(signer.sign(snsNotification(trainingJobStateChange('Completed', { jobName }))))).status).toBe(202);
    const top = await until(() => t.slack.messages('C0FRAUD').find((m) => m.thread_ts !== m.ts && textOf(m).includes(jobName) && m.text.includes('started')));
    const reply = await until(() => t.slack.messages('C0FRAUD').find((m) => m.thread_ts === top.ts && m.ts !== top.ts));
    expect(textOf(reply)).toContain('validation:f1');
    expect(textOf(reply)).toContain('0.91');
    expect(t.slack.messages('C0FRAUD').filter((m) => textOf(m).includes(jobName))).toHaveLength(2);
  });

  it('turns a CloudWatch alarm into a red alert in the model and alert channels, and its OK into a thread reply', async () => {
    const name = `fraud-detector-prod-latency-${randomUUID().slice(0, 6)}`;
    expect((await post(signer.sign(snsNotification(cloudwatchAlarm('ALARM', { AlarmName: name }))))).status).toBe(202);
    const inModel = await until(() => t.slack.messages('C0FRAUD').find((m) => m.text.includes(name)));
    const inAlerts = await until(() => t.slack.messages('C0ALERTS').find((m) => m.text.includes(name)));
    for (const m of [inModel, inAlerts]) {
      expect(textOf(m)).toContain('🔴');
      expect(textOf(m)).toContain('ModelLatency');
      expect(textOf(m)).toContain('Threshold Crossed');
      expect(textOf(m)).toContain('fraud-detector-prod');
    }
    expect((await post(signer.sign(snsNotification(cloudwatchAlarm('OK', { AlarmName: name }))))).status).toBe(202);
    await until(() => t.slack.messages('C0ALERTS').find((m) => m.thread_ts === inAlerts.ts && m.ts !== inAlerts.ts && m.text.includes('OK again')));
    await until(() => t.slack.messages('C0FRAUD').find((m) => m.thread_ts === inModel.ts && m.ts !== inModel.ts && m.text.includes('OK again')));
    expect((await post(signer.sign(snsNotification(cloudwatchAlarm('INSUFFICIENT_DATA', { AlarmName: name }))))).status).toBe(200);
  });

  it('refuses forged, off-host and wrong-topic messages without any request to another host, and records nothing', async () => {
    const before = signer.fetch.calls.length;
    const event = evaluationCompleted();
    const forger = createSnsSigner('us-east-1', forgerKeys());
    expect((await post(forger.sign(snsNotification(event)))).status).toBe(401);
    expect((await post(signer.sign(snsNotification(event, { SigningCertURL: 'https://attacker.example/cert.pem' })))).status).toBe(403);
    expect((await post(signer.sign(snsNotification(event, { TopicArn: 'arn:aws:sns:us-east-1:123456789012:someone-else' })))).status).toBe(403);
    expect((await post(signer.sign(snsSubscriptionConfirmation({ SubscribeURL: 'https://attacker.example/?Action=ConfirmSubscription' })))).status).toBe(403);
    const tampered = { ...signer.sign(snsNotification(event)), Message: JSON.stringify({ ...event, model: 'churn-predictor' }) };
    expect((await post(tampered)).status).toBe(401);
    // Only the (cached) SNS certificate could ever have been fetched: no new request at all.
    expect(signer.fetch.calls.slice(before)).toEqual([]);
    expect(await t.bot.deps.store.get(`event:${event.id}`)).toBeNull();
  });

  it('answers 400 for what is not an SNS message or event, 413 over 1 MiB, 422 without a channel and 503 when the store is down', async () => {
    expect((await post('{"Type":')).status).toBe(400);
    expect((await post({ Type: 'Notification', hello: 1 })).status).toBe(400);
    expect((await post(signer.sign(snsNotification({ not: 'an event' })))).status).toBe(400);
    const mismatched = await fetch(url, {
      method: 'POST',
      headers: { 'x-amz-sns-message-type': 'SubscriptionConfirmation' },
      body: JSON.stringify(signer.sign(snsNotification(evaluationCompleted()))),
    });
    expect(mismatched.status).toBe(400);
    expect((await post('x'.repeat(1024 * 1024 + 10))).status).toBe(413);
    const noChannels = snsHookRoute({
      config: { ...t.bot.deps.config.file, slack: {}, models: {} },
      store: t.bot.deps.store,
      recordEvent: t.bot.deps.recordEvent,
      recordAlarm: createAlarmRecorder({ store: t.bot.deps.store }),
      clock: t.bot.deps.clock,
      metrics: t.bot.deps.metrics,
      fetch: signer.fetch,
    });
    const side = createServer((req, res) => void noChannels(req, res, t.bot.deps.logger));
    await new Promise<void>((resolve) => side.listen(0, '127.0.0.1', resolve));
    try {
      const sideUrl = `http://127.0.0.1:${(side.address() as AddressInfo).port}/hooks/sns`;
      const unroutable = await post(signer.sign(snsNotification(evaluationCompleted())), sideUrl);
      expect(unroutable.status).toBe(422);
      expect(await unroutable.json()).toMatchObject({ missing: expect.stringContaining('slack.defaultChannel') });
      expect((await post(signer.sign(snsNotification(cloudwatchAlarm('ALARM'))), sideUrl)).status).toBe(422);
    } finally {
      side.closeAllConnections();
      await new Promise((resolve) => side.close(resolve));
    }
    failRecording = true;
    try {
      const res = await post(signer.sign(snsNotification(evaluationCompleted())));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
    } finally {
      failRecording = false;
    }
  });
});

describe('POST /hooks/sns on the running bot', () => {
  it('refuses an off-host, non-https, off-path or other-region certificate URL and a foreign topic, making no outbound request', async () => {
    const t = await startTestBot({ store: 'memory' });
    const outbound: string[] = [];
    const realFetch = globalThis.fetch;
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!target.startsWith(t.url)) outbound.push(target);
      return realFetch(input, init);
    });
    try {
      const signer = createSnsSigner();
      const post = (message: Record<string, unknown>) =>
        realFetch(`${t.url}/hooks/sns`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: JSON.stringify(message) });
      expect((await post(signer.sign(snsNotification(evaluationCompleted(), { SigningCertURL: 'https://attacker.example/x.pem' })))).status).toBe(403);
      expect((await post(signer.sign(snsNotification(evaluationCompleted(), { SigningCertURL: 'http://169.254.169.254/latest/meta-data.pem' })))).status).toBe(
        403,
      );
      expect((await post(signer.sign(snsNotification(evaluationCompleted(), { TopicArn: 'arn:aws:sns:us-east-1:999999999999:other' })))).status).toBe(403);
      // On the SNS host but not SNS's certificate path: a query string, a made-up path, another region.
      for (const url of [
        `${signer.certUrl}?next=https://attacker.example/`,
        'https://sns.us-east-1.amazonaws.com/redirect/SimpleNotificationService-0f.pem',
        signer.certUrl.replace('us-east-1', 'eu-west-1'),
      ]) {
        const res = await post(signer.sign(snsNotification(evaluationCompleted(), { SigningCertURL: url })));
        expect(res.status).toBe(403);
      }
      expect(outbound).toEqual([]);
    } finally {
      spy.mockRestore();
      await t.stop();
    }
  });
});
