import type { App } from '@slack/bolt';
import { z } from 'zod';
import { commandErrorView } from '../../views/command-error-view';
import { escapeMrkdwn } from '../../views/format';
import { noticeView } from '../../views/notice-view';
import type { SlackMessage } from '../../views/slack-message';
import { trainingConfirmingView } from '../../views/trigger-confirming-view';
import type { BotDeps } from '../bot-deps';
import { isMlopsError } from '../core/errors';
import { confirmTraining } from './request-training';
import { pendingTraining } from './training-records';
import { ActionId, SLASH_COMMAND } from '../slack/slack-ids';
import { ackThenWork, answerEphemeral, slackRequest, type SlackRequest } from '../slack/listener-kit';
import { childLogger } from '../observability/create-logger';

const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ value: z.string().min(1).max(200) })).min(1),
});

/**
 * The Confirm / Cancel buttons of the "start another training?" question (an ephemeral message,
 * so only the user who asked sees them). Each click acks at once (listener kit: the work runs
 * after the ack in the shared post-ack limit), then takes the pending request atomically: a
 * double click, a click on both buttons, or a click after the 15-minute expiry starts nothing.
 * The question is replaced by the outcome.
 */
export function registerTrainActions(app: App, deps: BotDeps): void {
  // Each id registered by name (not in a loop) so that test/deploy/manifest-check.test.ts can read it.
  const onClick =
    (kind: 'confirm' | 'cancel'): Parameters<App['action']>[1] =>
    async ({ ack, body, context }) => {
      const request = slackRequest(context);
      request.name = kind === 'confirm' ? 'confirm_train' : 'cancel_train';
      await ackThenWork({ ack, context }, deps, () => answerClick(deps, request, body, kind));
    };
  app.action(ActionId.ConfirmTrain, onClick('confirm'));
  app.action(ActionId.CancelTrain, onClick('cancel'));
}

/** Takes the pending question and answers the click; returns the metric outcome. */
async function answerClick(deps: BotDeps, request: SlackRequest, body: unknown, kind: 'confirm' | 'cancel'): Promise<string> {
  const { log } = request;
  const replace = (view: SlackMessage) => answerEphemeral(request, view, { replaceOriginal: true });
  const click = clickSchema.safeParse(body);
  if (!click.success) {
    log.warn('training confirmation click without a request id; ignored');
    return 'invalid';
  }
  const userId = click.data.user.id;
  const id = click.data.actions[0]?.value ?? '';
  const pending = await pendingTraining(deps.store).take(id);
  if (pending === undefined) {
    await replace(
      noticeView({
        emoji: ':hourglass:',
        text: 'This question has expired or was already answered; nothing was started. Run the command again if you still want it.',
      }),
    );
    return 'expired';
  }
  if (pending.requestedBy !== userId) {
    // Cannot normally happen (the question is ephemeral): refuse without consuming someone else's choice.
    await pendingTraining(deps.store).save(pending);
    await answerEphemeral(request, { text: 'Only the user who asked can answer this question.' });
    return 'refused';
  }
  const what = pending.retrain ? 'retraining' : 'training';
  const runLog = childLogger(log, { model: pending.model, run: pending.runId });
  if (kind === 'cancel') {
    runLog.info('duplicate training request cancelled');
    await replace(noticeView({ emoji: ':x:', text: `Cancelled: no new ${what} of ${pending.model} was started.` }));
    return 'cancelled';
  }
  let result;
  try {
    result = await confirmTraining(deps, pending, runLog);
  } catch (error) {
    if (!isMlopsError(error)) throw error; // app.error answers and logs it
    runLog.warn({ code: error.code, err: error }, 'confirmed training could not be started');
    await replace(
      commandErrorView({ command: SLASH_COMMAND, code: error.code, message: `Could not start ${what} of ${pending.model}: ${error.message}`, starting: true }),
    );
    return 'refused';
  }
  if (result.confirming !== undefined) {
    // The trigger's answer was unclear: the run may exist and is kept (issue 10), not "started", not "failed".
    const dagId = deps.config.file.models[pending.model]?.trainingDag ?? '';
    await replace(trainingConfirmingView({ model: pending.model, dagId, runId: result.runId, reason: result.confirming.reason, outcome: 'confirming' }));
    return 'confirming';
  }
  const where = result.posted !== undefined ? ` Updates follow in <#${result.posted.channel}>.` : '';
  const started = `${pending.retrain ? 'Retraining' : 'Training'} of ${pending.model} started (run ${result.runId}).`;
  await replace(noticeView({ emoji: ':white_check_mark:', text: started, mrkdwn: `${escapeMrkdwn(started)}${where}` }));
  return 'started';
}
