import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileConfig } from '../config/config-schema';
import { ErrorCode, isMlopsError } from '../core/errors';
import { parsePipelineEvent, type ParseResult } from '../core/pipeline-event';
import type { Clock } from '../core/ports';
import { routeEvent } from '../core/route-event';
import type { RecordEvent } from './record-event';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import { readBody, sendJson } from '../http/create-http-server';
import { verifyHmacSignature } from '../core/verify-hmac-signature';

export const PIPELINE_HOOK_PATH = '/hooks/pipeline';

/**
 * POST /hooks/pipeline (contract 5.1, 4): verify, validate, route-check, record, answer.
 * Bolt's customRoutes are not signature-checked, so this route checks its own requests.
 */
export function pipelineHookRoute(deps: {
  secret: string | undefined;
  config: FileConfig;
  recordEvent: RecordEvent;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}) {
  if (deps.secret === undefined)
    deps.logger.warn(`PIPELINE_WEBHOOK_SECRET is not set: ${PIPELINE_HOOK_PATH} refuses every event with 422 until it is (SNS does not need it)`);
  return async (req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> => {
    const count = (type: string, result: string) => deps.metrics.eventsReceived.inc({ source: 'hook', type, result });
    const { secret } = deps;
    if (secret === undefined) {
      // 422 naming the setting, like an unroutable event (contract 3): senders do not retry a 4xx,
      // so the event is reported at once as refused, with the fix, instead of retried as a 503
      // and reported "unreachable". The body is not read: nothing in it can be trusted.
      count('unknown', 'misconfigured');
      log.error('pipeline hook called but PIPELINE_WEBHOOK_SECRET is not set');
      sendJson(
        res,
        422,
        {
          error: ErrorCode.ConfigInvalid,
          message: 'the bot cannot verify events: PIPELINE_WEBHOOK_SECRET is not set on the bot; ask its operator to set it',
          missing: 'PIPELINE_WEBHOOK_SECRET',
        },
        { connection: 'close' },
      );
      req.resume();
      return;
    }
    const event = await readHookRequest(req, res, {
      count,
      log,
      invalidCode: ErrorCode.EventInvalid,
      invalidLog: 'pipeline hook: invalid event',
      verify: (rawBody) => {
        const check = verifyHmacSignature({
          secret,
          timestamp: header(req, 'x-mlops-request-timestamp'),
          signature: header(req, 'x-mlops-signature'),
          rawBody,
          nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
        });
        if (!check.ok) {
          count('unknown', 'unauthorized');
          log.warn({ reason: check.reason }, 'pipeline hook: signature refused');
          sendJson(res, 401, { error: ErrorCode.SignatureInvalid, message: check.reason });
        }
        return check.ok;
      },
      parse: parsePipelineEvent,
    });
    if (event === undefined) return;
    const eventLog = log.child({ eventId: event.id, eventType: event.type, model: event.model, version: event.version, runId: event.run?.runId });
    const route = routeEvent(event, deps.config);
    if (!route.ok) {
      count(event.type, 'unroutable');
      eventLog.warn({ missing: route.missing }, 'pipeline hook: event has no channel');
      sendJson(res, 422, { error: ErrorCode.EventUnroutable, message: `no Slack channel for this event: set ${route.missing}`, missing: route.missing });
      return;
    }
    try {
      const outcome = await deps.recordEvent(event, 'hook', deps.clock.now());
      count(event.type, outcome);
      if (outcome === 'duplicate') {
        eventLog.info('pipeline event already recorded (duplicate)');
        sendJson(res, 200, { duplicate: true, id: event.id });
        return;
      }
      eventLog.info({ channels: route.channels }, 'pipeline event recorded');
      sendJson(res, 202, { accepted: true, id: event.id });
    } catch (error) {
      count(event.type, 'unavailable');
      eventLog.error({ err: error }, 'pipeline event could not be recorded');
      sendJson(res, 503, { error: ErrorCode.StoreUnavailable, message: 'the event could not be recorded; retry later' }, { 'retry-after': '5' });
    }
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The door of a hook route, in order: the body (413 over the size limit, 400 when unreadable, and
 * the connection closed), `verify` on the raw bytes (it answers its own refusal), JSON (400), then
 * `parse` (400 with its problems, logged as `invalidLog`). JSON and parse refusals carry
 * `invalidCode`. Each refusal is counted with type "unknown". Returns the parsed value, or
 * undefined when the request has been answered.
 */
export async function readHookRequest<T>(
  req: IncomingMessage,
  res: ServerResponse,
  opts: {
    count: (type: string, result: string) => void;
    log: Logger;
    invalidCode: ErrorCode;
    invalidLog: string;
    /** False when the request is refused (it has answered and counted). */
    verify?: (rawBody: Buffer) => boolean;
    parse: (json: unknown) => ParseResult<T>;
  },
): Promise<T | undefined> {
  const { count } = opts;
  let rawBody: Buffer;
  try {
    rawBody = await readBody(req);
  } catch (error) {
    const tooLarge = isMlopsError(error, ErrorCode.BodyTooLarge);
    count('unknown', tooLarge ? 'too_large' : 'invalid');
    sendJson(res, tooLarge ? 413 : 400, { error: (error as { code?: string }).code, message: (error as Error).message }, { connection: 'close' });
    return undefined;
  }
  if (opts.verify !== undefined && !opts.verify(rawBody)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    count('unknown', 'invalid');
    sendJson(res, 400, { error: opts.invalidCode, problems: ['(body): not valid JSON'] });
    return undefined;
  }
  const parsed = opts.parse(json);
  if (!parsed.ok) {
    count('unknown', 'invalid');
    opts.log.info({ problems: parsed.problems }, opts.invalidLog);
    sendJson(res, 400, { error: opts.invalidCode, problems: parsed.problems });
    return undefined;
  }
  if (parsed.warnings !== undefined) opts.log.warn({ warnings: parsed.warnings }, 'accepted with fields dropped');
  return parsed.value;
}
