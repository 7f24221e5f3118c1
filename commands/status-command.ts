import { z } from 'zod';
import { statusChartBlock } from '../src/charts';
import { waitAtMost } from '../src/core/time-limit';
import { resolveStatusTarget } from '../src/core/resolve-status-target';
import { ErrorCode, MlopsError } from '../src/core/errors';
import { collectEndpointSummaries, DEFAULT_STATUS_WINDOW, findStatusWindow, inspectEndpoint, STATUS_WINDOW_MINUTES, STATUS_WINDOWS } from '../src/endpoints';
import { endpointStatusView } from '../views/endpoint-status-view';
import { endpointsSummaryView } from '../views/endpoints-summary-view';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';

/** The graph gets this long (render + upload, cached by content); the answer goes without it after that. */
const CHART_WAIT_MS = 2000;

const statusLine = z.object({ args: z.array(z.string()).max(2), options: noOptions });

const WINDOW_WORDS = STATUS_WINDOWS.map((w) => w.word).join('|');

/** `status [model|endpoint] [3h|24h|7d]`: one endpoint in detail over a window (3 h by default), or every endpoint in a line. */
export function statusCommand(): CommandSpec {
  return {
    name: 'status',
    usage: `status [model|endpoint] [${WINDOW_WORDS}]`,
    summary: 'endpoint health: state, variants, deployed version and a graph of the last 3 hours (or 24h, 7d) of metrics',
    example: 'status fraud-detector',
    details: [
      'With a model or endpoint name: SageMaker state, failure reason, last change, production variants (model, instances, weight), the version the bot deployed, and a graph with sparklines of the window: invocations, latency avg and p99 (ms), 4XX and 5XX errors, CPU and memory, deployments as vertical lines.',
      `The window: 3h (default, 1-minute points), 24h (5-minute points) or 7d (1-hour points), e.g. \`status fraud-detector 24h\`.`,
      'Without an argument: one line per configured endpoint (state, version, invocations, p99 over the last hour, errors).',
    ].join('\n'),
    run: async (ctx) => {
      const { args } = parseCommandArgs(ctx.line, statusLine);
      const now = ctx.deps.clock.now();
      const [typed, windowWord] = args;
      if (typed === undefined) {
        const rows = await collectEndpointSummaries(ctx.deps, now, ctx.log);
        await ctx.respond({ ...endpointsSummaryView({ rows, windowMinutes: STATUS_WINDOW_MINUTES, now }), responseType: 'ephemeral' });
        return;
      }
      const window = windowWord === undefined ? DEFAULT_STATUS_WINDOW : findStatusWindow(windowWord);
      if (window === undefined) {
        throw new MlopsError(
          ErrorCode.CommandInvalid,
          `unknown window \`${windowWord?.slice(0, 40) ?? ''}\`: give one of ${STATUS_WINDOWS.map((w) => `\`${w.word}\``).join(', ')} (default 3h), e.g. \`status ${typed.slice(0, 40)} 24h\``,
        );
      }
      const target = resolveStatusTarget(typed, ctx.deps.config.file);
      ctx.log.debug({ endpoint: target.endpoint, model: target.model, window: window.word }, 'status requested');
      const inspection = await inspectEndpoint(ctx.deps, target, now, ctx.log, window);
      const chart =
        'series' in inspection.metrics
          ? await waitAtMost(
              statusChartBlock(
                ctx.deps,
                {
                  endpoint: inspection.endpoint.name,
                  ...(inspection.model !== undefined ? { model: inspection.model } : {}),
                  series: inspection.metrics.series,
                  from: new Date(now.getTime() - window.minutes * 60_000),
                  to: now,
                  periodSeconds: window.periodSeconds,
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
        windowMinutes: window.minutes,
        periodSeconds: window.periodSeconds,
        now,
      });
      // The graph under the header; the sparklines and figures stay text (screen readers, search).
      const blocks = chart === undefined ? view.blocks : [...view.blocks.slice(0, 1), chart, ...view.blocks.slice(1)];
      await ctx.respond({ ...view, blocks, responseType: 'ephemeral' });
    },
  };
}
