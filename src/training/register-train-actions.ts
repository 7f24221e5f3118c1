import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { commandErrorView } from '../../views/command-error-view';
import { escapeMrkdwn } from '../../views/format';
import { noticeView } from '../../views/notice-view';
import type { SlackMessage } from '../../views/slack-message';
import { trainingConfirmingView } from '../../views/trigger-confirming-view';
import type { BotDeps } from '../bot-deps';
import { isMlopsError } from '../core/errors';
import { confirmTraining } from './confirm-training';
import { pendingTraining } from './pending-training';
import { ActionId, SLASH_COMMAND } from '../slack/slack-ids';
import { clickResponseUrl, respondInTime } from '../slack/respond-in-time';
import { childLogger } from '../observability/create-logger';
import { contextRequestId } from '../http/request-context';

type ClickArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ value: z.string().min(1).max(200) })).min(1),
});

/**
 * The Confirm / Cancel buttons of the "start another training?" question (an ephemeral message,
 * so only the user who asked sees them). Each click acks at once, then takes the pending
 * request atomically: a double click, a click on both buttons, or a click after the 15-minute
 * expiry starts nothing. The question is replaced by the outcome.
 */
export function registerTrainActions(app: App, deps: BotDeps): void {
  app.action(ActionId.ConfirmTrain, (args) => handle(deps, args as ClickArgs, 'confirm'));
  app.action(ActionId.CancelTrain, (args) => handle(deps, args as ClickArgs, 'cancel'));
}

async function handle(deps: BotDeps, args: ClickArgs, kind: 'confirm' | 'cancel'): Promise<void> {
  const started = process.hrtime.bigint();
  await args.ack();
  const name = kind === 'confirm' ? 'confirm_train' : 'cancel_train';
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  deps.metrics.slackAckDuration.observe({ kind: 'action', name }, seconds());
  const log = deps.logger.child({ requestId: contextRequestId(args.context), action: name, slackUser: (args.body.user as { id?: unknown } | undefined)?.id });
  const answer = async (message: Parameters<ClickArgs['respond']>[0]) => {
    // Not Bolt's respond(): that one has no timeout, and a hung response_url would hold a work slot.
    const respond = respondInTime(clickResponseUrl(args.body));
    if (respond === undefined) {
      log.warn('the click has no response_url: the user cannot be answered');
      return;
    }
    await respond(message).catch((error: unknown) => log.warn({ err: error }, 'could not answer the clicking user'));
  };
  const replace = (view: SlackMessage) => answer({ response_type: 'ephemeral', replace_original: true, text: view.text, blocks: view.blocks });
  let outcome = 'error';
  try {
    const click = clickSchema.safeParse(args.body);
    if (!click.success) {
      outcome = 'invalid';
      log.warn('training confirmation click without a request id; ignored');
      return;
    }
    const userId = click.data.user.id;
    const id = click.data.actions[0]?.value ?? '';
    const pending = await pendingTraining(deps.store).take(id);
    if (pending === undefined) {
      outcome = 'expired';
      await replace(
        noticeView({
          emoji: ':hourglass:',
          text: 'This question has expired or was already answered; nothing was started. Run the command again if you still want it.',
        }),
      );
      return;
    }
    if (pending.requestedBy !== userId) {
      // Cannot normally happen (the question is ephemeral): refuse without consuming someone else's choice.
      await pendingTraining(deps.store).save(pending);
      outcome = 'refused';
      await answer({ response_type: 'ephemeral', replace_original: false, text: 'Only the user who asked can answer this question.' });
      return;
    }
    const runLog = childLogger(log, { model: pending.model, run: pending.runId });
    if (kind === 'cancel') {
      outcome = 'cancelled';
      runLog.info('duplicate training request cancelled');
      await replace(noticeView({ emoji: ':x:', text: `Cancelled: no new ${pending.retrain ? 'retraining' : 'training'} of ${pending.model} was started.` }));
      return;
    }
    try {
      const result = await confirmTraining(deps, pending, runLog);
      if (result.confirming !== undefined) {
        // The trigger's answer was unclear: the run may exist and is kept (issue 10), not "started", not "failed".
        outcome = 'confirming';
        const dagId = deps.config.file.models[pending.model]?.trainingDag ?? '';
        await replace(trainingConfirmingView({ model: pending.model, dagId, runId: result.runId, reason: result.confirming.reason, outcome: 'confirming' }));
        return;
      }
      outcome = 'started';
      const where = result.posted !== undefined ? ` Updates follow in <#${result.posted.channel}>.` : '';
      const started = `${pending.retrain ? 'Retraining' : 'Training'} of ${pending.model} started (run ${result.runId}).`;
      await replace(noticeView({ emoji: ':white_check_mark:', text: started, mrkdwn: `${escapeMrkdwn(started)}${where}` }));
    } catch (error) {
      if (!isMlopsError(error)) throw error;
      outcome = 'refused';
      runLog.warn({ code: error.code, err: error }, 'confirmed training could not be started');
      await replace(
        commandErrorView({
          command: SLASH_COMMAND,
          code: error.code,
          message: `Could not start ${pending.retrain ? 'retraining' : 'training'} of ${pending.model}: ${error.message}`,
          starting: true,
        }),
      );
    }
  } catch (error) {
    log.error({ err: error }, `${name} click failed`);
    await replace(noticeView({ emoji: ':warning:', text: 'Something went wrong on our side; the error is logged.' }));
  } finally {
    deps.metrics.slackRequests.inc({ kind: 'action', name, outcome });
    deps.metrics.slackHandlerDuration.observe({ kind: 'action', name }, seconds());
  }
}
