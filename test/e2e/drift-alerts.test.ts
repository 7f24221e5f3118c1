import { randomUUID } from 'node:crypto';
import { ActionId } from '../../src/slack/slack-ids';
import type { FakeSlackMessage } from '../kit/fake-slack-server';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { blockActionPayload, interactionBody } from '../kit/sign-requests';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { answers, handledClicks, triggerInvokes, waitFor, waitForAnswer } from './approvals-helpers';

/**
 * Drift alerts end to end (issue 15, contract 9): signed hook → recorded → outbox → fake Slack;
 * Retrain and Snooze through signed clicks to the real Bolt receiver, real Redis, fake Lambda.
 */
const OPERATOR = 'U0OSCAR';
const OTHER = 'U0MALLORY';
const MODEL = 'fraud-detector';
const CHANNEL = 'C0FRAUD';

const config = { ...SAMPLE_CONFIG, operators: { users: [OPERATOR], usergroups: [] } };

function textOf(message: FakeSlackMessage | undefined): string {
  return JSON.stringify(message?.blocks ?? []) + (message?.text ?? '');
}

function actionIds(message: FakeSlackMessage | undefined): string[] {
  const blocks = (message?.blocks ?? []) as { type: string; elements?: { action_id: string }[] }[];
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => (b.elements ?? []).map((e) => e.action_id));
}

function drift(overrides: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) {
  return {
    id: `drift-${randomUUID()}`,
    type: 'drift.detected',
    model: MODEL,
    timestamp: '2026-11-24T10:00:00Z',
    drift: { signal: 'data', metric: 'psi', value: 0.31, threshold: 0.2, feature: 'amount', reportUrl: 'https://evidently.example.com/r/1', ...detail },
    ...overrides,
  };
}

async function clickAlert(t: TestBot, actionId: string, alert: FakeSlackMessage, alertId: string, userId: string): Promise<string> {
  const responseId = `r-${randomUUID()}`;
  const name = actionId === ActionId.DriftRetrain ? 'drift_retrain' : 'drift_snooze';
  const before = await handledClicks(t, name);
  const res = await t.click({ actionId, value: alertId, userId, channelId: CHANNEL, messageTs: alert.ts, responseUrl: t.slack.responseUrl(responseId) });
  expect(res.status).toBe(200);
  await waitFor(async () => (await handledClicks(t, name)) > before, `the ${name} click to be handled`);
  return responseId;
}

describe('drift alerts (signed hook → outbox → Slack; Retrain and Snooze)', () => {
  let t: TestBot;
  beforeEach(async () => {
    t = await startTestBot({ fileConfig: config });
  });
  afterEach(async () => {
    await t.stop();
  });

  const rootsIn = (channel: string) => t.slack.messages(channel).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);

  it('posts the signal, metric, value against threshold, feature and report; groups the same model + signal; high severity also goes to the alert channel', async () => {
    const first = drift();
    expect((await t.hook(first)).status).toBe(202);
    const alert = await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Data drift')), 'the drift alert');
    const text = textOf(alert);
    expect(text).toContain('psi');
    expect(text).toContain('0.31 / 0.2');
    expect(text).toContain('amount');
    expect(text).toContain('https://evidently.example.com/r/1|report');
    expect(actionIds(alert)).toEqual([ActionId.DriftRetrain, ActionId.DriftSnooze, ActionId.DriftSnoozeUntil]);
    expect(t.slack.messages('C0ALERTS')).toHaveLength(0);

    // Same model + signal: a reply in the alert's thread, the root counts 2.
    expect((await t.hook(drift({}, { value: 0.4 }))).status).toBe(202);
    const reply = await waitFor(() => t.slack.messages(CHANNEL).find((m) => m.thread_ts === alert.ts && m.ts !== alert.ts), 'the grouped reply');
    expect(textOf(reply)).toContain('Alert 2');
    expect(actionIds(reply)).toEqual([]);
    await waitFor(() => textOf(t.slack.message(CHANNEL, alert.ts)).includes('2 alerts'), 'the root to count 2');

    // Another signal: its own alert. Severity high: the alert channel too.
    expect((await t.hook(drift({}, { signal: 'quality', metric: 'f1', value: 0.71, threshold: 0.85, severity: 'high', feature: undefined }))).status).toBe(202);
    const quality = await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Quality drop')), 'the quality alert');
    expect(quality.ts).not.toBe(alert.ts);
    const inAlerts = await waitFor(() => t.slack.messages('C0ALERTS').find((m) => m.text.includes('Quality drop')), 'the alert-channel copy');
    expect(textOf(inAlerts)).toContain(`<#${CHANNEL}>`);
  });

  it('Retrain: refused for a non-operator (nothing started); an operator starts one run with conf reason drift, the alert links to it; a second click starts nothing', async () => {
    const event = drift();
    await t.hook(event);
    const alert = await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Data drift')), 'the drift alert');

    const refused = await clickAlert(t, ActionId.DriftRetrain, alert, event.id, OTHER);
    expect(await waitForAnswer(t, refused)).toMatch(/Only operators of fraud-detector/);
    expect(triggerInvokes(t)).toHaveLength(0);

    const allowed = await clickAlert(t, ActionId.DriftRetrain, alert, event.id, OPERATOR);
    expect(await waitForAnswer(t, allowed)).toMatch(/Retraining of fraud-detector started/);
    const invokes = triggerInvokes(t);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]?.body.dag_name).toBe('fraud_detector_training');
    expect(invokes[0]?.body.conf).toEqual({ model: MODEL, requested_by: OPERATOR, retrain: true, reason: 'drift', params: {} });
    const runId = invokes[0]?.body.dag_run_id ?? '';
    await waitFor(() => textOf(t.slack.message(CHANNEL, alert.ts)).includes(`Retraining started by <@${OPERATOR}>`), 'the alert to link the run');
    const updated = t.slack.message(CHANNEL, alert.ts);
    expect(textOf(updated)).toContain(runId);
    expect(actionIds(updated)).not.toContain(ActionId.DriftRetrain);
    // The run remembers it was started by this alert (lineage, evaluation card).
    const run = await t.bot.deps.runs.get(`run:${runId}`);
    expect(run?.origin).toEqual({ reason: 'drift', driftAlertId: event.id, signal: 'data' });

    const again = await clickAlert(t, ActionId.DriftRetrain, alert, event.id, OPERATOR);
    expect(await waitForAnswer(t, again)).toMatch(/already started from this alert/);
    expect(triggerInvokes(t)).toHaveLength(1);

    // The run's evaluation card says the drift alert started it; so does /mlops lineage.
    const evaluation = evaluationCompleted({ run: { dagId: 'fraud_detector_training', runId }, version: '1.5.0' });
    expect((await t.hook(evaluation)).status).toBe(202);
    const card = await waitFor(() => t.slack.messages(CHANNEL).find((m) => m.text.includes('1.5.0 evaluated')), 'the evaluation card');
    expect(textOf(card)).toContain(`started by drift alert \`${event.id}\` (data drift), Retrain by <@${OPERATOR}>`);
    const lineageId = `r-${randomUUID()}`;
    await t.command(`lineage ${MODEL} 1.5.0`, { userId: OTHER, channelId: CHANNEL, responseUrl: t.slack.responseUrl(lineageId) });
    expect(await waitForAnswer(t, lineageId)).toContain(`Retrain on drift alert \`${event.id}\` (data) by <@${OPERATOR}>`);
  });

  it('Retrain goes through the duplicate guard of /mlops train: with a run still open it asks first and starts nothing; Confirm starts it (reason drift) and the alert names it at its next refresh', async () => {
    const res = await t.command(`train ${MODEL}`, { userId: OPERATOR, channelId: CHANNEL });
    expect(res.status).toBe(200);
    await waitFor(() => triggerInvokes(t).length === 1, 'the /mlops train run');
    const event = drift();
    await t.hook(event);
    const alert = await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Data drift')), 'the drift alert');
    const responseId = await clickAlert(t, ActionId.DriftRetrain, alert, event.id, OPERATOR);
    expect(await waitForAnswer(t, responseId)).toMatch(/already has a training run requested/);
    expect(answers(t, responseId).join(' ')).toContain(ActionId.ConfirmTrain);
    expect(triggerInvokes(t)).toHaveLength(1);

    // Confirmed: the run starts with conf reason drift; the alert names it at its next refresh (here: a grouped alert).
    const pendingId = /"action_id":"mlops_confirm_train"[^}]*"value":"([^"]+)"/.exec(answers(t, responseId).join(' '))?.[1] ?? '';
    const confirmRes = await t.click({ actionId: ActionId.ConfirmTrain, value: pendingId, userId: OPERATOR, channelId: CHANNEL, messageTs: alert.ts });
    expect(confirmRes.status).toBe(200);
    const second = await waitFor(() => triggerInvokes(t)[1], 'the confirmed retraining');
    expect(second.body.conf).toMatchObject({ retrain: true, reason: 'drift' });
    expect((await t.hook(drift({}, { value: 0.45 }))).status).toBe(202);
    await waitFor(
      () =>
        textOf(t.slack.message(CHANNEL, alert.ts)).includes(`Retraining started by <@${OPERATOR}>`) &&
        textOf(t.slack.message(CHANNEL, alert.ts)).includes(second.body.dag_run_id),
      'the alert to name the confirmed run',
    );
  });

  it('Snooze: refused for a non-operator; an operator silences model + signal for 24 h and the alert says so; other signals still alert', async () => {
    const event = drift();
    await t.hook(event);
    const alert = await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Data drift')), 'the drift alert');

    const refused = await clickAlert(t, ActionId.DriftSnooze, alert, event.id, OTHER);
    expect(await waitForAnswer(t, refused)).toMatch(/Only operators of fraud-detector may snooze/);
    expect(textOf(t.slack.message(CHANNEL, alert.ts))).not.toContain('snoozed');

    const now = t.bot.deps.clock.now().getTime();
    await clickAlert(t, ActionId.DriftSnooze, alert, event.id, OPERATOR);
    await waitFor(() => textOf(t.slack.message(CHANNEL, alert.ts)).includes(`snoozed by <@${OPERATOR}>`), 'the alert to say it is snoozed');
    const until = /<!date\^(\d+)\^/.exec(textOf(t.slack.message(CHANNEL, alert.ts)).split('snoozed by')[1] ?? '')?.[1];
    expect(Number(until) * 1000 - now).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 60_000);
    expect(Number(until) * 1000 - now).toBeLessThanOrEqual(24 * 3600 * 1000 + 60_000);

    const before = t.slack.messages(CHANNEL).length;
    const silenced = drift({}, { value: 0.5 });
    expect((await t.hook(silenced)).status).toBe(202);
    // A later event of another signal is posted: once it is there, the snoozed one was planned before it (one queue).
    expect((await t.hook(drift({}, { signal: 'prediction', metric: 'js', value: 0.3, threshold: 0.1 }))).status).toBe(202);
    await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Prediction drift')), 'the prediction alert');
    expect(t.slack.messages(CHANNEL)).toHaveLength(before + 1);
    expect(t.slack.messages(CHANNEL).some((m) => m.text.includes('0.5'))).toBe(false);
  });

  it('Snooze until a chosen time (the time picker): the alert shows that time; a time in the past is refused', async () => {
    const event = drift();
    await t.hook(event);
    const alert = await waitFor(() => rootsIn(CHANNEL).find((m) => m.text.includes('Data drift')), 'the drift alert');
    const pick = async (seconds: number) => {
      const responseId = `r-${randomUUID()}`;
      const payload = blockActionPayload({
        actionId: ActionId.DriftSnoozeUntil,
        value: 'unused',
        userId: OPERATOR,
        channelId: CHANNEL,
        messageTs: alert.ts,
        responseUrl: t.slack.responseUrl(responseId),
      }) as { actions: Record<string, unknown>[] };
      // A datetimepicker click carries the block id and the picked time, no value.
      payload.actions = [{ type: 'datetimepicker', action_id: ActionId.DriftSnoozeUntil, block_id: `drift:${event.id}`, selected_date_time: seconds }];
      const before = await handledClicks(t, 'drift_snooze');
      expect((await t.slackPost(interactionBody(payload))).status).toBe(200);
      await waitFor(async () => (await handledClicks(t, 'drift_snooze')) > before, 'the time picker click');
      return responseId;
    };
    const nowSeconds = Math.floor(t.bot.deps.clock.now().getTime() / 1000);
    const past = await pick(nowSeconds - 3600);
    expect(await waitForAnswer(t, past)).toMatch(/in the future/);
    const target = nowSeconds + 3 * 3600;
    await pick(target);
    await waitFor(() => textOf(t.slack.message(CHANNEL, alert.ts)).includes(`<!date^${target}^`), 'the alert to show the chosen time');
  });
});
