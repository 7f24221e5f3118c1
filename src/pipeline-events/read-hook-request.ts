import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, isMlopsError } from '../core/errors';
import type { ParseResult } from '../core/pipeline-event';
import type { Logger } from '../observability/create-logger';
import { readBody } from '../http/read-body';
import { sendJson } from '../http/send-json';

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
