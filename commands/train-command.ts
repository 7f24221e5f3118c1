import { z } from 'zod';
import { ErrorCode, isMlopsError, MlopsError } from '../src/core/errors';
import { resolveModel } from '../src/core/resolve-model';
import { requestTraining } from '../src/training';
import { SLASH_COMMAND } from '../src/slack/slack-ids';
import { commandErrorView } from '../views/command-error-view';
import { inlineCode, escapeMrkdwn } from '../views/format';
import { noticeView } from '../views/notice-view';
import { trainingConfirmView } from '../views/training-confirm-view';
import { trainingConfirmingView } from '../views/trigger-confirming-view';
import { trainingRequestedView } from '../views/training-requested-view';
import type { CommandContext, CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';
import { childLogger } from '../src/observability/create-logger';

/** `train <model> [key=value…]`: operators start the model's training DAG. */
export function trainCommand(): CommandSpec {
  return {
    name: 'train',
    usage: 'train <model> [key=value…]',
    summary: "start the model's training DAG, with optional parameters",
    example: 'train fraud-detector epochs=20 learning_rate=0.01',
    details: [
      'Triggers the model\'s `trainingDag` with conf `{model, requested_by, retrain: false, params}`; `key=value` pairs become `params` (strings, as typed; quote values with spaces: `note="new features"`).',
      'Posts "training … requested" in this channel; the run\'s pipeline updates follow in its thread.',
      'Operators only (config `operators`, or `models.<name>.operators`; everyone when empty). If the previous requested run has no outcome yet, you are asked to confirm before a second one starts.',
    ].join('\n'),
    run: (ctx) => runTraining(ctx, false),
  };
}

/** `retrain <model>`: operators start the training DAG with `retrain: true`. */
export function retrainCommand(): CommandSpec {
  return {
    name: 'retrain',
    usage: 'retrain <model>',
    summary: 'retrain the model on fresh data (training DAG with `retrain: true`)',
    example: 'retrain fraud-detector',
    details: [
      "Triggers the model's `trainingDag` with conf `{model, requested_by, retrain: true, params: {}}`; takes no parameters (use `train` for those).",
      'Posts "retraining … requested" in this channel; pipeline updates follow in its thread. Operators only; a second request while one has no outcome asks for confirmation.',
    ].join('\n'),
    run: (ctx) => runTraining(ctx, true),
  };
}

const MAX_PARAMS = 20;
/** Passed to the DAG as typed (strings): the DAG casts what it needs. */
const paramsSchema = z
  .record(z.string(), z.string().max(500, 'a parameter value is at most 500 characters'))
  .refine((p) => Object.keys(p).length <= MAX_PARAMS, `at most ${MAX_PARAMS} key=value parameters`);

const trainLine = z.object({ args: z.tuple([z.string()]), options: paramsSchema });
const retrainLine = z.object({ args: z.tuple([z.string()]), options: noOptions });

/** Failures of the trigger call itself: answered with what happened and whether anything started. */
const TRIGGER_FAILURES = new Set<string>([
  ErrorCode.TriggerFailed,
  ErrorCode.AwsAccessDenied,
  ErrorCode.AwsThrottled,
  ErrorCode.AwsTimeout,
  ErrorCode.AwsNotFound,
  ErrorCode.AwsFailed,
]);

/** `train` and `retrain`: the same path, retrain without parameters and with `retrain: true`. */
async function runTraining(ctx: CommandContext, retrain: boolean): Promise<void> {
  if (retrain && Object.keys(ctx.line.options).length > 0) {
    throw new MlopsError(ErrorCode.CommandInvalid, 'retrain takes no parameters; use `/mlops train <model> key=value…` to pass some');
  }
  const { args, options } = parseCommandArgs<{ args: [string]; options: Record<string, string> }>(ctx.line, retrain ? retrainLine : trainLine);
  const { name: model } = resolveModel(args[0], ctx.deps.config.file);
  const params: Record<string, string> = { ...options };
  const log = childLogger(ctx.log, { model });
  let outcome;
  try {
    outcome = await requestTraining(ctx.deps, { model, retrain, params, userId: ctx.userId, channelId: ctx.channelId, log });
  } catch (error) {
    if (!isMlopsError(error) || !TRIGGER_FAILURES.has(error.code)) throw error;
    log.warn({ code: error.code, err: error }, 'training could not be started');
    await ctx.respond({
      ...commandErrorView({
        command: SLASH_COMMAND,
        code: error.code,
        message: `Could not start ${retrain ? 'retraining' : 'training'} of ${model}: ${error.message}`,
        starting: true,
      }),
      responseType: 'ephemeral',
    });
    return;
  }

  if (outcome.kind === 'needs-confirmation') {
    await ctx.respond({
      ...trainingConfirmView({
        model,
        retrain,
        pendingId: outcome.pendingId,
        previous: outcome.previous,
        windowMinutes: ctx.deps.config.file.training.duplicateWindowMinutes,
        now: ctx.deps.clock.now(),
      }),
      responseType: 'ephemeral',
    });
    return;
  }
  const { started } = outcome;
  if (started.confirming !== undefined) {
    // The trigger's answer was unclear: not "nothing was started" (issue 10); the run is kept as requested.
    const dagId = ctx.deps.config.file.models[model]?.trainingDag ?? '';
    await ctx.respond({
      ...trainingConfirmingView({ model, dagId, runId: started.runId, reason: started.confirming.reason, outcome: 'confirming' }),
      responseType: 'ephemeral',
    });
    return;
  }
  if (started.posted === undefined) {
    // The bot may post nowhere (not invited): the command's own answer carries the news instead.
    await ctx.respond({
      ...trainingRequestedView({
        model,
        dagId: ctx.deps.config.file.models[model]?.trainingDag ?? '',
        runId: started.runId,
        requestedBy: ctx.userId,
        retrain,
        params,
      }),
      responseType: 'in_channel',
    });
  } else if (started.posted.channel !== ctx.channelId) {
    await ctx.respond({
      ...noticeView({
        emoji: ':white_check_mark:',
        text: `${retrain ? 'Retraining' : 'Training'} of ${model} started (run ${started.runId}). I cannot post in this channel, so its updates go to another channel.`,
        mrkdwn: `${retrain ? 'Retraining' : 'Training'} of ${escapeMrkdwn(model)} started (run ${inlineCode(started.runId, 250)}). I cannot post in this channel, so its updates go to <#${started.posted.channel}>.`,
      }),
      responseType: 'ephemeral',
    });
  }
}
