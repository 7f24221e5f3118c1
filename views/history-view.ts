import { chunkLines, escapeTruncate, userMention, inlineCode } from './format';
import { historyLine, type HistoryEntry } from './history-line';
import { SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export type { HistoryEntry };

export interface HistoryViewInput {
  model: string;
  /** Newest first. */
  entries: readonly HistoryEntry[];
  /** How many were asked for. */
  limit: number;
}

/**
 * The lines of one answer, well under the 40,000 characters of a message (an answer through
 * response_url is not held to chat.postMessage's msg_blocks_too_long, bolt-js#2867).
 */
const HISTORY_TEXT = 30_000;

/** `/mlops history <model> [n]`: the newest audit entries, who did what and when. */
export function historyView(input: HistoryViewInput): SlackMessage {
  if (input.entries.length === 0) {
    const text = `No history for ${escapeTruncate(input.model, 100)} yet: decisions, deployments and training requests will show here.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  // Newest first, as many whole lines as fit the answer; the rest is counted.
  const lines: string[] = [];
  let size = 0;
  for (const e of input.entries) {
    const line = historyLine(e);
    if (size + line.length + 1 > HISTORY_TEXT) break;
    lines.push(line);
    size += line.length + 1;
  }
  const chunks = chunkLines(lines, SlackLimits.sectionText).slice(0, SlackLimits.blocksPerMessage - 3);
  const left = input.entries.length - lines.length;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`History of ${input.model} (last ${input.entries.length})`, 150) } },
    ...chunks.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
  if (left > 0)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${left} older ${left === 1 ? 'entry' : 'entries'} not shown (too long for one message).` }],
    });
  if (input.entries.length >= input.limit) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Newest first. ${inlineCode(`/mlops history ${input.model} 50`, 200)} shows up to 50.` }],
    });
  }
  // Each entry escaped on its own, so the fallback keeps its mentions and nothing outside becomes one.
  const fallback = input.entries.slice(0, 10).map((e) => {
    const what = escapeTruncate(`${e.at.slice(0, 16).replace('T', ' ')} ${e.version ?? ''} ${e.action.replace(/_/g, ' ')}`.replace(/\s+/g, ' '), 200);
    return `${what} by ${e.actor === 'pipeline' ? 'the pipeline' : userMention(e.actor)}`;
  });
  const text = `History of ${escapeTruncate(input.model, 100)}: ${fallback.join('; ')}${input.entries.length > 10 ? '; …' : ''}`;
  return { text, blocks };
}
