import { breakFences, escapeTruncate } from './format';
import { type KnownBlock, type SlackMessage } from './slack-message';

/** Code block sections are kept under Slack's 3,000-character section text. */
const CHUNK = 2900;
/** At most this many code blocks (about 11,600 characters): all blocks together must stay under SlackLimits.blocksText (msg_blocks_too_long). */
const MAX_CHUNKS = 4;

/** Whether the full text fits the thread reply (escaped, in at most MAX_CHUNKS blocks); else it is posted as a file. */
export function errorDetailFitsInline(text: string): boolean {
  let escaped = 0;
  for (const ch of text) escaped += ch === '&' ? 5 : ch === '<' || ch === '>' ? 4 : ch === '`' ? 2 : ch.length;
  return escaped <= (MAX_CHUNKS - 1) * (CHUNK - 200);
}

/**
 * The full text of a long error, as a thread reply under its alert: consecutive code blocks of
 * at most 3,000 characters each (cut between lines when possible), fences and all.
 */
export function errorDetailView(input: { title: string; text: string }): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: escapeTruncate(input.title, 200) } }];
  // Fences broken up front, so that escaping inserts nothing and lengths map back to the text.
  const safe = breakFences(input.text.replace(/\r\n?/g, '\n'));
  let rest = safe;
  while (rest.length > 0 && blocks.length <= MAX_CHUNKS) {
    let piece = escapeTruncate(rest, CHUNK - 6, '');
    // Prefer to end a chunk at a line break when one is reasonably close.
    const raw = unescapedLength(piece);
    if (raw < rest.length) {
      const nl = rest.lastIndexOf('\n', raw);
      if (nl > raw * 0.6) piece = escapeTruncate(rest.slice(0, nl + 1), CHUNK - 6, '');
    }
    const consumed = Math.max(1, unescapedLength(piece));
    const fenced = piece === '' ? ' ' : `${piece.startsWith('`') ? '\u200b' : ''}${piece}${piece.endsWith('`') ? '\u200b' : ''}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${fenced}\`\`\`` } });
    rest = rest.slice(consumed);
  }
  if (rest.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `… ${rest.length} more characters not shown` }] });
  return { text: escapeTruncate(`${input.title} (${input.text.length} characters)`, 3000), blocks };
}

function unescapedLength(escaped: string): number {
  return escaped.replace(/&(?:amp|lt|gt);/g, '_').length;
}
