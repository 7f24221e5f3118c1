import { withTimeout } from '../core/time-limit';
import type { Store } from '../core/store';
import type { Metrics } from '../observability/create-metrics';
import type { HttpRoute } from './create-http-server';
import { sendJson } from './create-http-server';

const READY_TIMEOUT_MS = 1500;

/** /healthz (process up), /readyz (store answers), /metrics (Prometheus text). */
export function healthRoutes(deps: { store: Store; metrics: Metrics; isShuttingDown: () => boolean }): HttpRoute[] {
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: async (_req, res, log) => {
        if (deps.isShuttingDown()) {
          sendJson(res, 503, { status: 'shutting down' });
          return;
        }
        try {
          await withTimeout(deps.store.ping(), READY_TIMEOUT_MS);
          deps.metrics.storeUp.set(1);
          sendJson(res, 200, { status: 'ready', store: deps.store.kind });
        } catch (error) {
          deps.metrics.storeUp.set(0);
          log.warn({ err: error }, 'readiness: store is not answering');
          sendJson(res, 503, { status: 'store unavailable', store: deps.store.kind });
        }
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: async (_req, res) => {
        const body = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(body);
      },
    },
  ];
}
