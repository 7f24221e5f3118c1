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
  /**
   * All text of a message's blocks together: chat.postMessage refuses more with
   * `msg_blocks_too_long` although every block is within its own limit (about 13,200 characters
   * measured, "12,000 text characters with a buffer for block containers": bolt-js#2509, #2867).
   */
  blocksText: 12_000,
} as const;

/** The text characters of blocks as Slack counts them for msg_blocks_too_long (every `text` string, URLs in links included). */
export function blocksTextLength(blocks: readonly unknown[]): number {
  let n = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') n += value.length;
        else walk(value);
      }
    }
  };
  walk(blocks);
  return n;
}

const FIT_NOTE = 'Some details were left out to fit the size Slack allows for one message.';

/**
 * Keeps a message's blocks within SlackLimits.blocksText: while over, the largest droppable
 * text goes (a context element, else a whole section or context block), never the header, the
 * first section (what happened) or actions (the buttons). A note says something was left out.
 */
export function fitMessage(message: SlackMessage, budget: number = SlackLimits.blocksText): SlackMessage {
  if (blocksTextLength(message.blocks) <= budget) return message;
  const blocks = message.blocks.map((b) => (b.type === 'context' ? { ...b, elements: [...b.elements] } : b));
  const firstSection = blocks.findIndex((b) => b.type === 'section');
  const droppable = (b: KnownBlock, i: number) => (b.type === 'section' && i !== firstSection) || b.type === 'context';
  const size = (x: unknown) => blocksTextLength([x]);
  while (blocksTextLength(blocks) > budget - FIT_NOTE.length - 2) {
    let target = -1;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i] as KnownBlock;
      if (droppable(b, i) && (target === -1 || size(b) > size(blocks[target]))) target = i;
    }
    if (target === -1) break;
    const block = blocks[target] as KnownBlock;
    if (block.type === 'context' && block.elements.length > 1) {
      // The largest element (usually a long link) goes first; the rest of the line stays.
      let largest = 0;
      block.elements.forEach((e, j) => (largest = size(e) > size(block.elements[largest]) ? j : largest));
      block.elements.splice(largest, 1);
    } else {
      blocks.splice(target, 1);
    }
  }
  const blocksOut =
    blocks.length < SlackLimits.blocksPerMessage
      ? [...blocks, { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: `_${FIT_NOTE}_` }] }]
      : blocks;
  return { text: message.text, blocks: blocksOut };
}

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
