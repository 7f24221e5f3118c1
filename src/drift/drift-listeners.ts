import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../bot-deps';
import { describePrincipals, operatorsFor } from '../core/authorization';
import { isMlopsError } from '../core/errors';
import { childLogger } from '../observability/create-logger';
import { ActionId } from '../slack/slack-ids';
import { ackThenWork, answerEphemeral, slackRequest, type SlackRequest } from '../slack/listener-kit';
import { requestTraining } from '../training';
import { escapeMrkdwn } from '../../views/format';
import { noticeView } from '../../views/notice-view';
import { trainingConfirmView } from '../../views/training-confirm-view';
import { loadDriftEvent, readDriftActions, refreshDriftAlert, setSnooze, updateDriftActions } from './drift-alerts';

/** The default snooze of the button; the time picker chooses any other end (at most 30 days ahead). */
const SNOOZE_MS = 24 * 60 * 60 * 1000;
const MAX_SNOOZE_MS = 30 * 24 * 60 * 60 * 1000;

const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  actions: z
    .array(
      z.object({
        value: z.string().min(1).max(200).optional(),
        block_id: z.string().max(255).optional(),
        selected_date_time: z.number().optional(),
      }),
    )
    .min(1),
});
type DriftClick = z.infer<typeof clickSchema>;

/**
 * Retrain and Snooze on a drift alert. Each click acks at once (listener kit), checks who
 * (operators of the model: the same rule as `/mlops train`, checked again by requestTraining),
 * stores what was done (compare-and-set on the alert's record, so a double click starts one
 * run) and re-renders the alert through the outbox; refusals are ephemeral.
 */
export function registerDriftListeners(app: App, deps: BotDeps): void {
  app.action(ActionId.DriftRetrain, async ({ ack, body, context }) => {
    const request = slackRequest(context);
    request.name = 'drift_retrain';
    await ackThenWork({ ack, context }, deps, () => retrain(deps, request, body));
  });
  // Both ids registered by name (not in a loop) so that test/deploy/manifest-check.test.ts can read them.
  const onSnooze: Parameters<App['action']>[1] = async ({ ack, body, context }) => {
    const request = slackRequest(context);
    request.name = 'drift_snooze';
    await ackThenWork({ ack, context }, deps, () => snooze(deps, request, body));
  };
  app.action(ActionId.DriftSnooze, onSnooze);
  app.action(ActionId.DriftSnoozeUntil, onSnooze);
}

/** The alert a click is about: the button's value, else the actions block id (`drift:<id>`, the time picker has no value). */
function alertIdOf(click: DriftClick): string | undefined {
  const action = click.actions[0];
  if (action?.value !== undefined) return action.value;
  return action?.block_id?.startsWith('drift:') === true ? action.block_id.slice('drift:'.length) : undefined;
}

async function retrain(deps: BotDeps, request: SlackRequest, body: unknown): Promise<string> {
  const click = clickSchema.safeParse(body);
  const alertId = click.success ? alertIdOf(click.data) : undefined;
  if (!click.success || alertId === undefined) {
    request.log.warn('drift Retrain click without an alert id; ignored');
    return 'invalid';
  }
  const event = await loadDriftEvent(deps.store, alertId);
  if (event === undefined) {
    await answerEphemeral(request, noticeView({ emoji: ':hourglass:', text: 'This alert is no longer known to the bot (expired); nothing was started.' }));
    return 'expired';
  }
  const userId = click.data.user.id;
  const log = childLogger(request.log, { model: event.model, driftAlert: alertId });
  const existing = (await readDriftActions(deps.store, alertId)).retrain;
  if (existing !== undefined) {
    await answerEphemeral(
      request,
      noticeView({ emoji: ':information_source:', text: `Retraining was already started from this alert (run ${existing.runId}).` }),
    );
    return 'conflict';
  }
  let outcome;
  try {
    outcome = await requestTraining(deps, {
      model: event.model,
      retrain: true,
      params: {},
      userId,
      channelId: click.data.channel?.id ?? deps.config.file.models[event.model]?.channel ?? '',
      origin: { reason: 'drift', driftAlertId: alertId, ...(event.drift !== undefined ? { signal: event.drift.signal } : {}) },
      log,
    });
  } catch (error) {
    if (!isMlopsError(error)) throw error;
    log.warn({ code: error.code, err: error }, 'drift retrain refused');
    await answerEphemeral(request, noticeView({ emoji: ':no_entry:', text: `Could not retrain ${event.model}: ${error.message}` }));
    return 'refused';
  }
  if (outcome.kind === 'needs-confirmation') {
    const asked = { by: userId, at: deps.clock.now().toISOString(), runId: outcome.runId };
    await updateDriftActions(deps.store, alertId, (a) => (a.retrain !== undefined ? undefined : { ...a, askedRetrain: asked }));
    // The same question as `/mlops train`: its Confirm starts the run with this alert as its origin.
    await answerEphemeral(
      request,
      trainingConfirmView({
        model: event.model,
        retrain: true,
        previous: outcome.previous,
        pendingId: outcome.pendingId,
        windowMinutes: deps.config.file.training.duplicateWindowMinutes,
        now: deps.clock.now(),
      }),
    );
    return 'confirming';
  }
  const started = outcome.started;
  const at = deps.clock.now().toISOString();
  const dagId = deps.config.file.models[event.model]?.trainingDag;
  await updateDriftActions(deps.store, alertId, (a) =>
    a.retrain !== undefined
      ? undefined
      : {
          ...a,
          retrain: {
            by: userId,
            at,
            runId: started.runId,
            ...(dagId !== undefined ? { dagId } : {}),
            ...(started.confirming !== undefined ? { confirming: true } : {}),
          },
        },
  );
  await refreshDriftAlert(deps, event);
  log.info({ run: started.runId }, 'retraining started from a drift alert');
  const where = started.posted !== undefined ? ` Updates follow in <#${started.posted.channel}>.` : '';
  const text = `Retraining of ${event.model} ${started.confirming !== undefined ? 'requested (being confirmed)' : 'started'} (run ${started.runId}).`;
  await answerEphemeral(request, noticeView({ emoji: ':white_check_mark:', text, mrkdwn: `${escapeMrkdwn(text)}${where}` }));
  return 'started';
}

async function snooze(deps: BotDeps, request: SlackRequest, body: unknown): Promise<string> {
  const click = clickSchema.safeParse(body);
  const alertId = click.success ? alertIdOf(click.data) : undefined;
  if (!click.success || alertId === undefined) {
    request.log.warn('drift Snooze click without an alert id; ignored');
    return 'invalid';
  }
  const event = await loadDriftEvent(deps.store, alertId);
  if (event?.drift === undefined) {
    await answerEphemeral(request, noticeView({ emoji: ':hourglass:', text: 'This alert is no longer known to the bot (expired); nothing was snoozed.' }));
    return 'expired';
  }
  const userId = click.data.user.id;
  const operators = operatorsFor(deps.config.file, event.model);
  if (!(await deps.principals.includes(userId, operators, true))) {
    await answerEphemeral(
      request,
      noticeView({ emoji: ':no_entry:', text: `Only operators of ${event.model} may snooze its alerts: ${describePrincipals(operators)}.` }),
    );
    return 'refused';
  }
  const now = deps.clock.now();
  const picked = click.data.actions[0]?.selected_date_time;
  const untilMs = picked !== undefined ? picked * 1000 : now.getTime() + SNOOZE_MS;
  if (!(untilMs > now.getTime()) || untilMs - now.getTime() > MAX_SNOOZE_MS) {
    await answerEphemeral(request, noticeView({ emoji: ':warning:', text: 'Pick a time in the future, at most 30 days ahead; nothing was snoozed.' }));
    return 'invalid';
  }
  const until = new Date(untilMs).toISOString();
  const { signal } = event.drift;
  await setSnooze(deps.store, event.model, signal, { until, by: userId }, now);
  await updateDriftActions(deps.store, alertId, (a) => ({ ...a, snooze: { until, by: userId } }));
  await refreshDriftAlert(deps, event);
  childLogger(request.log, { model: event.model, driftAlert: alertId }).info({ signal, until }, 'drift alerts snoozed');
  return 'snoozed';
}
