import type { KnownBlock } from '@slack/types';

export type { KnownBlock };

/** What every view returns: fallback text (notifications, screen readers) plus blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Slack limits (PLATFORM-FACTS): keep views inside them. */
export const SlackLimits = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  buttonText: 75,
  modalTitle: 24,
  privateMetadata: 3000,
  messageText: 40000,
  contextElements: 10,
} as const;

/** Cuts text to `max` characters on a clean boundary, with an ellipsis marker. */
export function truncate(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  let end = max - marker.length;
  // Never split a surrogate pair (an emoji cut in half shows as garbage).
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
  const cut = text.slice(0, end);
  const lastBreak = Math.max(cut.lastIndexOf('\n'), cut.lastIndexOf(' '));
  return (lastBreak > max * 0.8 ? cut.slice(0, lastBreak) : cut) + marker;
}

/** Outside text is escaped by the one helper in escape-truncate.ts (re-exported for the views using it from here). */
export { escapeMrkdwn } from './escape-truncate';
