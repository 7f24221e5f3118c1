import { escapeTruncate } from './escape-truncate';

/** Links longer than this are left out rather than cut (a cut URL is a broken link). */
export const MAX_LINK_URL = 1800;

/** `<url|label>` with the characters that would end the link encoded; undefined for unusable URLs. */
export function slackLink(url: string, label: string): string | undefined {
  if (url.length > MAX_LINK_URL || !/^https?:\/\//i.test(url)) return undefined;
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeTruncate(label, 80)}>`;
}
