import { z } from 'zod';
import { describePrincipals, operatorsFor } from '../src/core/authorization';
import { ErrorCode, MlopsError } from '../src/core/errors';
import { resolveModel } from '../src/core/resolve-model';
import { listSchedules, pauseSchedule, resumeSchedule } from '../src/schedules';
import { noticeView } from '../views/notice-view';
import { scheduleView } from '../views/schedule-view';
import type { CommandSpec } from './command-spec';
import { parseCommandArgs } from './parse-command-args';

const scheduleLine = z.object({
  args: z.array(z.string()).max(60),
  options: z.strictObject({ reason: z.string().min(1).max(500).optional() }),
});

/** `schedule [model]` lists; `schedule <model> pause|resume [reason…]` steers (operators, audited). */
export function scheduleCommand(): CommandSpec {
  return {
    name: 'schedule',
    usage: 'schedule [model] [pause|resume] [reason…]',
    summary: 'retraining schedules and their next due times; pause or resume one',
    example: 'schedule fraud-detector pause data migration until Monday',
    details: [
      "Lists each model's `retrainSchedule` (cron, time zone, catch-up), its next due times, whether it is paused and what its last slot did.",
      '`pause` / `resume`: operators of the model only; the reason (the words after it, or `reason="…"`) goes to the audit log (`/mlops history`). Slots due while paused are skipped, not caught up on resume.',
    ].join('\n'),
    run: async (ctx) => {
      const { args, options } = parseCommandArgs(ctx.line, scheduleLine);
      const [modelArg, verb, ...rest] = args;
      if (verb === undefined) {
        const names = modelArg !== undefined ? [resolveModel(modelArg, ctx.deps.config.file).name] : Object.keys(ctx.deps.config.file.models);
        const lines = await listSchedules(ctx.deps, names);
        await ctx.respond({ ...scheduleView({ lines }), responseType: 'ephemeral' });
        return;
      }
      if (verb !== 'pause' && verb !== 'resume') {
        throw new MlopsError(ErrorCode.CommandInvalid, `expected \`pause\` or \`resume\` after the model, got "${verb.slice(0, 40)}"`, { verb });
      }
      const model = resolveModel(modelArg ?? '', ctx.deps.config.file);
      if (model.config.retrainSchedule === undefined) {
        throw new MlopsError(ErrorCode.CommandInvalid, `${model.name} has no \`retrainSchedule\` configured: there is nothing to ${verb}.`, {
          model: model.name,
        });
      }
      const operators = operatorsFor(ctx.deps.config.file, model.name);
      if (!(await ctx.deps.principals.includes(ctx.userId, operators, true))) {
        throw new MlopsError(ErrorCode.NotAuthorized, `Only operators of ${model.name} may ${verb} its schedule: ${describePrincipals(operators)}.`, {
          model: model.name,
          userId: ctx.userId,
        });
      }
      const reason = (options.reason ?? rest.join(' ')).trim().slice(0, 500) || 'no reason given';
      if (verb === 'pause') await pauseSchedule(ctx.deps, model.name, ctx.userId, reason);
      else await resumeSchedule(ctx.deps, model.name, ctx.userId, reason);
      const text = `Retraining schedule of ${model.name} ${verb === 'pause' ? 'paused' : 'resumed'} (reason: ${reason}).`;
      await ctx.respond({ ...noticeView({ emoji: verb === 'pause' ? ':double_vertical_bar:' : ':arrow_forward:', text }), responseType: 'in_channel' });
    },
  };
}
