import { Counter, Histogram } from 'prom-client';
import { commandRegistry } from '../../commands/command-registry';
import { createMetrics, METRIC_LABEL_VALUES } from '../../src/observability/create-metrics';

/** A metric whose label has no closed set would count every value as `other`: each label needs one. */
describe('createMetrics: closed label sets', () => {
  const metrics = createMetrics();
  const labelled = Object.entries(metrics).filter(
    (entry): entry is [string, Counter | Histogram] => entry[1] instanceof Counter || entry[1] instanceof Histogram,
  );

  it('every label of every metric has a closed set of values (status: 3-digit codes)', () => {
    const labelsOf = (metric: unknown) => (metric as { labelNames?: string[] }).labelNames ?? [];
    expect(labelled.flatMap(([, m]) => labelsOf(m)).length).toBeGreaterThan(15);
    const missing = labelled.flatMap(([name, metric]) =>
      labelsOf(metric)
        .filter((label) => label !== 'status' && !(label in METRIC_LABEL_VALUES))
        .map((label) => `${name}.${label}`),
    );
    expect(missing).toEqual([]);
  });

  it('maps values outside the set to "other", through inc, observe, labels() and startTimer()', async () => {
    metrics.slackRequests.inc({ kind: 'command', name: '<!channel> typed', outcome: 'ok' });
    metrics.slackRequests.labels({ kind: 'command', name: 'x'.repeat(500), outcome: 'ok' }).inc();
    metrics.slackAckDuration.observe({ kind: 'command', name: 'anything' }, 0.01);
    metrics.slackAckDuration.startTimer({ kind: 'command', name: 'else' })();
    metrics.httpRequests.inc({ route: '/x', status: 'not-a-status' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/mlops_slack_requests_total\{kind="command",name="other",outcome="ok"\} 2/);
    expect(text).toMatch(/mlops_slack_ack_duration_seconds_count\{kind="command",name="other"\} 2/);
    expect(text).toMatch(/mlops_http_requests_total\{route="other",status="other"\} 1/);
    expect(text).not.toMatch(/channel|xxxx|anything|else"/);
  });

  it('the name set lists every /mlops subcommand (a new one would otherwise be counted as other)', () => {
    const names: readonly string[] = METRIC_LABEL_VALUES.name;
    expect(
      commandRegistry()
        .map((spec) => spec.name)
        .filter((name) => !names.includes(name)),
    ).toEqual([]);
  });
});
