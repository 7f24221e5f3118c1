import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from '../../views/slack-message';

/** A chart uploaded to Slack, ready for an `image` block. */
export interface UploadedChart {
  fileId: string;
  title: string;
  altText: string;
}

/**
 * The message that carries an evaluation's charts (pure): one `image` block per chart,
 * referencing the uploaded file with `slack_file`, each with its alt text. The figures stay in the
 * evaluation message itself; `text` says what the pictures show for notifications and search.
 */
export function chartMessageView(input: { model: string; version: string; charts: readonly UploadedChart[] }): SlackMessage {
  const names = input.charts.map((c) => c.title.replace(/^[^:]*:\s*/, '')).join(' and ');
  const blocks: KnownBlock[] = input.charts.map((c, i) => ({
    type: 'image',
    block_id: `chart_${i}`,
    slack_file: { id: c.fileId },
    alt_text: c.altText,
    title: { type: 'plain_text', text: c.title.slice(0, 2000) },
  }));
  return { text: `Charts of ${input.model} ${input.version}: ${names}.`, blocks };
}
