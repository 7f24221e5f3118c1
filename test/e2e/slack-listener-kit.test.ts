/**
 * The listener kit (src/slack/listener-kit.ts) through the real Bolt receiver: one global
 * middleware gives each request its id, logger and metrics; ackThenWork bounds the work after the
 * ack and answers "busy" when the shared queue is full; app.error answers the user and logs with
 * the request's logger when a listener fails after its ack.
 */
import { createWorkLimiter } from '../../src/core/create-work-limiter';
import type { BotDeps } from '../../src/bot-deps';
import { slashCommandBody } from '../kit/sign-requests';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { nextResponse, sendCommand, waitFor } from './commands-kit';

async function requests(t: TestBot, labels: { kind: string; name: string; outcome: string }): Promise<number> {
  const metric = await t.bot.deps.metrics.slackRequests.get();
  return metric.values
    .filter((v) => v.labels.kind === labels.kind && v.labels.name === labels.name && v.labels.outcome === labels.outcome)
    .reduce((sum, v) => sum + v.value, 0);
}

describe('the listener kit', () => {
  let t: TestBot;
  let original: Pick<BotDeps, 'postAckWork' | 'production'>;
  beforeAll(async () => {
    t = await startTestBot({ store: 'memory' });
    original = { postAckWork: t.bot.deps.postAckWork, production: t.bot.deps.production };
  });
  afterEach(() => {
    Object.assign(t.bot.deps, original);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('a full post-ack queue: the command is acked, nothing runs, the user is told the bot is busy, counted busy', async () => {
    // One slot, no queue, and the slot held: the next command has nowhere to wait.
    const limiter = createWorkLimiter({ concurrency: 1, maxQueued: 0 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    expect(limiter.offer(() => held)).toBe(true);
    t.bot.deps.postAckWork = limiter;
    const before = await requests(t, { kind: 'command', name: 'status', outcome: 'busy' });
    const answered = t.slack.responses.length;
    const describes = t.aws.callsTo('sagemaker', 'DescribeEndpoint').length;

    const ack = await sendCommand(t, 'status fraud-detector');
    expect(ack.status).toBe(200);
    expect(ack.body).toBeUndefined();
    const answer = await nextResponse(t, answered);
    expect(answer.text).toMatch(/busy with many requests right now; nothing was done/);
    expect(answer.responseType).toBe('ephemeral');
    await waitFor('the busy count', async () => ((await requests(t, { kind: 'command', name: 'status', outcome: 'busy' })) > before ? true : undefined));
    expect(t.aws.callsTo('sagemaker', 'DescribeEndpoint')).toHaveLength(describes);
    expect(t.logs.lines.some((l) => l.includes('status refused: too much work queued') && l.includes('"requestId"'))).toBe(true);
    release();
  });

  it('a listener that throws after its ack: app.error tells the user, logs with the request id, counts an error, the bot carries on', async () => {
    t.bot.deps.production = {
      ...original.production,
      current: async () => {
        throw new TypeError('a bug in the feature');
      },
    };
    const before = await requests(t, { kind: 'command', name: 'status', outcome: 'error' });
    const answered = t.slack.responses.length;
    const ack = await sendCommand(t, 'status fraud-detector');
    expect(ack.status).toBe(200);
    const answer = await nextResponse(t, answered);
    expect(answer.text).toBe('Something went wrong on our side; the error is logged.');
    expect(answer.responseType).toBe('ephemeral');
    await waitFor('the error count', async () => ((await requests(t, { kind: 'command', name: 'status', outcome: 'error' })) > before ? true : undefined));
    const logged = t.logs.lines.find((l) => l.includes('a Slack command listener failed after its ack'));
    expect(logged).toBeDefined();
    const line = JSON.parse(logged!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', command: 'mlops', slackUser: expect.any(String), err: { message: 'a bug in the feature' } });
    expect(line['requestId']).toEqual(expect.any(String));

    Object.assign(t.bot.deps, original);
    const ok = t.slack.responses.length;
    expect((await sendCommand(t, 'status fraud-detector')).status).toBe(200);
    expect((await nextResponse(t, ok)).text).toContain('fraud-detector-prod');
  });

  it('the request id sent in X-Request-Id reaches the listener: its log lines carry it; the ack is timed under the subcommand name', async () => {
    const requestId = 'kit-request-0001';
    const before = t.logs.lines.length;
    const res = await t.slackPost(slashCommandBody({ text: 'status nobody-knows-this', responseUrl: t.slack.responseUrl('kit-rid') }), {
      'x-request-id': requestId,
    });
    expect(res.status).toBe(200);
    const refused = await waitFor('the refusal log line', () => t.logs.lines.slice(before).find((l) => l.includes('/mlops subcommand refused')));
    expect(JSON.parse(refused)).toMatchObject({ requestId, command: 'mlops', subcommand: 'status' });
    const metric = await t.bot.deps.metrics.slackAckDuration.get();
    const acks = metric.values.find((v) => v.metricName === 'mlops_slack_ack_duration_seconds_count' && v.labels.name === 'status');
    expect(acks?.value).toBeGreaterThan(0);
  });
});
