import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per bot instance (not prom-client's global one), so tests and benchmarks can run
 * several bots in one process. Metric names are the public monitoring surface: see README.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'mlops_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'mlops_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const slackRequests = new Counter({
    name: 'mlops_slack_requests_total',
    help: 'Slack requests handled, by kind (command, action, view, event) and name',
    labelNames: ['kind', 'name', 'outcome'] as const,
    registers: [registry],
  });
  const slackAckDuration = new Histogram({
    name: 'mlops_slack_ack_duration_seconds',
    help: 'Time from request received to ack, by kind and name',
    labelNames: ['kind', 'name'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
    registers: [registry],
  });
  const slackHandlerDuration = new Histogram({
    name: 'mlops_slack_handler_duration_seconds',
    help: 'Whole listener duration (after the ack) by kind and name',
    labelNames: ['kind', 'name'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const eventsReceived = new Counter({
    name: 'mlops_events_received_total',
    help: 'Pipeline events by source, type and result (recorded, duplicate, invalid, unroutable, unavailable)',
    labelNames: ['source', 'type', 'result'] as const,
    registers: [registry],
  });
  const eventsPosted = new Counter({
    name: 'mlops_events_posted_total',
    help: 'Pipeline events delivered to Slack, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const eventsFailed = new Counter({
    name: 'mlops_events_failed_total',
    help: 'Pipeline event deliveries that failed permanently, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const outboxDepth = new Gauge({ name: 'mlops_outbox_depth', help: 'Events recorded and not yet delivered', registers: [registry] });
  const outboxOldestAge = new Gauge({
    name: 'mlops_outbox_oldest_age_seconds',
    help: 'Age of the oldest undelivered event',
    registers: [registry],
  });
  const slackApiCalls = new Counter({
    name: 'mlops_slack_api_calls_total',
    help: 'Outbound Slack Web API calls by method and result (ok, error, ratelimited)',
    labelNames: ['method', 'result'] as const,
    registers: [registry],
  });
  const dagTriggers = new Counter({
    name: 'mlops_dag_triggers_total',
    help: 'DAG trigger attempts by purpose (training, deployment, rollback) and result',
    labelNames: ['purpose', 'result'] as const,
    registers: [registry],
  });
  const approvals = new Counter({
    name: 'mlops_approvals_total',
    help: 'Deploy/Reject decisions by outcome (approved, deployed, rejected, refused, conflict)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const storeUp = new Gauge({ name: 'mlops_store_up', help: '1 when the store answered the last readiness check', registers: [registry] });
  return {
    registry,
    httpRequests,
    httpDuration,
    slackRequests,
    slackAckDuration,
    slackHandlerDuration,
    eventsReceived,
    eventsPosted,
    eventsFailed,
    outboxDepth,
    outboxOldestAge,
    slackApiCalls,
    dagTriggers,
    approvals,
    storeUp,
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
