import { errorRate, figuresOf, percent, type BakeFigures, type BakeThresholds } from './bake-verdict';
import type { MetricSeries } from './ports';

/**
 * The live production-vs-shadow comparison (issue 14): each variant's figures over one window, from
 * the per-variant series the EndpointInspector returns (ids `<key>:<variant>`), and a verdict of the
 * shadow against production with the model's `bake` thresholds. Pure.
 */

export interface VariantFigures extends BakeFigures {
  variant: string;
  errors4xx: number;
}

export interface ShadowComparison {
  /** The window compared: [from, to), whole minutes. */
  from: string;
  to: string;
  production: VariantFigures;
  shadow: VariantFigures;
}

export type ShadowVerdict =
  /** Shadow within the thresholds against production: may be promoted. */
  | { kind: 'on-par' }
  | { kind: 'worse'; reasons: string[] }
  /** The shadow received no requests in the window: nothing to judge (never "on par"). */
  | { kind: 'inconclusive'; reason: string };

/** The variant a series belongs to: what follows the key (keys have no ':'; variant names cannot). */
const variantOf = (s: MetricSeries) => s.id.slice(s.id.indexOf(':') + 1);

/** One variant's figures over [from, to): counts summed, latency weighted by invocations (figuresOf). */
export function variantFiguresOf(series: readonly MetricSeries[], variant: string, from: Date, to: Date): VariantFigures {
  const own = series.filter((s) => variantOf(s) === variant);
  const errors4xx = own
    .filter((s) => s.id.startsWith('invocation_4xx_errors:'))
    .reduce((total, s) => total + s.points.filter((p) => p.at >= from && p.at < to).reduce((t, p) => t + p.value, 0), 0);
  return { variant, ...figuresOf(own, from, to), errors4xx };
}

export function compareVariants(series: readonly MetricSeries[], variants: { production: string; shadow: string }, from: Date, to: Date): ShadowComparison {
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    production: variantFiguresOf(series, variants.production, from, to),
    shadow: variantFiguresOf(series, variants.shadow, from, to),
  };
}

/**
 * The shadow against production: worse when its 5XX rate passes `max5xxRate` or its p99 is more than
 * `maxLatencyIncrease` above production's; inconclusive when it received no requests.
 */
export function shadowVerdict(c: Pick<ShadowComparison, 'production' | 'shadow'>, t: BakeThresholds): ShadowVerdict {
  if (c.shadow.invocations <= 0) return { kind: 'inconclusive', reason: 'the shadow variant received no requests in this window' };
  const reasons: string[] = [];
  const rate = errorRate(c.shadow);
  if (rate > t.max5xxRate) reasons.push(`shadow 5XX rate ${percent(rate)} is above ${percent(t.max5xxRate)}`);
  const { p99Ms: prod } = c.production;
  const { p99Ms: shadow } = c.shadow;
  if (prod !== undefined && shadow !== undefined && prod > 0) {
    const rise = (shadow - prod) / prod;
    if (rise > t.maxLatencyIncrease) reasons.push(`shadow p99 is ${percent(rise)} above production (more than ${percent(t.maxLatencyIncrease)})`);
  }
  return reasons.length > 0 ? { kind: 'worse', reasons } : { kind: 'on-par' };
}

/**
 * The window a comparison reads, widened to whole minutes (CloudWatch's resolution): from the shadow's
 * start (at most `maxHours` back) to `end` (now, or the end of the shadow window).
 */
export function comparisonWindow(startedAt: string, end: Date, maxHours = 24): { from: Date; to: Date } {
  const MINUTE = 60_000;
  const start = Math.max(Date.parse(startedAt), end.getTime() - maxHours * 3_600_000);
  const from = Math.floor(start / MINUTE) * MINUTE;
  const to = Math.max(from + MINUTE, Math.ceil(end.getTime() / MINUTE) * MINUTE);
  return { from: new Date(from), to: new Date(to) };
}
