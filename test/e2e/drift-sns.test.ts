import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAlarmRecorder } from '../../src/pipeline-events/record-event';
import { snsHookRoute } from '../../src/pipeline-events/sns-hook-route';
import { processingJobEvent, scheduleStatusEvent } from '../fixtures/model-monitor-events';
import { snsNotification } from '../fixtures/sns-messages';
import { createSnsSigner } from '../fixtures/sns-signing';
import type { FakeSlackMessage } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { waitFor } from './approvals-helpers';

const textOf = (m: FakeSlackMessage | undefined) => JSON.stringify(m?.blocks ?? []) + (m?.text ?? '');

/** SageMaker Model Monitor → EventBridge → SNS (signed) → /hooks/sns → drift alert in Slack (issue 15). */
describe('Model Monitor executions with violations through SNS become drift alerts', () => {
  let t: TestBot;
  let server: Server;
  let url: string;
  const signer = createSnsSigner();

  beforeAll(async () => {
    t = await startTestBot();
    const deps = t.bot.deps;
    const handler = snsHookRoute({
      config: deps.config.file,
      store: deps.store,
      recordEvent: (event, source, at) => deps.recordEvent(event, source, at),
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

  const post = (message: Record<string, unknown>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      body: JSON.stringify(signer.sign(snsNotification(message))),
    });

  it('a processing job that completed with violations: one alert in the model channel with the count and the S3 report; the repeat is a duplicate', async () => {
    const event = processingJobEvent();
    expect((await post(event)).status).toBe(202);
    const alert = await waitFor(() => t.slack.messages('C0FRAUD').find((m) => m.text.includes('Data drift on fraud-detector')), 'the drift alert');
    expect(textOf(alert)).toContain('constraint_violations.json');
    expect(textOf(alert)).toContain('3 / 0');
    // SageMaker repeats state changes: the same execution is one event.
    const again = await post({ ...event, id: 'another-eventbridge-id' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
  });

  it('the schedule status shape maps too; executions without violations are ignored', async () => {
    const res = await post(scheduleStatusEvent());
    expect(res.status).toBe(202);
    await waitFor(() => t.slack.messages('C0CHURN').find((m) => m.text.includes('Quality drop on churn-predictor')), 'the quality alert');
    const clean = await post(processingJobEvent({ ExitMessage: 'Completed: Job completed successfully with no violations.' }));
    expect(clean.status).toBe(200);
    expect(await clean.json()).toEqual({ ignored: 'monitoring execution status Completed is not reported' });
  });
});
