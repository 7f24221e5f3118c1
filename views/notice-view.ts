import { escapeTruncate } from './format';
import { SlackLimits, truncate, type SlackMessage } from './slack-message';

/**
 * A one-section message with an emoji: confirmations such as "Training started" or "Cancelled".
 * `text` is plain text (escaped here); `mrkdwn`, when given, is the text of the block and the
 * fallback as built by the caller (outside values already escaped, mentions its own).
 */
export function noticeView(input: { emoji: string; text: string; mrkdwn?: string }): SlackMessage {
  const text = escapeTruncate(input.text, SlackLimits.sectionText - 50);
  return {
    // The fallback is mrkdwn as well: the caller's mrkdwn serves for both.
    text: input.mrkdwn ?? text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(`${input.emoji} ${input.mrkdwn ?? text}`, SlackLimits.sectionText) } }],
  };
}
