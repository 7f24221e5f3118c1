import { isSlackUserId } from '../src/core/pipeline-event';

/**
 * The one place where outside text (anything from a pipeline event, AWS, Airflow, the store or
 * what a user typed) enters mrkdwn, in blocks and in the fallback `text` alike: it is shown,
 * never interpreted. Slack parses `&`, `<` and `>` as control characters ("Formatting text for
 * app surfaces": escape them as HTML entities and nothing else), so `<!channel>` or
 * `<https://evil|Re-authenticate>` from a pipeline would ping or link. Mentions and links are
 * only ever built by the helpers below from checked values.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes the three characters Slack mrkdwn treats as control characters (and breaks up code fences, see breakFences). */
export function escapeMrkdwn(text: string): string {
  return breakFences(text).replace(/[&<>]/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * `<@U…>` for a Slack user id, else the value as escaped text (a name from a pipeline, an
 * actor such as "pipeline"): nothing but a real user id ever becomes a mention.
 */
export function userMention(id: string, max = 100): string {
  return isSlackUserId(id) ? `<@${id}>` : escapeTruncate(id, max);
}

/**
 * Escapes text for mrkdwn and cuts it so that the ESCAPED result is at most `max` characters,
 * ending with `marker` when cut. Cutting after escaping could split an entity (`&am…`) and
 * cutting before could overflow (every `&` grows to five characters): this does neither, and
 * never splits a surrogate pair. A code fence in the text is broken up (a zero-width space
 * after its first backtick), so foreign text can never open a code block in our message.
 */
export function escapeTruncate(text: string, max: number, marker = '…'): string {
  let out = '';
  let cut = false;
  for (const ch of breakFences(text)) {
    const piece = ESCAPES[ch] ?? ch;
    if (out.length + piece.length > max) {
      cut = true;
      break;
    }
    out += piece;
  }
  if (!cut) return out;
  // Make room for the marker without splitting an entity or a surrogate pair.
  let trimmed = out;
  while (trimmed.length + marker.length > max && trimmed.length > 0) {
    const entity = /&(?:amp|lt|gt);$/.exec(trimmed);
    trimmed = entity !== null ? trimmed.slice(0, -entity[0].length) : trimmed.slice(0, /[\uDC00-\uDFFF]$/.test(trimmed) ? -2 : -1);
  }
  return trimmed + marker;
}

/** Cuts mrkdwn that is already escaped to `max` characters without leaving half an entity (`&am…`). */
export function truncateMrkdwn(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - marker.length);
  cut = cut.replace(/&[a-z]{0,3}$/, '');
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + marker;
}

/** "```" → "`\u200b``": displayed the same, but never a fence. */
export function breakFences(text: string): string {
  return text.includes('```') ? text.replace(/`(?=``)/g, '`\u200b') : text;
}
