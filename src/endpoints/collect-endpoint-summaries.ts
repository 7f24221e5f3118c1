import type { BotDeps } from '../bot-deps';
import type { Logger } from '../observability/create-logger';
import { configuredEndpoints } from '../core/configured-endpoints';
import { isMlopsError } from '../core/errors';
import { mapWithConcurrency } from '../core/map-with-concurrency';
import type { EndpointSummaryRow } from '../../views/endpoint-summary-line';
import { inspectEndpoint } from './inspect-endpoint';

/** At most this many endpoints are inspected at once (each is 3 AWS calls): no throttling bursts. */
export const ENDPOINT_CONCURRENCY = 4;

/**
 * One summary row per configured endpoint, inspected concurrently (bounded). An endpoint that
 * fails is a row with its problem; it never fails the whole list.
 */
export async function collectEndpointSummaries(deps: BotDeps, now: Date, log: Logger): Promise<EndpointSummaryRow[]> {
  return mapWithConcurrency(configuredEndpoints(deps.config.file), ENDPOINT_CONCURRENCY, async ({ endpoint, model }) => {
    try {
      const inspection = await inspectEndpoint(deps, { endpoint, model }, now, log);
      const row: EndpointSummaryRow = { endpoint, model, status: inspection.endpoint.status };
      if (inspection.deployed !== undefined) row.deployedVersion = inspection.deployed.version;
      if ('unavailable' in inspection.metrics) {
        row.metricsProblem = inspection.metrics.unavailable;
      } else {
        const by = new Map(inspection.metrics.series.map((s) => [s.key, s]));
        assign(row, 'invocations', by.get('invocations')?.total);
        assign(row, 'p99Ms', by.get('model_latency_p99')?.latest);
        assign(row, 'errors4xx', by.get('invocation_4xx_errors')?.total);
        assign(row, 'errors5xx', by.get('invocation_5xx_errors')?.total);
      }
      return row;
    } catch (error) {
      log.warn({ err: error, endpoint, model }, 'endpoint status unavailable');
      return { endpoint, model, problem: isMlopsError(error) ? error.message : 'unexpected error (logged)' };
    }
  });
}

function assign(row: EndpointSummaryRow, key: 'invocations' | 'p99Ms' | 'errors4xx' | 'errors5xx', value: number | undefined): void {
  if (value !== undefined) row[key] = value;
}
