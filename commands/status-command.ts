import { z } from 'zod';
import { statusChartBlock } from '../src/charts';
import { waitAtMost } from '../src/core/time-limit';
import { resolveStatusTarget } from '../src/core/resolve-status-target';
import { collectEndpointSummaries, inspectEndpoint, STATUS_WINDOW_MINUTES } from '../src/endpoints';
import { endpointStatusView } from '../views/endpoint-status-view';
import { endpointsSummaryView } from '../views/endpoints-summary-view';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';

/** The graph gets this long (render + upload, cached by content); the answer goes without it after that. */
const CHART_WAIT_MS = 2000;

const statusLine = z.object({ args: z.array(z.string()).max(1), options: noOptions });

/** `status [model|endpoint]`: one endpoint in detail with last hour's metrics, or every endpoint in a line. */
export function statusCommand(): CommandSpec {
  return {
    name: 'status',
    usage: 'status [model|endpoint]',
    summary: 'endpoint health: state, variants, deployed version and the last hour of metrics',
    example: 'status fraud-detector',
    details: [
      'With a model or endpoint name: SageMaker state, failure reason, last change, production variants (model, instances, weight), the version the bot deployed, and sparklines of the last hour: invocations, latency avg and p99 (ms), 4XX and 5XX errors, CPU and memory.',
      'Without an argument: one line per configured endpoint (state, version, invocations, p99, errors).',
    ].join('\n'),
    run: async (ctx) => {
      const { args } = parseCommandArgs(ctx.line, statusLine);
      const now = ctx.deps.clock.now();
      const typed = args[0];
      if (typed === undefined) {
        const rows = await collectEndpointSummaries(ctx.deps, now, ctx.log);
        await ctx.respond({ ...endpointsSummaryView({ rows, windowMinutes: STATUS_WINDOW_MINUTES, now }), responseType: 'ephemeral' });
        return;
      }
      const target = resolveStatusTarget(typed, ctx.deps.config.file);
      ctx.log.debug({ endpoint: target.endpoint, model: target.model }, 'status requested');
      const inspection = await inspectEndpoint(ctx.deps, target, now, ctx.log);
      const chart =
        'series' in inspection.metrics
          ? await waitAtMost(
              statusChartBlock(
                ctx.deps,
                {
                  endpoint: inspection.endpoint.name,
                  ...(inspection.model !== undefined ? { model: inspection.model } : {}),
                  series: inspection.metrics.series,
                  from: new Date(now.getTime() - STATUS_WINDOW_MINUTES * 60_000),
                  to: now,
                },
                ctx.log,
              ),
              CHART_WAIT_MS,
            )
          : undefined;
      const view = endpointStatusView({
        endpoint: inspection.endpoint,
        ...(inspection.model !== undefined ? { model: inspection.model } : {}),
        ...(inspection.deployed !== undefined ? { deployed: { version: inspection.deployed.version, deployedAt: inspection.deployed.deployedAt } } : {}),
        metrics: inspection.metrics,
        windowMinutes: STATUS_WINDOW_MINUTES,
        now,
      });
      // The graph under the header; the sparklines and figures stay text (screen readers, search).
      const blocks = chart === undefined ? view.blocks : [...view.blocks.slice(0, 1), chart, ...view.blocks.slice(1)];
      await ctx.respond({ ...view, blocks, responseType: 'ephemeral' });
    },
  };
}
