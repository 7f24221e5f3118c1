import type { BotDeps } from '../bot-deps';
import type { Logger } from '../observability/create-logger';
import { ErrorCode, isMlopsError, MlopsError } from '../core/errors';
import type { EndpointDescription, EndpointInspector } from '../core/ports';
import type { ProductionRecord } from '../core/production-record';
import { summarizeEndpointMetrics, type EndpointMetricSummary } from '../core/summarize-endpoint-metrics';
import { createSingleFlight, type SingleFlight } from '../core/create-single-flight';

export const STATUS_WINDOW_MINUTES = 60;

/** A window `status <model|endpoint>` reads and draws: its length and the CloudWatch period that fits it. */
export interface StatusWindow {
  /** As typed: `3h`, `24h` or `7d`. */
  word: string;
  minutes: number;
  /** GetMetricData period: 180, 288 and 168 points per series, far under the 100,800 points one call returns. */
  periodSeconds: number;
}

/** `status <model|endpoint> [3h|24h|7d]`; the first is the default. */
export const STATUS_WINDOWS: readonly StatusWindow[] = [
  { word: '3h', minutes: 180, periodSeconds: 60 },
  { word: '24h', minutes: 1440, periodSeconds: 300 },
  { word: '7d', minutes: 10_080, periodSeconds: 3600 },
];
export const DEFAULT_STATUS_WINDOW = STATUS_WINDOWS[0] as StatusWindow;

/** The window for a typed word (case-insensitive), or undefined. */
export function findStatusWindow(word: string): StatusWindow | undefined {
  const typed = word.trim().toLowerCase();
  return STATUS_WINDOWS.find((w) => w.word === typed);
}

export interface EndpointInspection {
  endpoint: EndpointDescription;
  model?: string;
  deployed?: ProductionRecord;
  metrics: { series: EndpointMetricSummary[] } | { unavailable: string; code?: string };
}

/**
 * Concurrent inspections of one endpoint (a burst of `status`, several Home tabs opening) share
 * one set of AWS calls. Per bot: keyed by its deps, so bots in one process never share.
 */
const flights = new WeakMap<BotDeps, SingleFlight<EndpointInspection>>();

/**
 * One endpoint as `status` shows it: DescribeEndpoint (which must answer: its errors are the
 * command's errors) and, with its variants, ONE GetMetricData call over the window (the last hour by default), whose
 * failure only marks the metrics unavailable. The deployed version comes from the bot's store.
 */
export async function inspectEndpoint(
  deps: BotDeps,
  target: { endpoint: string; model?: string },
  now: Date,
  /** The request's logger (its id on every line); a shared inspection logs with the first caller's. */
  log: Logger,
  /** The metrics window; the last hour at 1-minute points when not given (Home tab, the summary). */
  window: { minutes: number; periodSeconds?: number } = { minutes: STATUS_WINDOW_MINUTES },
): Promise<EndpointInspection> {
  let flight = flights.get(deps);
  if (flight === undefined) flights.set(deps, (flight = createSingleFlight<EndpointInspection>()));
  const key = `${target.endpoint}\u0000${target.model ?? ''}\u0000${window.minutes}/${window.periodSeconds ?? ''}`;
  return flight.run(key, () => inspectNow(deps, target, now, log, window));
}

async function inspectNow(
  deps: BotDeps,
  target: { endpoint: string; model?: string },
  now: Date,
  log: Logger,
  window: { minutes: number; periodSeconds?: number },
): Promise<EndpointInspection> {
  const inspector = requireInspector(deps);
  const [endpoint, deployed] = await Promise.all([
    inspector.describeEndpoint(target.endpoint),
    target.model !== undefined ? deps.production.current(target.model) : Promise.resolve(undefined),
  ]);
  let metrics: EndpointInspection['metrics'];
  const variants = endpoint.variants.map((v) => v.variantName);
  if (variants.length === 0) {
    // Without variants there is nothing to query (and the inspector would describe again).
    metrics = { series: summarizeEndpointMetrics([]) };
  } else {
    try {
      const from = new Date(now.getTime() - window.minutes * 60_000);
      metrics = { series: summarizeEndpointMetrics(await inspector.endpointMetrics(target.endpoint, variants, from, now, window.periodSeconds)) };
    } catch (error) {
      metrics = isMlopsError(error) ? { unavailable: error.message, code: error.code } : { unavailable: 'CloudWatch did not answer as expected' };
      log.warn({ err: error, endpoint: target.endpoint, model: target.model }, 'endpoint metrics unavailable');
    }
  }
  return { endpoint, metrics, ...(target.model !== undefined ? { model: target.model } : {}), ...(deployed !== undefined ? { deployed } : {}) };
}

/** The SageMaker/CloudWatch inspector, or a plain-words error when the bot has none. */
function requireInspector(deps: BotDeps): EndpointInspector {
  if (deps.inspector === undefined) {
    throw new MlopsError(ErrorCode.AwsFailed, 'The bot has no AWS access configured, so it cannot read SageMaker or CloudWatch.');
  }
  return deps.inspector;
}
