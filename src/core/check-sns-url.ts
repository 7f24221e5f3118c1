export type SnsUrlCheck = { ok: true; region: string } | { ok: false; reason: string };

/** `sns.<region>.amazonaws.com`, region like us-east-1 or us-gov-west-1 (nothing else, no port). */
const SNS_HOST = /^sns\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/;

/**
 * Whether a URL from an SNS message may be fetched: only `https://sns.<region>.amazonaws.com/…`
 * (with no credentials or port), and for a signing certificate only a `.pem` path. Anything
 * else is refused before any request is made, so a forged message cannot make the bot call out.
 */
export function checkSnsUrl(raw: unknown, kind: 'certificate' | 'subscribe'): SnsUrlCheck {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return { ok: false, reason: `${kind} URL is missing or too long` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `${kind} URL is not a URL` };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `${kind} URL is not https` };
  if (url.username !== '' || url.password !== '' || url.port !== '') return { ok: false, reason: `${kind} URL carries credentials or a port` };
  const match = SNS_HOST.exec(url.hostname);
  if (match === null) return { ok: false, reason: `${kind} URL is not on an sns.<region>.amazonaws.com host` };
  if (kind === 'certificate' && !url.pathname.endsWith('.pem')) return { ok: false, reason: 'certificate URL does not name a .pem file' };
  return { ok: true, region: match[1] ?? '' };
}
