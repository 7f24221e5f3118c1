import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../observability/create-logger';

const contexts = new WeakMap<IncomingMessage, { requestId: string; log: Logger }>();

/** Gives every request an id (honouring a sane X-Request-Id) and a pino child logger. */
export function attachRequestContext(req: IncomingMessage, logger: Logger): { requestId: string; log: Logger } {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
  const ctx = { requestId, log: logger.child({ requestId }) };
  contexts.set(req, ctx);
  return ctx;
}

export function requestContext(req: IncomingMessage, fallback: Logger): { requestId: string; log: Logger } {
  return contexts.get(req) ?? attachRequestContext(req, fallback);
}
