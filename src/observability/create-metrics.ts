import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ErrorCode } from '../core/errors';
import { PIPELINE_EVENT_TYPES } from '../core/pipeline-event';

/**
 * Every label value comes from a closed set: a value outside it is counted as `other`. A label
 * fed from outside (a typed subcommand, an event type, an HTTP path) would otherwise mint one
 * series per distinct value, and any workspace member could grow /metrics and the heap without
 * limit. Adding a value a metric should show means adding it here.
 */
export const METRIC_LABEL_VALUES = {
  route: ['/slack/events', '/hooks/pipeline', '/hooks/sns', '/healthz', '/readyz', '/metrics'],
  kind: ['command', 'action', 'view', 'event'],
  name: [
    // `/mlops` subcommands (commands/command-registry.ts), then what register-commands counts instead.
    'help',
    'train',
    'retrain',
    'status',
    'models',
    'history',
    'deploy',
    'rollback',
    'schedule',
    'lineage',
    'unknown',
    'unreadable',
    // Names the listeners give their requests (listener kit: slackRequest(context).name) for buttons,
    // modals and events (deploy and rollback are above). Raw Slack ids are not labels: a request no
    // listener named (Bolt refusing a malformed payload) counts as `other`.
    'reject',
    'cancel_deploy',
    'confirm_train',
    'cancel_train',
    'home',
    'strategy_pick',
    'abort_rollback',
    'bake_rollback',
    'shadow_promote',
    'shadow_stop',
    'shadow_compare',
    'drift_retrain',
    'drift_snooze',
    'deploy_override',
  ],
  outcome: [
    'ok',
    'error',
    'busy',
    'invalid',
    'unknown',
    'parse_error',
    'expired',
    'refused',
    'cancelled',
    'started',
    'rejected',
    'not_found',
    'not_authorized',
    'not_configured',
    'modal_failed',
    'modal_opened',
    'recorded',
    'deploying',
    'trigger_failed',
    'no_rollback_target',
    'approved',
    'deployed',
    'conflict',
    'confirming',
    'endpoint_mismatch',
    'override_required',
    'unavailable',
    'timeout',
    'ignored',
    'snoozed',
  ],
  source: ['hook', 'sns', 'internal'],
  type: [
    ...PIPELINE_EVENT_TYPES,
    'alarm',
    'sagemaker',
    'unknown',
    'watchdog',
    'training.requested',
    'approval-reminder',
    'digest',
    'chart',
    'bake-report',
    'shadow-comparison',
  ],
  // Stable MlopsError codes (src/core/errors.ts) and the watchdog's check outcomes.
  code: [...Object.values(ErrorCode), 'UNEXPECTED', 'none'],
  check: ['ok', 'not_found', 'error'],
  reason: ['attempts', 'refused', 'expired', 'unrenderable'],
  result: [
    'recorded',
    'duplicate',
    'invalid',
    'unroutable',
    'unavailable',
    'unauthorized',
    'forbidden',
    'too_large',
    'ignored',
    'misconfigured',
    'ok',
    'error',
    'ratelimited',
    'failed',
    'already_triggered',
    'unclear',
    'timeout',
    // Model Registry writes (contract 10): a person decided otherwise in SageMaker.
    'conflict',
  ],
  method: [
    'chat.postMessage',
    'chat.update',
    'chat.postEphemeral',
    'chat.getPermalink',
    'conversations.history',
    'conversations.replies',
    'views.open',
    'views.publish',
    'views.update',
    'auth.test',
    'users.info',
    'usergroups.users.list',
    'files.getUploadURLExternal',
    'files.completeUploadExternal',
    'files.uploadV2',
  ],
  purpose: ['training', 'deployment', 'rollback'],
  chart: ['metric-trend', 'confusion-matrix', 'endpoint-metrics'],
  chart_outcome: ['uploaded', 'cached', 'no_data', 'render_failed', 'upload_failed', 'record_failed', 'busy'],
} as const satisfies Record<string, readonly string[]>;

const OTHER = 'other';
type LabelRecord = Partial<Record<string, string | number>>;

/** Maps each label value into its closed set; HTTP statuses are kept when they are 3-digit codes. */
function closeLabelValues(labels: LabelRecord): LabelRecord {
  const out: LabelRecord = {};
  for (const [key, raw] of Object.entries(labels)) {
    const value = String(raw);
    if (key === 'status') out[key] = /^[1-5]\d\d$/.test(value) ? value : OTHER;
    else out[key] = (METRIC_LABEL_VALUES[key as keyof typeof METRIC_LABEL_VALUES] as readonly string[] | undefined)?.includes(value) === true ? value : OTHER;
  }
  return out;
}

/**
 * Routes every `inc` / `observe` (and so `labels()` and `startTimer()`, which call them) through
 * closeLabelValues. prom-client assigns these per instance in its constructors.
 */
function closed<M extends Counter | Histogram>(metric: M): M {
  const target = metric as unknown as Record<'inc' | 'observe', ((...args: unknown[]) => unknown) | undefined>;
  for (const method of ['inc', 'observe'] as const) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = (first?: unknown, ...rest: unknown[]) =>
      original.call(metric, typeof first === 'object' && first !== null ? closeLabelValues(first as LabelRecord) : first, ...rest);
  }
  return metric;
}

/**
 * One registry per bot instance (not prom-client's global one), so tests and benchmarks can run
 * several bots in one process. Metric names are the public monitoring surface: see README.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = closed(
    new Counter({
      name: 'mlops_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
  );
  const httpDuration = closed(
    new Histogram({
      name: 'mlops_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  );
  const slackRequests = closed(
    new Counter({
      name: 'mlops_slack_requests_total',
      help: 'Slack requests handled, by kind (command, action, view, event) and name',
      labelNames: ['kind', 'name', 'outcome'] as const,
      registers: [registry],
    }),
  );
  const slackAckDuration = closed(
    new Histogram({
      name: 'mlops_slack_ack_duration_seconds',
      help: 'Time from request received to ack, by kind and name',
      labelNames: ['kind', 'name'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
  );
  const slackHandlerDuration = closed(
    new Histogram({
      name: 'mlops_slack_handler_duration_seconds',
      help: 'Whole listener duration (after the ack) by kind and name',
      labelNames: ['kind', 'name'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  );
  const eventsReceived = closed(
    new Counter({
      name: 'mlops_events_received_total',
      help: 'Pipeline events by source, type and result (recorded, duplicate, invalid, unroutable, unavailable)',
      labelNames: ['source', 'type', 'result'] as const,
      registers: [registry],
    }),
  );
  const eventsPosted = closed(
    new Counter({
      name: 'mlops_events_posted_total',
      help: 'Pipeline events delivered to Slack, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
  );
  const eventsFailed = closed(
    new Counter({
      name: 'mlops_events_failed_total',
      help: 'Pipeline event deliveries that failed permanently, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
  );
  const outboxDepth = new Gauge({ name: 'mlops_outbox_depth', help: 'Events recorded and not yet delivered', registers: [registry] });
  const outboxOldestAge = new Gauge({
    name: 'mlops_outbox_oldest_age_seconds',
    help: 'Age of the oldest undelivered event',
    registers: [registry],
  });
  const slackApiCalls = closed(
    new Counter({
      name: 'mlops_slack_api_calls_total',
      help: 'Outbound Slack Web API calls by method and result (ok, error, ratelimited)',
      labelNames: ['method', 'result'] as const,
      registers: [registry],
    }),
  );
  const dagTriggers = closed(
    new Counter({
      name: 'mlops_dag_triggers_total',
      help: 'DAG trigger attempts by purpose (training, deployment, rollback) and result',
      labelNames: ['purpose', 'result'] as const,
      registers: [registry],
    }),
  );
  const approvals = closed(
    new Counter({
      name: 'mlops_approvals_total',
      help: 'Deploy/Reject decisions by outcome (approved, deployed, rejected, refused, conflict)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  );
  const modelRegistryWrites = closed(
    new Counter({
      name: 'mlops_model_registry_writes_total',
      help: 'Slack decisions written to the SageMaker Model Registry (UpdateModelPackage) by result (ok, failed: retried, conflict: not overwritten)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  );
  const watchdogChecks = closed(
    new Counter({
      name: 'mlops_watchdog_checks_total',
      help: 'Run-state checks of the run watchdog by outcome (ok, not_found, error) and error code (MLOPS_…, "none" when ok)',
      labelNames: ['check', 'code'] as const,
      registers: [registry],
    }),
  );
  const watchdogUnreadable = new Counter({
    name: 'mlops_watchdog_unreadable_alerts_total',
    help: 'Runs alerted because their state could not be read for a bounded time',
    registers: [registry],
  });
  const deliveriesGivenUp = closed(
    new Counter({
      name: 'mlops_delivery_given_up_total',
      help: 'Slack deliveries marked failed, by reason (attempts: retries exhausted while Slack was unreachable; refused; expired; unrenderable)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  );
  const charts = closed(
    new Counter({
      name: 'mlops_charts_total',
      help: 'Charts of Slack messages by chart and outcome (uploaded, cached, no_data, render_failed, upload_failed, record_failed, busy); a failed chart never holds its message',
      labelNames: ['chart', 'chart_outcome'] as const,
      registers: [registry],
    }),
  );
  const chartRenderDuration = closed(
    new Histogram({
      name: 'mlops_chart_render_seconds',
      help: 'Time to render one chart to PNG (cache misses only)',
      labelNames: ['chart'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  );
  const storeUp = new Gauge({ name: 'mlops_store_up', help: '1 when the store answered the last readiness check', registers: [registry] });
  return {
    registry,
    httpRequests,
    httpDuration,
    slackRequests,
    slackAckDuration,
    slackHandlerDuration,
    modelRegistryWrites,
    eventsReceived,
    eventsPosted,
    eventsFailed,
    outboxDepth,
    outboxOldestAge,
    slackApiCalls,
    dagTriggers,
    approvals,
    watchdogChecks,
    watchdogUnreadable,
    deliveriesGivenUp,
    charts,
    chartRenderDuration,
    storeUp,
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
