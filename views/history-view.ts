import { chunkLines } from './chunk-lines';
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
    const text = `No history for ${input.model} yet: decisions, deployments and training requests will show here.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const chunks = chunkLines(input.entries.map((e) => historyLine(e)), SlackLimits.sectionText).slice(0, SlackLimits.blocksPerMessage - 2);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`History of ${input.model} (last ${input.entries.length})`, 150) } },
    ...chunks.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
  if (input.entries.length >= input.limit) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Newest first. \`/mlops history ${input.model} 50\` shows up to 50.` }] });
  }
  const text = `History of ${input.model}: ${input.entries
    .slice(0, 10)
    .map((e) => `${e.at.slice(0, 16).replace('T', ' ')} ${e.version ?? ''} ${e.action.replace(/_/g, ' ')} by ${e.actor === 'pipeline' ? 'the pipeline' : `<@${e.actor}>`}`.replace(/\s+/g, ' '))
    .join('; ')}${input.entries.length > 10 ? '; …' : ''}`;
  return { text: truncate(text, 3000), blocks };
}
