import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observability/create-metrics';

/** The shipped Prometheus rules only name metrics (and labels) the bot exports. */

const ROOT = join(__dirname, '..', '..');
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const file = parse(readFileSync(join(ROOT, 'deploy/prometheus/mlops-alerts.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = file.groups.flatMap((g) => g.rules);

describe('deploy/prometheus/mlops-alerts.yml', () => {
  it('has the delivery give-up and watchdog alerts, each with a severity and a summary', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['MlopsDeliveryGivenUp', 'MlopsWatchdogChecksFailing', 'MlopsWatchdogRunUnreadable']));
    for (const rule of rules) {
      expect(rule.expr.trim()).not.toBe('');
      expect(rule.labels?.severity).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary).toBeDefined();
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  it('names only metrics and labels the bot exports', async () => {
    const metrics = createMetrics();
    const exported = await metrics.registry.getMetricsAsJSON();
    const names = new Map(exported.map((m) => [m.name, m]));
    for (const rule of rules) {
      for (const [, series] of rule.expr.matchAll(/\b(mlops_[a-z_]+)\b/g)) {
        // A histogram's series carry _bucket / _sum / _count.
        const name = names.has(series!) ? series! : series!.replace(/_(bucket|sum|count)$/, '');
        expect(names.has(name)).toBe(true);
        // Label matchers used in the expression exist on that metric.
        const labelMatchers = new RegExp(`${series}\\{([^}]*)\\}`).exec(rule.expr)?.[1];
        // prom-client keeps a metric's label names on the metric object itself.
        const labelNames = (metrics.registry.getSingleMetric(name) as unknown as { labelNames: string[] }).labelNames;
        for (const [, label] of (labelMatchers ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) expect(labelNames).toContain(label);
      }
    }
  });
});
