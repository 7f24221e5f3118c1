import { truncate } from './slack-message';

/**
 * Packs lines into as few texts as possible, each at most `maxChars` long (a section's text
 * limit), never splitting a line; a single line longer than the limit is cut.
 */
export function chunkLines(lines: readonly string[], maxChars: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, maxChars);
    if (current !== '' && current.length + 1 + line.length > maxChars) {
      chunks.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
