export type MetricDirection = 'maximize' | 'minimize';
export type Assessment = 'better' | 'worse' | 'same' | 'unknown';

export interface MetricRow {
  name: string;
  value: number;
  production?: number;
  delta?: number;
  direction?: MetricDirection;
  /** Judged by the metric's direction; `unknown` when there is no baseline or no direction. */
  assessment: Assessment;
}

/** Relative tolerance under which two values count as the same (float noise). */
const SAME_EPSILON = 1e-9;

/**
 * Every candidate metric beside the production value when known. Order: configured metrics
 * first (config order), then the others alphabetically, so messages are stable.
 */
export function compareMetrics(
  candidate: Readonly<Record<string, number>>,
  production: Readonly<Record<string, number>> | undefined,
  directions: Readonly<Record<string, MetricDirection>>,
): MetricRow[] {
  // Own properties only: a metric called "constructor" or "toString" is a metric, not Object's.
  const configured = Object.keys(directions).filter((name) => Object.hasOwn(candidate, name));
  const others = Object.keys(candidate)
    .filter((name) => !Object.hasOwn(directions, name))
    .sort();
  return [...configured, ...others].map((name) => {
    const value = candidate[name] ?? Number.NaN;
    const direction = Object.hasOwn(directions, name) ? directions[name] : undefined;
    const base = production !== undefined && Object.hasOwn(production, name) ? production[name] : undefined;
    if (base === undefined) return { name, value, ...(direction !== undefined ? { direction } : {}), assessment: 'unknown' as const };
    const delta = value - base;
    const same = Math.abs(delta) <= SAME_EPSILON * Math.max(1, Math.abs(base));
    const assessment: Assessment = direction === undefined ? 'unknown' : same ? 'same' : delta > 0 === (direction === 'maximize') ? 'better' : 'worse';
    return { name, value, production: base, delta: same ? 0 : delta, ...(direction !== undefined ? { direction } : {}), assessment };
  });
}

export type VerdictKind = 'better' | 'worse' | 'same' | 'no-baseline' | 'no-primary';
export interface Verdict {
  kind: VerdictKind;
  text: string;
}

/** One line on the primary metric: "better than 1.3.0 in production: F1 0.91 vs 0.88". */
export function primaryVerdict(rows: readonly MetricRow[], primary: string | undefined, productionVersion: string | undefined): Verdict {
  if (productionVersion === undefined) return { kind: 'no-baseline', text: 'no version in production yet: nothing to compare with' };
  const row = primary !== undefined ? rows.find((r) => r.name === primary) : undefined;
  if (row !== undefined && !Number.isFinite(row.value)) return { kind: 'no-primary', text: `${metricLabel(row.name)} of the candidate is not a number` };
  if (row === undefined || primary === undefined) {
    return {
      kind: 'no-primary',
      text: `compared with ${productionVersion} in production${primary !== undefined ? ` (primary metric ${metricLabel(primary)} missing)` : ' (no primary metric configured)'}`,
    };
  }
  if (row.production === undefined) {
    return { kind: 'no-primary', text: `${productionVersion} in production has no ${metricLabel(primary)} to compare with` };
  }
  const pair = `${metricLabel(primary)} ${formatMetric(row.value)} vs ${formatMetric(row.production)}`;
  switch (row.assessment) {
    case 'better':
      return { kind: 'better', text: `better than ${productionVersion} in production: ${pair}` };
    case 'worse':
      return { kind: 'worse', text: `worse than ${productionVersion} in production: ${pair}` };
    case 'same':
      return { kind: 'same', text: `same as ${productionVersion} in production: ${pair}` };
    default:
      return { kind: 'no-primary', text: `compared with ${productionVersion} in production: ${pair} (direction of ${metricLabel(primary)} not configured)` };
  }
}

/** Four-letter metric names that are acronyms; other four-letter names (loss, time) are words. */
const ACRONYMS = new Set(['rmse', 'mape', 'wape', 'ndcg', 'bleu', 'smape', 'auroc', 'auprc', 'rmsle', 'msle']);

/** Short metric names read as acronyms (f1 → F1, mse → MSE, auc → AUC, rmse → RMSE); words stay as given (loss). */
export function metricLabel(name: string): string {
  return (name.length <= 3 && /^[a-z0-9_]+$/.test(name)) || ACRONYMS.has(name) ? name.toUpperCase() : name;
}

/** Up to 4 significant decimals, no trailing zeros: 0.91, 0.041, 1234.5, 1.2e-7. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(1);
  const abs = Math.abs(value);
  const decimals = abs >= 1000 ? 1 : abs >= 1 ? 3 : 4;
  return String(Number(value.toFixed(decimals)));
}

export function formatDelta(delta: number): string {
  return delta === 0 ? '±0' : `${delta > 0 ? '+' : '−'}${formatMetric(Math.abs(delta))}`;
}
