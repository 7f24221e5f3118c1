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

/** The request id a Bolt listener finds in its context (set by customPropertiesExtractor; absent over Socket Mode). */
export function contextRequestId(context: Readonly<Record<string, unknown>>): string | undefined {
  const id = context['requestId'];
  return typeof id === 'string' ? id : undefined;
}

export function requestContext(req: IncomingMessage, fallback: Logger): { requestId: string; log: Logger } {
  return contexts.get(req) ?? attachRequestContext(req, fallback);
}
