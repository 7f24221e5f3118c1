import { z } from 'zod';
import { collectModelOverviews } from '../src/home';
import { modelsView } from '../views/models-view';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';

const modelsLine = z.object({ args: z.array(z.string()).max(0), options: noOptions });

/** `models`: every configured model with what the bot and SageMaker know of it. */
export function modelsCommand(): CommandSpec {
  return {
    name: 'models',
    usage: 'models',
    summary: 'every configured model: deployed version, latest candidate, pending approvals, last failure',
    example: 'models',
    details: 'Also shows the newest SageMaker model of each name (ListModels); if AWS does not answer, that line says why and the rest still shows.',
    run: async (ctx) => {
      parseCommandArgs(ctx.line, modelsLine);
      const models = await collectModelOverviews(ctx.deps, { sagemaker: true }, ctx.log);
      await ctx.respond({ ...modelsView({ models, now: ctx.deps.clock.now() }), responseType: 'ephemeral' });
    },
  };
}
