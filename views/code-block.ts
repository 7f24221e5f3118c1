import { breakFences, escapeTruncate } from './escape-truncate';

/**
 * A mrkdwn code block of `text` that is at most `max` characters including its fences: the
 * content is escaped and cut inside the block (so the closing fence always survives), and a
 * fence inside the text is broken up so it cannot end the block early.
 */
export function codeBlock(text: string, max: number): { text: string; cut: boolean } {
  const safe = breakFences(text.replace(/\r\n?/g, '\n'));
  // Room for the fences (6) and a zero-width space on each side (2).
  const inner = escapeTruncate(safe, Math.max(1, max - 8), '\n…');
  // A backtick next to a fence would merge with it: keep them apart.
  const body = inner === '' ? ' ' : `${inner.startsWith('`') ? '\u200b' : ''}${inner}${inner.endsWith('`') ? '\u200b' : ''}`;
  return { text: `\`\`\`${body}\`\`\``, cut: inner.length < escapeLength(safe) };
}

function escapeLength(text: string): number {
  let n = 0;
  for (const ch of text) n += ch === '&' ? 5 : ch === '<' || ch === '>' ? 4 : ch.length;
  return n;
}
