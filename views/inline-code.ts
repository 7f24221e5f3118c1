import { escapeTruncate } from './escape-truncate';

/** `text` as inline code, at most `max` characters inside; a backtick in it would end the code, so it becomes ˋ. */
export function inlineCode(text: string, max: number): string {
  return `\`${escapeTruncate(text.replace(/`/g, 'ˋ'), max)}\``;
}
