import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import getRawBody from 'raw-body';
import { ErrorCode, MlopsError } from '../core/errors';
import { attachRequestContext } from './request-context';

export interface HttpRoute {
  path: string;
  method: 'GET' | 'POST';
  handler: (req: IncomingMessage, res: ServerResponse, log: Logger) => void | Promise<void>;
}

/**
 * The one HTTP server of the bot. Bolt's receiver owns transport for /slack/events (HTTP mode);
 * this wrapper adds what every route needs: a request id and child logger, per-route metrics,
 * and a JSON 404/500 instead of a crash.
 */
export function createHttpServer(opts: {
  routes: HttpRoute[];
  /** Bolt's HTTPReceiver request listener in HTTP mode; absent in Socket Mode. */
  slackListener?: (req: IncomingMessage, res: ServerResponse) => void;
  slackPath: string;
  logger: Logger;
  metrics: Metrics;
}): Server {
  const table = new Map(opts.routes.map((r) => [`${r.method} ${r.path}`, r]));
  const knownPaths = new Set(opts.routes.map((r) => r.path));
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const { log } = attachRequestContext(req, opts.logger);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const routeLabel = path === opts.slackPath || knownPaths.has(path) ? path : 'other';
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      opts.metrics.httpRequests.inc({ route: routeLabel, status: String(res.statusCode) });
      opts.metrics.httpDuration.observe({ route: routeLabel }, seconds);
    });
    if (path === opts.slackPath && opts.slackListener !== undefined) {
      opts.slackListener(req, res);
      return;
    }
    const route = table.get(`${req.method ?? 'GET'} ${path}`);
    if (route === undefined) {
      const allowed = knownPaths.has(path) || path === opts.slackPath;
      sendJson(res, allowed ? 405 : 404, { error: allowed ? 'method not allowed' : 'not found' });
      req.resume();
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res, log))
      .catch((error: unknown) => {
        log.error({ err: error, route: route.path }, 'route handler failed');
        sendJson(res, 500, { error: 'internal error', requestId: res.getHeader('x-request-id') });
      });
  });
  // Slack and AWS SNS keep connections alive; bound idle sockets so shutdown is prompt.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  return server;
}

/** A JSON answer (nothing when the headers already went out). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const MAX_HOOK_BODY_BYTES = 1024 * 1024;

/** Reads the raw body, refusing more than `limit` bytes (413) without buffering the rest. */
export async function readBody(req: IncomingMessage, limit = MAX_HOOK_BODY_BYTES): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      throw new MlopsError(ErrorCode.BodyTooLarge, `body is larger than ${limit} bytes`);
    }
    throw new MlopsError(ErrorCode.EventInvalid, `could not read the body: ${(error as Error).message}`);
  }
}
