import { z } from 'zod';
import { collectLineage } from '../src/lineage';
import { lineageView } from '../views/lineage-view';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';

const lineageLine = z.object({ args: z.union([z.tuple([z.string()]), z.tuple([z.string(), z.string()])]), options: noOptions });

/** `lineage <model|endpoint> [version]`: where what serves traffic (or a version) came from. */
export function lineageCommand(): CommandSpec {
  return {
    name: 'lineage',
    usage: 'lineage <model|endpoint> [version]',
    summary: 'where the version serving traffic (or a given one) came from: endpoint, approvals, runs, training job, commit, image, data',
    example: 'lineage fraud-detector-prod',
    details: [
      'The endpoint and its config, the deployed version, the candidate with its approvers and decision times, the deployment and training DAG runs, the SageMaker training job (DescribeTrainingJob: image, input channels, hyperparameters, instance, billable time), commit / image / data from the evaluation event, and the drift alert or schedule that started the run.',
      'Anything the bot never learned, or that AWS did not answer, is shown as unknown (with the reason), never guessed.',
    ].join('\n'),
    run: async (ctx) => {
      const { args } = parseCommandArgs(ctx.line, lineageLine);
      const facts = await collectLineage(ctx.deps, args[0], args[1], ctx.log);
      await ctx.respond({ ...lineageView(facts), responseType: 'ephemeral' });
    },
  };
}
