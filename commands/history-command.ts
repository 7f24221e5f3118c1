import { z } from 'zod';
import { historyChartBlock } from '../src/charts';
import { resolveModel } from '../src/core/resolve-model';
import { waitAtMost } from '../src/core/time-limit';
import { historyView } from '../views/history-view';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';

const DEFAULT_ENTRIES = 10;
/** The trend image gets this long (render + upload, cached by content); the answer goes without it after that. */
const CHART_WAIT_MS = 2000;
const MAX_ENTRIES = 50;
const countMessage = `the count n must be a whole number from 1 to ${MAX_ENTRIES}`;
const count = z.coerce.number({ error: countMessage }).int(countMessage).min(1, countMessage).max(MAX_ENTRIES, countMessage);

const historyLine = z.object({ args: z.tuple([z.string(), count.optional()]), options: noOptions });

/** `history <model> [n]`: the audit log of a model, newest first. */
export function historyCommand(): CommandSpec {
  return {
    name: 'history',
    usage: 'history <model> [n]',
    summary: 'the last n decisions and deployments of a model (default 10, at most 50)',
    example: 'history fraud-detector 20',
    details:
      'Each line: when, version, what happened (approved, rejected, deployment started, deployed, rolled back, training requested…), who (or the pipeline), the primary metric and the DAG run.',
    run: async (ctx) => {
      const { args } = parseCommandArgs(ctx.line, historyLine);
      const { name: model } = resolveModel(args[0], ctx.deps.config.file);
      const limit = args[1] ?? DEFAULT_ENTRIES;
      const [entries, chart] = await Promise.all([ctx.deps.audit.recent(model, limit), waitAtMost(historyChartBlock(ctx.deps, model, ctx.log), CHART_WAIT_MS)]);
      const view = historyView({ model, entries, limit });
      // The trend above the table, under the header; the lines stay text (screen readers, search).
      const blocks = chart === undefined ? view.blocks : [...view.blocks.slice(0, 1), chart, ...view.blocks.slice(1)];
      await ctx.respond({ ...view, blocks, responseType: 'ephemeral' });
    },
  };
}
