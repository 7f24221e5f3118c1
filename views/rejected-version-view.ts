import { escapeTruncate, slackDate } from './format';
import type { SlackMessage } from './slack-message';

export interface RejectedVersionInput {
  model: string;
  version: string;
  /** Slack user id of who rejected it, when known. */
  rejectedBy?: string;
  rejectedAt?: string;
  reason?: string;
}

/**
 * The answer to `/mlops deploy <model> <version>` for a version whose evaluation was rejected: a
 * command never overrides another approver's Reject. Pure; the reason (typed by a person) is shown,
 * never interpreted.
 */
export function rejectedVersionView(input: RejectedVersionInput): SlackMessage {
  const what = `${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 100)}`;
  const who = input.rejectedBy !== undefined && /^[UW][A-Z0-9]{2,}$/.test(input.rejectedBy) ? `<@${input.rejectedBy}>` : 'an approver';
  const when = input.rejectedAt !== undefined ? ` ${slackDate(input.rejectedAt)}` : '';
  const why = input.reason !== undefined && input.reason !== '' ? `: “${escapeTruncate(input.reason, 1500)}”` : ' (no reason given)';
  const text =
    `:no_entry: ${what} was rejected by ${who}${when}${why}. \`/mlops deploy\` does not override a Reject, so nothing was requested. ` +
    'If the rejection no longer holds, run its evaluation again: the new evaluation message asks the approvers again.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
