import { escapeTruncate } from './escape-truncate';

/** Links longer than this are left out rather than cut (a cut URL is a broken link). */
export const MAX_LINK_URL = 1800;

/**
 * `<url|label>` for an https URL, else undefined (the caller leaves it out). Only https: a
 * link in a bot message is trusted by its readers, and plain http (or javascript:, mailto:…)
 * has no business there. The URL is re-serialised by the WHATWG parser and the characters that
 * would end the link (`|`, `<`, `>`) are percent-encoded, so a URL can never break out of its
 * link; the label is escaped text. At most MAX_LINK_URL characters of URL, after encoding.
 */
export function slackLink(url: string, label: string, maxLabel = 80): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return undefined;
  const href = parsed.href.replace(/[|<>\s]/g, (ch) => encodeURIComponent(ch));
  if (href.length > MAX_LINK_URL) return undefined;
  return `<${href}|${escapeTruncate(label, maxLabel)}>`;
}
