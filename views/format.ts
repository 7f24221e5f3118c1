import { isSlackUserId, type PipelineEvent } from '../src/core/pipeline-event';
import { truncate } from './slack-message';

/*
 * Text formatting shared by the views: escaping outside text, code, links, times, numbers and
 * layout. Each helper is pure (the clock is passed in) and returns mrkdwn or plain text.
 */

// ── Escaping: the one way outside text enters mrkdwn ───────────────────────────────────────

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

// ── Code ───────────────────────────────────────────────────────────────────────────────────

/** `text` as inline code, at most `max` characters inside; a backtick in it would end the code, so it becomes ˋ. */
export function inlineCode(text: string, max: number): string {
  return `\`${escapeTruncate(text.replace(/`/g, 'ˋ'), max)}\``;
}

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

// ── Links and references ───────────────────────────────────────────────────────────────────

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

/** Context elements with the event's links (run, logs, dashboard…), one per element, at most `max`. */
export function eventLinks(event: Pick<PipelineEvent, 'run' | 'links' | 'error'>, max = 6): { type: 'mrkdwn'; text: string }[] {
  const links: string[] = [];
  const add = (url: string | undefined, label: string) => {
    if (url === undefined || links.length >= max) return;
    const link = slackLink(url, label);
    if (link !== undefined) links.push(link);
  };
  add(event.run?.url, 'run');
  add(event.error?.logUrl, 'logs');
  for (const [name, url] of Object.entries(event.links ?? {})) add(url, name);
  return links.map((text) => ({ type: 'mrkdwn' as const, text }));
}

/** "DAG `fraud_detector_training`, run `manual__…`": which run a message is about. */
export function runReference(run: { dagId?: string | undefined; runId?: string | undefined } | undefined): string | undefined {
  if (run?.dagId === undefined && run?.runId === undefined) return undefined;
  const parts: string[] = [];
  if (run.dagId !== undefined) parts.push(`DAG ${inlineCode(run.dagId, 260)}`);
  if (run.runId !== undefined) parts.push(`run ${inlineCode(run.runId, 260)}`);
  return parts.join(', ');
}

// ── Times ──────────────────────────────────────────────────────────────────────────────────

/** "2026-11-20 14:30 UTC": a time as plain text, for fallback strings. */
export function utcText(at: Date): string {
  if (Number.isNaN(at.getTime())) return 'unknown time';
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A Slack date token: shown in each reader's own time zone, with an ISO fallback. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeTruncate(iso, 40);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString().replace('.000Z', 'Z')}>`;
}

/** "just now", "5 min ago", "3 h ago", "4 d ago" (the clock is passed in: views do not read it). */
export function relativeTime(at: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  if (Number.isNaN(seconds)) return 'at an unknown time';
  if (seconds < 0) return 'in the future';
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** "39m 45s", "2h 5m", "45s": a duration in whole seconds, two units at most. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  const s = Math.round(seconds);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${secs}s`;
  return `${secs}s`;
}

// ── Numbers ────────────────────────────────────────────────────────────────────────────────

/**
 * A metric value in plain words: counts as grouped integers ("1,234"), milliseconds and
 * percentages with one decimal below 100 ("45.2 ms", "7.5%"). Missing or non-finite values are "–".
 * `unit`: 'count', 'ms', 'percent', or any other unit, shown after the number as given.
 */
export function formatMetricValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const decimals = unit === 'count' || Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1;
  // toFixed + a regex, not toLocaleString: Intl formatting was the costliest part of `status`.
  const [whole = '0', fraction] = value.toFixed(decimals).split('.');
  const number = `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction !== undefined ? `.${fraction}` : ''}`.replace(/^-(0(\.0)?)$/, '$1');
  switch (unit) {
    case 'ms':
      return `${number} ms`;
    case 'percent':
      return `${number}%`;
    default:
      return number;
  }
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * A compact text chart of `values` (oldest first), one bar per value; longer series are
 * averaged into `width` buckets. The lowest value is ▁ and the highest █ (scaled between the
 * series' own min and max); a flat series is all ▁, and non-finite values are skipped.
 * Empty input gives ''.
 */
export function sparkline(values: readonly number[], width = 30): string {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be a positive integer, got ${width}`);
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const buckets = finite.length <= width ? finite : bucketMeans(finite, width);
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  // Differences below a billionth of the values are float noise (a weighted mean of a constant), not a trend.
  const span = max - min <= 1e-9 * Math.max(Math.abs(min), Math.abs(max)) ? 0 : max - min;
  return buckets.map((v) => BARS[span === 0 ? 0 : Math.min(BARS.length - 1, Math.floor(((v - min) / span) * BARS.length))]).join('');
}

/** Averages `values` into `width` nearly equal consecutive buckets. */
function bucketMeans(values: readonly number[], width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    const slice = values.slice(from, Math.max(to, from + 1));
    out.push(slice.reduce((a, b) => a + b, 0) / slice.length);
  }
  return out;
}

/** A colour for a SageMaker endpoint status (PLATFORM-FACTS lists them all). */
export function endpointStatusEmoji(status: string | undefined): string {
  switch (status) {
    case 'InService':
      return ':large_green_circle:';
    case 'Creating':
    case 'Updating':
    case 'SystemUpdating':
    case 'RollingBack':
      return ':large_yellow_circle:';
    case 'Failed':
    case 'UpdateRollbackFailed':
    case 'OutOfService':
      return ':red_circle:';
    case 'Deleting':
      return ':white_circle:';
    default:
      return ':grey_question:';
  }
}

// ── Layout ─────────────────────────────────────────────────────────────────────────────────

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

/** Columns a cell takes: code points, not UTF-16 units (a character outside the BMP is one column). */
function columns(cell: string): number {
  return Array.from(cell).length;
}

/** Aligns rows into a monospace table (first column left-aligned, the others right-aligned). */
export function monospaceTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, columns(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - columns(cell));
          return i === 0 ? cell + pad : pad + cell;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
