import type { MetricSeries } from './ports';

/**
 * The bake report's arithmetic (contract 9): the endpoint's figures over the bake window beside the
 * same-length window before the deployment started, and the verdict against the model's `bake`
 * thresholds. Pure.
 */

export interface BakeFigures {
  invocations: number;
  errors5xx: number;
  /** Invocation-weighted mean of the per-minute ModelLatency average, p50 and p99 (ms), over all variants; undefined without data. */
  avgMs?: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface BakeThresholds {
  /** p99 may rise at most this fraction against the window before (0.2 = 20 %). */
  maxLatencyIncrease: number;
  /** 5XX / invocations during the bake, at most. */
  max5xxRate: number;
}

export type BakeVerdict =
  | { kind: 'healthy' }
  | { kind: 'degraded'; reasons: string[] }
  /** No invocations in the bake window: nothing to judge, and never reported as healthy. */
  | { kind: 'inconclusive'; reason: string };

/** The window's figures from per-variant series (ids `<key>:<variant>`); only points in [from, to) count. */
export function figuresOf(series: readonly MetricSeries[], from: Date, to: Date): BakeFigures {
  const inWindow = (s: MetricSeries) => s.points.filter((p) => p.at >= from && p.at < to);
  const byKey = (key: string) => series.filter((s) => s.id.startsWith(`${key}:`));
  const sum = (key: string) => byKey(key).reduce((total, s) => total + inWindow(s).reduce((t, p) => t + p.value, 0), 0);
  const weighted = (key: string): number | undefined => {
    let weight = 0;
    let total = 0;
    for (const s of byKey(key)) {
      const variant = s.id.slice(key.length + 1);
      const invocations = new Map((series.find((x) => x.id === `invocations:${variant}`)?.points ?? []).map((p) => [p.at.getTime(), p.value] as const));
      for (const p of inWindow(s)) {
        // A minute without an invocation count still counts once (a latency point means traffic).
        const w = Math.max(1, invocations.get(p.at.getTime()) ?? 1);
        weight += w;
        total += p.value * w;
      }
    }
    return weight > 0 ? total / weight : undefined;
  };
  const avg = weighted('model_latency_avg');
  const p50 = weighted('model_latency_p50');
  const p99 = weighted('model_latency_p99');
  return {
    invocations: sum('invocations'),
    errors5xx: sum('invocation_5xx_errors'),
    ...(avg !== undefined ? { avgMs: avg } : {}),
    ...(p50 !== undefined ? { p50Ms: p50 } : {}),
    ...(p99 !== undefined ? { p99Ms: p99 } : {}),
  };
}

export function errorRate(f: Pick<BakeFigures, 'invocations' | 'errors5xx'>): number {
  return f.invocations > 0 ? f.errors5xx / f.invocations : 0;
}

/** Degraded when the 5XX rate or the p99 rise passes its threshold; inconclusive without traffic. */
export function bakeVerdict(before: BakeFigures, during: BakeFigures, t: BakeThresholds): BakeVerdict {
  if (during.invocations <= 0) return { kind: 'inconclusive', reason: 'no invocations during the bake window' };
  const reasons: string[] = [];
  const rate = errorRate(during);
  if (rate > t.max5xxRate) reasons.push(`5XX rate ${percent(rate)} is above ${percent(t.max5xxRate)}`);
  if (before.p99Ms !== undefined && during.p99Ms !== undefined && before.p99Ms > 0) {
    const rise = (during.p99Ms - before.p99Ms) / before.p99Ms;
    if (rise > t.maxLatencyIncrease) reasons.push(`p99 latency rose ${percent(rise)} (more than ${percent(t.maxLatencyIncrease)})`);
  }
  return reasons.length > 0 ? { kind: 'degraded', reasons } : { kind: 'healthy' };
}

export function percent(fraction: number): string {
  const p = fraction * 100;
  return `${p >= 10 || Number.isInteger(p) ? p.toFixed(0) : p.toFixed(p >= 1 ? 1 : 2)} %`;
}
