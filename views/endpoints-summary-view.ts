import { chunkLines, escapeTruncate, slackDate } from './format';
import { endpointSummaryLine, type EndpointSummaryRow } from './endpoint-summary-line';
import { SlackLimits, type KnownBlock, type SlackMessage } from './slack-message';

export type { EndpointSummaryRow };

export interface EndpointsSummaryViewInput {
  rows: readonly EndpointSummaryRow[];
  windowMinutes: number;
  now: Date;
}

/** Leaves room for the header and the footer within a message's 50 blocks. */
const MAX_LINE_BLOCKS = SlackLimits.blocksPerMessage - 3;

/** `/mlops status` without argument: one line per configured endpoint. */
export function endpointsSummaryView(input: EndpointsSummaryViewInput): SlackMessage {
  if (input.rows.length === 0) {
    const text = 'No endpoints are configured: set `models.&lt;name&gt;.endpoint` in the config file to watch one.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const chunks = chunkLines(
    input.rows.map((r) => endpointSummaryLine(r, input.windowMinutes)),
    SlackLimits.sectionText,
  );
  const shown = chunks.slice(0, MAX_LINE_BLOCKS);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Endpoints (${input.rows.length})` } },
    ...shown.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
  const hidden = input.rows.length - shown.reduce((n, c) => n + c.split('\n').length, 0);
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${hidden > 0 ? `…and ${hidden} more. ` : ''}Last ${input.windowMinutes} minutes of CloudWatch metrics, as of ${slackDate(input.now.toISOString(), '{time}')}. \`/mlops status &lt;model&gt;\` shows one endpoint in detail.`,
      },
    ],
  });
  const up = input.rows.filter((r) => r.status === 'InService').length;
  const unavailable = input.rows.filter((r) => r.status === undefined).length;
  const text = `${input.rows.length} endpoint${input.rows.length === 1 ? '' : 's'}: ${up} InService, ${input.rows.length - up - unavailable} other, ${unavailable} unavailable. ${input.rows
    .map((r) => `${r.endpoint} ${r.status ?? 'unavailable'}`)
    .join('; ')}`;
  return { text: escapeTruncate(text, 3000), blocks };
}
