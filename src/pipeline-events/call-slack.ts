import type { WebClient } from '@slack/web-api';
import type { Metrics } from '../observability/create-metrics';

export type SlackOutcome =
  | { ok: true; data: Record<string, unknown> }
  /** HTTP 429: certainly not done; wait Retry-After. */
  | { ok: false; kind: 'ratelimited'; retryAfterMs: number; error: string }
  /** 5xx, network error, timeout: it may or may not have happened. */
  | { ok: false; kind: 'transient'; error: string }
  /** Slack refused (channel_not_found, invalid_blocks…): retrying will not help. */
  | { ok: false; kind: 'permanent'; error: string };

/** Slack error codes worth another try (Slack's own "try again" answers). */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_not_ready']);

/**
 * One Web API call with its outcome classified for the outbox, counted in
 * mlops_slack_api_calls_total{method,result}. Never throws.
 */
export async function callSlack(client: WebClient, method: string, args: Record<string, unknown>, metrics: Metrics): Promise<SlackOutcome> {
  try {
    const data = (method === 'files.uploadV2'
      ? await client.filesUploadV2(args as unknown as Parameters<WebClient['filesUploadV2']>[0])
      : await client.apiCall(method, args)) as unknown as Record<string, unknown>;
    metrics.slackApiCalls.inc({ method, result: 'ok' });
    return { ok: true, data };
  } catch (error) {
    const outcome = classify(error);
    metrics.slackApiCalls.inc({ method, result: outcome.kind === 'ratelimited' ? 'ratelimited' : 'error' });
    return outcome;
  }
}

function classify(error: unknown): Exclude<SlackOutcome, { ok: true }> {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return { ok: false, kind: 'ratelimited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000, error: 'ratelimited' };
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      if (code === 'ratelimited') return { ok: false, kind: 'ratelimited', retryAfterMs: 1000, error: code };
      return { ok: false, kind: TRANSIENT_ERRORS.has(code) ? 'transient' : 'permanent', error: code };
    }
    case 'slack_webapi_http_error':
      return { ok: false, kind: 'transient', error: `HTTP ${e.statusCode ?? '?'}` };
    default:
      // Request errors (network, timeout) and anything unexpected: the call may have happened.
      return { ok: false, kind: 'transient', error: e.message ?? String(error) };
  }
}
