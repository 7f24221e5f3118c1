import { compareVersions } from '../core/compare-versions';

/**
 * Chart specs: what a chart shows, decided from the data alone (pure, no I/O, no clock), so tests
 * snapshot the spec rather than the pixels. render-chart.ts draws a spec; nothing here knows SVG.
 */

/** The candidate's colour in every chart (tests look for it in the decoded PNG). */
export const CANDIDATE_COLOUR = '#e8590c';
export const SERIES_COLOUR = '#1c7ed6';
export const PRODUCTION_COLOUR = '#2b8a3e';

/** Versions shown in a trend, the candidate's included. */
export const MAX_TREND_VERSIONS = 12;
/** The primary metric and up to three others. */
export const MAX_TREND_METRICS = 4;
/** Slack's limit for an image block's alt_text. */
const MAX_ALT_TEXT = 2000;

export type Direction = 'maximize' | 'minimize';

/** One version's figures, as stored on its candidate. */
export interface VersionMetrics {
  version: string;
  metrics: Record<string, number>;
}

export interface TrendPanel {
  metric: string;
  direction: Direction;
  primary: boolean;
  /** One value per version of the spec (null: that version did not report the metric). */
  values: (number | null)[];
}

export interface MetricTrendSpec {
  kind: 'metric-trend';
  title: string;
  versions: string[];
  /** The highlighted version (the candidate, or the newest for `/mlops history`) and what it is. */
  candidateIndex: number;
  highlight: 'candidate' | 'latest';
  productionIndex?: number;
  panels: TrendPanel[];
  altText: string;
}

export interface HeatmapPanel {
  title: string;
  role: 'candidate' | 'production';
  labels: string[];
  matrix: number[][];
  /** Per true class (row): correct / row total; null for an empty row. */
  recall: (number | null)[];
}

export interface ConfusionMatrixSpec {
  kind: 'confusion-matrix';
  title: string;
  panels: HeatmapPanel[];
  altText: string;
}

export interface TimeLine {
  label: string;
  /** Minutes since the window's start (ms precision lost on purpose: the spec stays small and stable). */
  points: { minute: number; value: number }[];
}

export interface TimePanel {
  title: string;
  unit: 'count' | 'ms' | 'percent';
  lines: TimeLine[];
}

export interface EndpointMetricsSpec {
  kind: 'endpoint-metrics';
  title: string;
  from: string;
  to: string;
  minutes: number;
  panels: TimePanel[];
  /** Deployments inside the window, as vertical lines. */
  markers: { minute: number; label: string }[];
  altText: string;
}

export type ChartSpec = MetricTrendSpec | ConfusionMatrixSpec | EndpointMetricsSpec;

/** One endpoint metric series as the bot reads it from GetMetricData (src/core/summarize-endpoint-metrics.ts). */
export interface EndpointSeriesInput {
  key: string;
  label: string;
  unit: 'count' | 'ms' | 'percent';
  points: { at: Date; value: number }[];
}

const ENDPOINT_PANELS: { title: string; unit: TimePanel['unit']; keys: string[] }[] = [
  { title: 'Invocations (per {period})', unit: 'count', keys: ['invocations'] },
  { title: 'ModelLatency (ms)', unit: 'ms', keys: ['model_latency_avg', 'model_latency_p99'] },
  { title: 'Errors (per {period})', unit: 'count', keys: ['invocation_4xx_errors', 'invocation_5xx_errors'] },
  { title: 'CPU and memory (%)', unit: 'percent', keys: ['cpu_utilization', 'memory_utilization'] },
];

/** `/mlops status <endpoint>`: invocations, latency, errors and CPU/memory over the window, deployments marked; undefined when no series has a point. */
export function endpointMetricsSpec(input: {
  endpoint: string;
  from: Date;
  to: Date;
  series: readonly EndpointSeriesInput[];
  deployments: readonly { at: Date; version: string }[];
  /** Seconds per point (60 when not given): counts are per this period. */
  periodSeconds?: number;
}): EndpointMetricsSpec | undefined {
  if (!input.series.some((s) => s.points.length > 0)) return undefined;
  const start = input.from.getTime();
  const minuteOf = (d: Date): number => Math.round((d.getTime() - start) / 60_000);
  const minutes = Math.max(1, minuteOf(input.to));
  const period = input.periodSeconds ?? 60;
  const periodText =
    period === 60 ? 'minute' : period % 3600 === 0 ? (period === 3600 ? 'hour' : `${period / 3600} hours`) : `${Math.round(period / 60)} minutes`;
  const panels: TimePanel[] = ENDPOINT_PANELS.map((p) => ({
    title: p.title.replace('{period}', periodText),
    unit: p.unit,
    lines: p.keys.flatMap((key) => {
      const s = input.series.find((x) => x.key === key);
      return s === undefined ? [] : [{ label: s.label, points: s.points.map((pt) => ({ minute: minuteOf(pt.at), value: pt.value })) }];
    }),
  }));
  const markers = input.deployments
    .filter((d) => d.at.getTime() >= start && d.at.getTime() <= input.to.getTime())
    .map((d) => ({ minute: minuteOf(d.at), label: `deployed ${d.version}` }));
  const summary = panels
    .flatMap((p) => p.lines)
    .map((l) => {
      const values = l.points.map((pt) => pt.value);
      if (values.length === 0) return `${l.label}: no data.`;
      return `${l.label}: latest ${formatValue(values[values.length - 1] ?? 0)}, max ${formatValue(Math.max(...values))}.`;
    });
  const span = minutes >= 2880 ? `${Math.round(minutes / 1440)} days` : minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`;
  const altText = clip(
    [
      `Line charts of ${input.endpoint} over the last ${span}: invocations, model latency, 4XX/5XX errors, CPU and memory.`,
      ...(markers.length > 0 ? [`Deployments marked: ${markers.map((m) => m.label).join(', ')}.`] : []),
      ...summary,
    ].join(' '),
  );
  return {
    kind: 'endpoint-metrics',
    title: `${input.endpoint}: last ${span}`,
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    minutes,
    panels,
    markers,
    altText,
  };
}

export interface TrendInput {
  model: string;
  candidate: VersionMetrics;
  /** Other versions of the model (any order, duplicates and the candidate itself ignored). */
  history: readonly VersionMetrics[];
  productionVersion?: string;
  directions: Record<string, Direction>;
  primaryMetric?: string;
  /** What the highlighted version is: an evaluation's candidate (default), or the newest version (`/mlops history`). */
  highlight?: 'candidate' | 'latest';
}

/** The metrics shown: the primary first, then the configured ones (config order), then the rest by name; at most four. */
function chosenMetrics(input: TrendInput): string[] {
  const reported = new Set(Object.keys(input.candidate.metrics));
  const ordered = [...(input.primaryMetric !== undefined ? [input.primaryMetric] : []), ...Object.keys(input.directions), ...[...reported].sort()];
  return [...new Set(ordered.filter((m) => reported.has(m)))].slice(0, MAX_TREND_METRICS);
}

/** The primary metric (and up to three others) across the model's last versions, the candidate's included; undefined when nothing numeric can be drawn. */
export function metricTrendSpec(input: TrendInput): MetricTrendSpec | undefined {
  const metrics = chosenMetrics(input);
  if (metrics.length === 0) return undefined;
  const byVersion = new Map<string, VersionMetrics>();
  for (const v of input.history) if (v.version !== input.candidate.version) byVersion.set(v.version, v);
  byVersion.set(input.candidate.version, input.candidate);
  // The newest versions; when the candidate is older than all of them, the window starts at the candidate.
  const all = [...byVersion.keys()].sort(compareVersions);
  const start = Math.max(0, Math.min(all.length - MAX_TREND_VERSIONS, all.indexOf(input.candidate.version)));
  const versions = all.slice(start, start + MAX_TREND_VERSIONS);
  const candidateIndex = versions.indexOf(input.candidate.version);
  const productionIndex = input.productionVersion !== undefined ? versions.indexOf(input.productionVersion) : -1;
  const panels: TrendPanel[] = metrics.map((metric) => ({
    metric,
    direction: input.directions[metric] ?? 'maximize',
    primary: metric === input.primaryMetric,
    values: versions.map((v) => {
      const value = byVersion.get(v)?.metrics[metric];
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    }),
  }));
  const spec: MetricTrendSpec = {
    kind: 'metric-trend',
    title: `${input.model}: metrics of the last ${versions.length} version${versions.length === 1 ? '' : 's'}`,
    versions,
    candidateIndex,
    highlight: input.highlight ?? 'candidate',
    ...(productionIndex >= 0 ? { productionIndex } : {}),
    panels,
    altText: '',
  };
  spec.altText = trendAltText(input.model, spec);
  return spec;
}

function trendAltText(model: string, spec: MetricTrendSpec): string {
  const candidate = spec.versions[spec.candidateIndex] ?? '';
  const production = spec.productionIndex !== undefined ? spec.versions[spec.productionIndex] : undefined;
  const lines = spec.panels.map((p) => {
    const points = spec.versions
      .map((v, i) => {
        const value = p.values[i];
        return value === null || value === undefined ? undefined : `${v} ${formatValue(value)}`;
      })
      .filter((s) => s !== undefined)
      .join(', ');
    return `${p.metric} (${p.direction === 'maximize' ? 'higher' : 'lower'} is better): ${points}.`;
  });
  const head = `Line charts of ${model}'s metrics by version; ${spec.highlight === 'latest' ? 'newest version' : 'candidate'} ${candidate} highlighted${production !== undefined ? `, production ${production} marked` : ''}.`;
  return clip([head, ...lines].join(' '));
}

export interface ConfusionInput {
  model: string;
  candidate: { version: string; confusionMatrix: { labels: string[]; matrix: number[][] } };
  production?: { version: string; confusionMatrix: { labels: string[]; matrix: number[][] } };
}

function isSquare(cm: { labels: string[]; matrix: number[][] }): boolean {
  return (
    cm.labels.length > 0 &&
    cm.matrix.length === cm.labels.length &&
    cm.matrix.every((row) => row.length === cm.labels.length && row.every((n) => Number.isFinite(n) && n >= 0))
  );
}

function panelOf(role: HeatmapPanel['role'], version: string, cm: { labels: string[]; matrix: number[][] }): HeatmapPanel {
  return {
    title: `${role === 'candidate' ? 'Candidate' : 'Production'} ${version}`,
    role,
    labels: [...cm.labels],
    matrix: cm.matrix.map((row) => [...row]),
    recall: cm.matrix.map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total === 0 ? null : (row[i] ?? 0) / total;
    }),
  };
}

/** The candidate's confusion matrix as a heatmap (counts, per-class recall), beside production's when it is known and has the same labels. */
export function confusionMatrixSpec(input: ConfusionInput): ConfusionMatrixSpec | undefined {
  const cm = input.candidate.confusionMatrix;
  if (!isSquare(cm)) return undefined;
  const panels = [panelOf('candidate', input.candidate.version, cm)];
  const prod = input.production;
  if (prod !== undefined && isSquare(prod.confusionMatrix) && prod.confusionMatrix.labels.join('\u0000') === cm.labels.join('\u0000'))
    panels.push(panelOf('production', prod.version, prod.confusionMatrix));
  const altText = clip(
    `Confusion matrix heatmap of ${input.model} ${panels.map((p) => p.title.toLowerCase()).join(' beside ')} (rows: true class, columns: predicted). ` +
      panels.map((p) => `${p.title}: ${p.labels.map((l, i) => classLine(l, p.recall[i] ?? null, p.matrix[i] ?? [], i)).join(', ')}.`).join(' '),
  );
  return { kind: 'confusion-matrix', title: `${input.model} ${input.candidate.version}: confusion matrix`, panels, altText };
}

function classLine(label: string, recall: number | null, row: number[], i: number): string {
  return `${label} recall ${recall === null ? 'n/a' : percent(recall)} (${row[i] ?? 0} of ${row.reduce((a, b) => a + b, 0)})`;
}

export function formatValue(v: number): string {
  if (v !== 0 && Math.abs(v) < 0.001) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

export function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function clip(text: string): string {
  return text.length <= MAX_ALT_TEXT ? text : `${text.slice(0, MAX_ALT_TEXT - 1)}…`;
}
