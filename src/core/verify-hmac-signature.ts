import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_SIGNATURE_AGE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Slack-style request signing (contract 5.1): `v0=` + hex HMAC-SHA256(secret, `v0:{ts}:{body}`),
 * compared in constant time; timestamps more than 300 s from now (either way) are refused.
 */
export function verifyHmacSignature(opts: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  nowSeconds: number;
}): SignatureCheck {
  const { timestamp, signature } = opts;
  if (timestamp === undefined || timestamp === '') return { ok: false, reason: 'missing timestamp header' };
  if (signature === undefined || signature === '') return { ok: false, reason: 'missing signature header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'timestamp is not unix seconds' };
  if (Math.abs(opts.nowSeconds - Number(timestamp)) > MAX_SIGNATURE_AGE_SECONDS) {
    return { ok: false, reason: 'timestamp is more than 300 s from now' };
  }
  const expected = Buffer.from(`v0=${createHmac('sha256', opts.secret).update(`v0:${timestamp}:`).update(opts.rawBody).digest('hex')}`);
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; comparing against itself keeps the timing flat.
  const same = given.length === expected.length ? timingSafeEqual(given, expected) : (timingSafeEqual(expected, expected), false);
  return same ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

export function signHmac(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`;
}
