import { TEST_SIGNING_SECRET } from '../kit/test-secrets';
import { slackHeaders } from '../kit/sign-requests';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { appHomeOpenedBody, sleep, startBotWithAws, waitFor } from './commands-kit';

async function openHome(t: TestBot, userId: string, tab: 'home' | 'messages' = 'home'): Promise<number> {
  const body = appHomeOpenedBody(userId, tab);
  const started = Date.now();
  const res = await fetch(`${t.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...slackHeaders(TEST_SIGNING_SECRET, body) },
    body,
  });
  await res.text();
  expect(res.status).toBe(200);
  return Date.now() - started;
}

interface PublishedView {
  type: string;
  blocks: { type: string; text?: { text: string } }[];
}
const published = (t: TestBot) =>
  t.slack.callsTo('views.publish').map((c) => ({ user: c.args['user_id'], view: c.args['view'] as PublishedView, ok: c.response?.['ok'] }));

describe('App Home tab', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
    await t.bot.deps.candidates.create({
      id: 'fraud-detector_1.5.0_x',
      model: 'fraud-detector',
      version: '1.5.0',
      state: 'pending',
      origin: 'evaluation',
      metrics: { f1: 0.93 },
      requiredApprovals: 1,
      approvals: [],
      attempt: 0,
      message: { channel: 'C0FRAUD', ts: '1795514400.000100' },
      createdAt: '2026-11-24T10:00:00Z',
      updatedAt: '2026-11-24T10:00:00Z',
      rev: 1,
    });
    await t.bot.deps.store.set(
      'model:churn-predictor:last-failure',
      JSON.stringify({ at: '2026-11-24T09:00:00Z', type: 'training.failed', message: 'Spot capacity not available' }),
    );
    await t.bot.deps.audit.append({ at: '2026-11-24T10:01:00Z', model: 'fraud-detector', version: '1.4.0', action: 'approved', actor: 'U0ALICE' });
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.slack.reset();
    t.aws.reset();
  });

  it('publishes a dashboard of models, endpoints and their status, pending approvals, failures and activity on open', async () => {
    const ackMs = await openHome(t, 'U0ALICE');
    expect(ackMs).toBeLessThan(1500);
    const [first] = await waitFor('views.publish', () => (published(t).length > 0 ? published(t) : undefined));
    expect(first).toMatchObject({ user: 'U0ALICE', ok: true });
    expect(first?.view.type).toBe('home');
    expect(first?.view.blocks.length).toBeLessThanOrEqual(100);
    const text = JSON.stringify(first?.view.blocks);
    expect(text).toContain('MLOps dashboard');
    expect(text).toContain('*fraud-detector* · <#C0FRAUD>');
    expect(text).toContain(':large_green_circle: *fraud-detector-prod* (fraud-detector) · InService');
    // The fake has no churn endpoint: that row says so, the rest still shows.
    expect(text).toContain(':grey_question: *churn-predictor-prod* (churn-predictor) · unavailable: Endpoint churn-predictor-prod does not exist');
    expect(text).toContain('• *fraud-detector* 1.5.0: 0 of 1 approval · <#C0FRAUD>');
    expect(text).toContain('• *churn-predictor* training.failed');
    expect(text).toContain('Spot capacity not available');
    expect(text).toContain(':white_check_mark: approved by <@U0ALICE>');
    // The Home tab skips ListModels (one AWS call per model per open is not worth it).
    expect(t.aws.callsTo('sagemaker', 'ListModels')).toHaveLength(0);
    expect(t.aws.callsTo('cloudwatch', 'GetMetricData')).toHaveLength(1);
  });

  it('is refreshed on every open', async () => {
    await openHome(t, 'U0BOB');
    await waitFor('first publish', () => (published(t).length === 1 ? true : undefined));
    expect(JSON.stringify(published(t)[0]?.view.blocks)).toContain('Deployed: nothing recorded yet');
    await t.bot.deps.production.recordDeployed({ model: 'fraud-detector', version: '1.5.0', metrics: {}, deployedAt: new Date().toISOString() });
    await openHome(t, 'U0BOB');
    await waitFor('second publish', () => (published(t).length === 2 ? true : undefined));
    expect(JSON.stringify(published(t)[1]?.view.blocks)).toContain('Deployed: *1.5.0*');
    expect(published(t).map((p) => p.user)).toEqual(['U0BOB', 'U0BOB']);
  });

  it('does nothing for the Messages tab', async () => {
    await openHome(t, 'U0ALICE', 'messages');
    await sleep(300);
    expect(published(t)).toHaveLength(0);
  });

  it('tolerates AWS errors per endpoint', async () => {
    t.aws.failNext('sagemaker', 'DescribeEndpoint', { error: { status: 400, type: 'AccessDeniedException', message: 'denied' } }, 10);
    await openHome(t, 'U0ALICE');
    const [view] = await waitFor('views.publish', () => (published(t).length > 0 ? published(t) : undefined));
    const text = JSON.stringify(view?.view.blocks);
    expect(text).toContain("*fraud-detector-prod* (fraud-detector) · unavailable: The bot's AWS role is not allowed to call sagemaker:DescribeEndpoint");
    expect(text).toContain('• *fraud-detector* 1.5.0');
  });
});

describe('App Home tab timing', () => {
  it('acks the event at once even when SageMaker takes 5 s', async () => {
    const t = await startBotWithAws({ requestTimeoutMs: 10_000, maxAttempts: 1 });
    try {
      t.aws.on('sagemaker', 'DescribeEndpoint', async () => {
        await sleep(5000);
        return undefined;
      });
      expect(await openHome(t, 'U0ALICE')).toBeLessThan(1500);
      expect(t.slack.callsTo('views.publish')).toHaveLength(0);
      await waitFor('views.publish', () => (t.slack.callsTo('views.publish').length > 0 ? true : undefined), 9000);
    } finally {
      await t.stop();
    }
  }, 20_000);
});
