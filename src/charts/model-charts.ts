import type { KnownBlock } from '@slack/types';
import type { BotDeps } from '../bot-deps';
import type { Candidate } from '../core/candidate';
import { compareVersions } from '../core/compare-versions';
import type { Logger } from '../observability/create-logger';
import {
  confusionMatrixSpec,
  endpointMetricsSpec,
  metricTrendSpec,
  type ChartSpec,
  type EndpointSeriesInput,
  type MetricTrendSpec,
  type VersionMetrics,
} from './chart-spec';
import { ChartFailure, createChartUploads } from './chart-uploads';

type ChartDeps = Pick<BotDeps, 'config' | 'store' | 'metrics' | 'slack' | 'candidates' | 'production'>;

/** The figures of every version of a model the bot knows: evaluated candidates and what reached production (newest production first). */
async function modelFigures(deps: ChartDeps, model: string) {
  const [candidates, history] = await Promise.all([deps.candidates.listByModel(model), deps.production.history(model)]);
  const versions: VersionMetrics[] = [...history, ...candidates.filter((o) => Object.keys(o.metrics).length > 0)].map((v) => ({
    version: v.version,
    metrics: v.metrics,
  }));
  return { candidates, history, versions };
}

/** The evaluation card's charts: the metric trend (if it has metrics) and the confusion matrix (if it has one, beside production's). */
export async function evaluationSpecs(deps: ChartDeps, c: Candidate): Promise<ChartSpec[]> {
  const model = deps.config.file.models[c.model];
  const { candidates, history, versions } = await modelFigures(deps, c.model);
  const production = history.find((r) => r.version !== c.version);
  const specs: ChartSpec[] = [];
  const trend = metricTrendSpec({
    model: c.model,
    candidate: { version: c.version, metrics: c.metrics },
    history: versions,
    ...(production !== undefined ? { productionVersion: production.version } : {}),
    directions: model?.metrics ?? {},
    ...(model?.primaryMetric !== undefined ? { primaryMetric: model.primaryMetric } : {}),
  });
  if (trend !== undefined) specs.push(trend);
  if (c.confusionMatrix !== undefined) {
    const prodCandidate =
      production?.candidateId !== undefined
        ? (candidates.find((o) => o.id === production.candidateId) ?? (await deps.candidates.get(production.candidateId)))
        : undefined;
    const cm = confusionMatrixSpec({
      model: c.model,
      candidate: { version: c.version, confusionMatrix: c.confusionMatrix },
      ...(production !== undefined && prodCandidate?.confusionMatrix !== undefined
        ? { production: { version: production.version, confusionMatrix: prodCandidate.confusionMatrix } }
        : {}),
    });
    if (cm !== undefined) specs.push(cm);
  }
  return specs;
}

/** `/mlops history`: the trend of the model's last versions, the newest highlighted, production marked; undefined without figures. */
export async function historyTrendSpec(deps: ChartDeps, model: string): Promise<MetricTrendSpec | undefined> {
  const { history, versions } = await modelFigures(deps, model);
  const newest = [...versions].sort((a, b) => compareVersions(a.version, b.version)).at(-1);
  if (newest === undefined) return undefined;
  const configured = deps.config.file.models[model];
  const production = history[0];
  return metricTrendSpec({
    model,
    // The newest record of the newest version (production's figures come first in `versions`).
    candidate: versions.filter((v) => v.version === newest.version).at(-1) ?? newest,
    history: versions,
    ...(production !== undefined ? { productionVersion: production.version } : {}),
    directions: configured?.metrics ?? {},
    ...(configured?.primaryMetric !== undefined ? { primaryMetric: configured.primaryMetric } : {}),
    highlight: 'latest',
  });
}

/**
 * The `image` block of `/mlops history`'s trend, or undefined (no figures yet, or the chart failed:
 * logged and counted, the answer goes out without it). Uploaded once per content, like the card's.
 */
export async function historyChartBlock(deps: ChartDeps, model: string, log: Logger): Promise<KnownBlock | undefined> {
  const spec = await historyTrendSpec(deps, model);
  return spec === undefined ? undefined : imageBlock(deps, spec, `${model}-history.png`, 'history_chart', log);
}

/**
 * `/mlops status <endpoint>`: the metrics the bot already read with GetMetricData, drawn by the
 * same renderer (not CloudWatch's GetMetricWidgetImage: see the README), deployments of the
 * model inside the window as vertical lines. Undefined without data or when the chart failed.
 */
export async function statusChartBlock(
  deps: ChartDeps,
  input: { endpoint: string; model?: string; series: readonly EndpointSeriesInput[]; from: Date; to: Date; periodSeconds?: number },
  log: Logger,
): Promise<KnownBlock | undefined> {
  const history = input.model !== undefined ? await deps.production.history(input.model) : [];
  const spec = endpointMetricsSpec({
    endpoint: input.endpoint,
    from: input.from,
    to: input.to,
    series: input.series,
    ...(input.periodSeconds !== undefined ? { periodSeconds: input.periodSeconds } : {}),
    deployments: history
      .filter((r) => r.endpoint === undefined || r.endpoint === input.endpoint)
      .map((r) => ({ at: new Date(r.deployedAt), version: r.version })),
  });
  return spec === undefined ? undefined : imageBlock(deps, spec, `${input.endpoint}-status.png`, 'status_chart', log);
}

async function imageBlock(deps: ChartDeps, spec: ChartSpec, filename: string, blockId: string, log: Logger): Promise<KnownBlock | undefined> {
  try {
    const { fileId } = await createChartUploads({ store: deps.store, slack: deps.slack, metrics: deps.metrics })(spec, filename);
    return { type: 'image', block_id: blockId, slack_file: { id: fileId }, alt_text: spec.altText, title: { type: 'plain_text', text: spec.title } };
  } catch (error) {
    const outcome = error instanceof ChartFailure ? error.outcome : 'upload_failed';
    deps.metrics.charts.inc({ chart: spec.kind, chart_outcome: outcome });
    log.warn({ err: error instanceof ChartFailure ? error.cause : error, chart: spec.kind, outcome }, 'charts: chart skipped; the answer goes without it');
    return undefined;
  }
}
