import { X509Certificate, createVerify, type KeyObject } from 'node:crypto';
import { checkSnsUrl, snsTopicRegion } from '../core/check-sns-url';
import type { SnsEnvelope } from '../core/sns-envelope';
import { snsStringToSign } from '../core/sns-string-to-sign';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export type SnsVerification =
  | { ok: true }
  /** 401 bad signature; 403 a URL the bot will not fetch; 503 the certificate could not be read (retry). */
  | { ok: false; status: 401 | 403 | 503; reason: string };

const MAX_CERT_BYTES = 64 * 1024;
const CERT_FETCH_TIMEOUT_MS = 5000;

/**
 * Verifies SNS message signatures (versions 1 = SHA1withRSA and 2 = SHA256withRSA) against the
 * certificate at SigningCertURL, which is fetched only when it is an
 * `https://sns.<region>.amazonaws.com/SimpleNotificationService-<hex>.pem` URL of the topic's region
 * (core/check-sns-url.ts): any other URL is refused with no request made.
 * Certificates are cached by URL (bounded, oldest out; failures are not cached) and must be
 * within their validity period.
 */
export function createSnsVerifier(opts: { fetch: FetchLike; cacheSize?: number; now?: () => number }) {
  const cacheSize = opts.cacheSize ?? 32;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Promise<CachedCertificate>>();

  async function download(url: string): Promise<CachedCertificate> {
    const res = await opts.fetch(url, { redirect: 'error', signal: AbortSignal.timeout(CERT_FETCH_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`certificate download answered HTTP ${res.status}`);
    const pem = await res.text();
    if (pem.length > MAX_CERT_BYTES) throw new Error('certificate is too large');
    const cert = new X509Certificate(pem);
    return { key: cert.publicKey, notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
  }

  async function certificate(url: string): Promise<CachedCertificate> {
    let entry = cache.get(url);
    if (entry === undefined) {
      entry = download(url);
      cache.set(url, entry);
      entry.catch(() => cache.delete(url));
      while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return entry;
  }

  return {
    async verify(envelope: SnsEnvelope): Promise<SnsVerification> {
      const certUrl = checkSnsUrl(envelope.SigningCertURL, 'certificate');
      if (!certUrl.ok) return { ok: false, status: 403, reason: certUrl.reason };
      // SNS signs with the certificate of the topic's own region (as the AWS SDKs expect).
      if (snsTopicRegion(envelope.TopicArn) !== certUrl.region) return { ok: false, status: 403, reason: "certificate URL is not in the topic's region" };
      const stringToSign = snsStringToSign(envelope);
      if (stringToSign === undefined) return { ok: false, status: 401, reason: 'the message lacks a signed field' };
      let cert: CachedCertificate;
      try {
        cert = await certificate(envelope.SigningCertURL);
      } catch (error) {
        return { ok: false, status: 503, reason: `could not read the signing certificate: ${(error as Error).message}` };
      }
      const at = now();
      if (!(at >= cert.notBefore && at <= cert.notAfter)) return { ok: false, status: 401, reason: 'the signing certificate is not valid now' };
      try {
        const algorithm = envelope.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
        const valid = createVerify(algorithm).update(stringToSign, 'utf8').verify(cert.key, envelope.Signature, 'base64');
        return valid ? { ok: true } : { ok: false, status: 401, reason: 'signature does not match' };
      } catch {
        return { ok: false, status: 401, reason: 'signature could not be checked' };
      }
    },
    /** Certificates currently cached (tests). */
    cachedCount: () => cache.size,
  };
}
export type SnsVerifier = ReturnType<typeof createSnsVerifier>;

interface CachedCertificate {
  key: KeyObject;
  notBefore: number;
  notAfter: number;
}
