import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import getRawBody from 'raw-body';
import { verifyHmacSignature } from '../core/verify-hmac-signature';

/** Bolt's HTTPReceiver default body limit (it answers 413 above it). */
const BOLT_BODY_LIMIT = 4 * 1024 * 1024;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Bolt 5.1's HTTPReceiver reads `body.ssl_check` before it checks what the body is, so a request
 * whose body parses to JSON `null` (`payload=null`, or a JSON body `null`) rejects inside Bolt:
 * an unhandled rejection, and the request is never answered (found by test/e2e/fuzz-inputs).
 * This buffers the body exactly as Bolt would (Bolt reuses `req.rawBody` when it is set),
 * answers such a body itself (400 when correctly signed, else 401, as Bolt answers unsigned
 * requests), and hands every other request to Bolt untouched.
 */
export function guardSlackBody(listener: Listener, signingSecret: string): Listener {
  return (req, res) => {
    getRawBody(req, { limit: BOLT_BODY_LIMIT }).then(
      (raw) => {
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
        if (!parsesToNull(raw, req.headers['content-type'])) {
          listener(req, res);
          return;
        }
        const header = (name: string) => {
          const value = req.headers[name];
          return typeof value === 'string' ? value : undefined;
        };
        const signed = verifyHmacSignature({
          secret: signingSecret,
          timestamp: header('x-slack-request-timestamp'),
          signature: header('x-slack-signature'),
          rawBody: raw,
          // The real clock, not deps.clock: Bolt checks the same timestamp against Date.now(), and
          // Slack signs with real time, so a test's fake clock must not move this window.
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        res.writeHead(signed.ok ? 400 : 401).end();
      },
      (error: unknown) => {
        // As Bolt answers: 413 over the limit, 401 for a body it could not read.
        const e = error as { type?: string; status?: number };
        res.writeHead(e.type === 'entity.too.large' || e.status === 413 ? 413 : 401).end();
      },
    );
  };
}

/** JSON text that is `null` (JSON allows only these four whitespace characters around it). */
const JSON_NULL = /^[ \t\n\r]*null[ \t\n\r]*$/;

/**
 * Bolt's parsing rule (parseHTTPRequestBody): a form body's `payload` field, else the whole body,
 * as JSON. Checked without parsing the JSON (this runs before every ack).
 */
function parsesToNull(raw: Buffer, contentType: string | undefined): boolean {
  if (contentType !== 'application/x-www-form-urlencoded') return raw.length < 64 && JSON_NULL.test(raw.toString());
  const form = parseQuery(raw.toString());
  // ssl_check bodies are reduced to `ssl_check=1` by Bolt before they are parsed.
  if (form['ssl_check'] === '1') return false;
  return typeof form['payload'] === 'string' && JSON_NULL.test(form['payload']);
}
