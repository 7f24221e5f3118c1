export type SnsUrlCheck = { ok: true; region: string } | { ok: false; reason: string };

/**
 * SNS's regional hosts, as the AWS SDKs resolve them: `sns.<region>.amazonaws.com` (commercial and
 * GovCloud, e.g. us-gov-west-1) and `sns.<region>.amazonaws.com.cn` (China: cn-north-1,
 * cn-northwest-1). The ISO and EU sovereign partitions (c2s.ic.gov, amazonaws.eu…) are not accepted.
 */
const SNS_HOST = /^sns\.((?!cn-)[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/;
const SNS_HOST_CN = /^sns\.(cn-[a-z]+-\d)\.amazonaws\.com\.cn$/;
/** The only certificate path SNS serves: `/SimpleNotificationService-<hex>.pem`. */
const CERT_PATH = /^\/SimpleNotificationService-[0-9a-f]{1,64}\.pem$/;

/**
 * Whether a URL from an SNS message may be fetched. Certificate: exactly
 * `https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem`, nothing else (no
 * query, fragment, credentials, port or other path). Subscribe: the same host, path `/`, query
 * `Action=ConfirmSubscription…`, no fragment. Anything else is refused before any request is made,
 * so a forged message cannot make the bot call out, not even to another path of an AWS host.
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
  // The raw text too: WHATWG parsing turns `https://@host/` into empty (invisible) credentials.
  if (url.username !== '' || url.password !== '' || url.port !== '' || /^https:\/\/[^/]*@/i.test(raw)) {
    return { ok: false, reason: `${kind} URL carries credentials or a port` };
  }
  const match = SNS_HOST.exec(url.hostname) ?? SNS_HOST_CN.exec(url.hostname);
  if (match === null) return { ok: false, reason: `${kind} URL is not on an sns.<region>.amazonaws.com host` };
  // `raw.includes('#')`: an empty fragment ("…pem#") leaves url.hash empty.
  if (url.hash !== '' || raw.includes('#')) return { ok: false, reason: `${kind} URL carries a fragment` };
  if (kind === 'certificate') {
    if (url.search !== '' || raw.includes('?')) return { ok: false, reason: 'certificate URL carries a query string' };
    if (!CERT_PATH.test(url.pathname)) return { ok: false, reason: 'certificate URL is not /SimpleNotificationService-<hex>.pem' };
    // SNS sends the canonical form; anything a parser had to normalise (dot segments, backslashes,
    // upper case…) is not from SNS, and the fetch must not depend on how it would be normalised.
    if (url.href !== raw) return { ok: false, reason: 'certificate URL is not in canonical form' };
  } else if (url.pathname !== '/' || url.searchParams.get('Action') !== 'ConfirmSubscription') {
    return { ok: false, reason: 'subscribe URL is not /?Action=ConfirmSubscription' };
  }
  return { ok: true, region: match[1] ?? '' };
}

/** The region of an SNS topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`), if it is one. */
export function snsTopicRegion(topicArn: string): string | undefined {
  return /^arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]+$/.exec(topicArn)?.[1];
}
