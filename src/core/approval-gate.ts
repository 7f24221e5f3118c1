import { Cron } from 'croner';
import { formatDelta, formatMetric, type MetricDirection } from './metric-comparison';
import { isValidTimeZone } from './retrain-schedule';

/**
 * The checks a deployment must pass or override with a reason (contract 10), pure:
 * - the non-regression gate (approvals.gate): the primary metric against production must improve
 *   by at least `minImprovement` (in the metric's good direction; 0 = not worse), and each metric
 *   with a floor must be on the good side of it (at least it for maximize, at most it for minimize);
 * - freeze windows (approvals.freeze): cron-style starts in a time zone, each `durationHours` long.
 * A failing check does not hide Deploy: the approver gives a reason, which the audit log, the card
 * and the deployment conf (`override_reason`) carry.
 */

export interface GatePolicy {
  minImprovement: number;
  floors?: Readonly<Record<string, number>>;
}

export interface GateInput {
  metrics: Readonly<Record<string, number>>;
  production?: { version: string; metrics: Readonly<Record<string, number>> };
  directions: Readonly<Record<string, MetricDirection>>;
  primaryMetric?: string;
}

export interface GateCheck {
  passed: boolean;
  /** One line per check, plain text: what was compared and how it came out. */
  lines: string[];
  /** Why it failed, plain text (empty when passed). */
  problems: string[];
}

/** The non-regression gate of a candidate's metrics. */
export function evaluateGate(input: GateInput, policy: GatePolicy): GateCheck {
  const lines: string[] = [];
  const problems: string[] = [];
  const primary = input.primaryMetric;
  const value = primary !== undefined ? input.metrics[primary] : undefined;
  const base = primary !== undefined ? input.production?.metrics[primary] : undefined;
  const direction = primary !== undefined ? input.directions[primary] : undefined;
  if (primary === undefined) lines.push('no primary metric configured: not compared with production');
  else if (value === undefined) problems.push(`${primary} is missing from this evaluation, so it cannot be compared with production`);
  else if (input.production === undefined || base === undefined) lines.push(`${primary} ${formatMetric(value)}: no production baseline to compare with`);
  else {
    const improvement = (direction === 'minimize' ? -1 : 1) * (value - base);
    const text = `${primary} ${formatMetric(value)} vs ${formatMetric(base)} in ${input.production.version} (${formatDelta(value - base)}; at least ${policy.minImprovement === 0 ? 'no worse' : `${formatMetric(policy.minImprovement)} better`} required)`;
    if (improvement + 1e-12 >= policy.minImprovement) lines.push(text);
    else problems.push(text);
  }
  for (const [name, floor] of Object.entries(policy.floors ?? {})) {
    const v = input.metrics[name];
    const minimize = input.directions[name] === 'minimize';
    const bound = `${minimize ? 'at most' : 'at least'} ${formatMetric(floor)}`;
    if (v === undefined) problems.push(`${name} is missing (floor: ${bound})`);
    else if (minimize ? v <= floor : v >= floor) lines.push(`${name} ${formatMetric(v)} (${bound})`);
    else problems.push(`${name} ${formatMetric(v)} is outside its floor (${bound})`);
  }
  return { passed: problems.length === 0, lines: [...problems, ...lines], problems };
}

export interface FreezeWindow {
  cron: string;
  durationHours: number;
  timezone: string;
}

/** Starts looked at past one window's beginning at most (a cron firing every minute inside a long window still ends). */
const MAX_STARTS = 10_000;

/**
 * The freeze window `now` falls in, if any: a start s (a cron fire time in its zone, so daylight
 * saving is the zone's) with s <= now < s + duration; overlapping windows extend `until`.
 */
export function activeFreeze(windows: readonly FreezeWindow[], now: Date): { window: FreezeWindow; since: Date; until: Date } | undefined {
  for (const window of windows) {
    const durationMs = window.durationHours * 3_600_000;
    const cron = new Cron(window.cron, { timezone: window.timezone, paused: true });
    // The first start after (now − duration) is the one whose window may still be open.
    const since = cron.nextRun(new Date(now.getTime() - durationMs));
    if (since === null || since > now) continue;
    let until = new Date(since.getTime() + durationMs);
    let next = cron.nextRun(since);
    for (let i = 0; i < MAX_STARTS && next !== null && next < until; i++) {
      until = new Date(Math.max(until.getTime(), next.getTime() + durationMs));
      next = cron.nextRun(next);
    }
    return { window, since, until };
  }
  return undefined;
}

/** Why a freeze window's settings cannot work, or undefined (config validation). */
export function freezeWindowProblem(window: FreezeWindow): string | undefined {
  if (!isValidTimeZone(window.timezone)) return `"${window.timezone}" is not a time zone (e.g. Europe/Berlin)`;
  if (window.cron.trim().split(/\s+/).length !== 5) return `"${window.cron}" is not a 5-field cron expression (minute hour day month weekday)`;
  try {
    new Cron(window.cron, { timezone: window.timezone, paused: true });
  } catch (error) {
    return `"${window.cron}" is not a cron expression (${error instanceof Error ? error.message : 'invalid'})`;
  }
  return undefined;
}

/**
 * The gate of a candidate under `policy` (approvals.gate), or undefined when none applies: no gate
 * configured, or a rollback (going back to a known version is the point of it).
 */
export function candidateGate(
  policy: GatePolicy | undefined,
  c: { origin: string; metrics: Readonly<Record<string, number>> },
  model: { metrics?: Readonly<Record<string, MetricDirection>>; primaryMetric?: string | undefined } | undefined,
  production: { version: string; metrics: Readonly<Record<string, number>> } | undefined,
): GateCheck | undefined {
  if (policy === undefined || c.origin === 'rollback-command') return undefined;
  return evaluateGate(
    {
      metrics: c.metrics,
      ...(production !== undefined ? { production: { version: production.version, metrics: production.metrics } } : {}),
      directions: model?.metrics ?? {},
      ...(model?.primaryMetric !== undefined ? { primaryMetric: model.primaryMetric } : {}),
    },
    policy,
  );
}
