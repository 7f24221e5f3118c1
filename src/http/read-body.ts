import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { ErrorCode, MlopsError } from '../core/errors';

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
