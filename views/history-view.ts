import { chunkLines } from './chunk-lines';
import { escapeTruncate, userMention } from './escape-truncate';
import { inlineCode } from './inline-code';
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

/** `/mlops history <model> [n]`: the newest audit entries, who did what and when. */
export function historyView(input: HistoryViewInput): SlackMessage {
  if (input.entries.length === 0) {
    const text = `No history for ${escapeTruncate(input.model, 100)} yet: decisions, deployments and training requests will show here.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const chunks = chunkLines(input.entries.map((e) => historyLine(e)), SlackLimits.sectionText).slice(0, SlackLimits.blocksPerMessage - 2);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`History of ${input.model} (last ${input.entries.length})`, 150) } },
    ...chunks.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
  if (input.entries.length >= input.limit) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Newest first. ${inlineCode(`/mlops history ${input.model} 50`, 200)} shows up to 50.` }] });
  }
  // Each entry escaped on its own, so the fallback keeps its mentions and nothing outside becomes one.
  const lines = input.entries.slice(0, 10).map((e) => {
    const what = escapeTruncate(`${e.at.slice(0, 16).replace('T', ' ')} ${e.version ?? ''} ${e.action.replace(/_/g, ' ')}`.replace(/\s+/g, ' '), 200);
    return `${what} by ${e.actor === 'pipeline' ? 'the pipeline' : userMention(e.actor)}`;
  });
  const text = `History of ${escapeTruncate(input.model, 100)}: ${lines.join('; ')}${input.entries.length > 10 ? '; …' : ''}`;
  return { text, blocks };
}
