import { SlackLimits, truncate, type SlackMessage } from './slack-message';

/** A one-section message with an emoji: confirmations such as "Training started" or "Cancelled". */
export function noticeView(input: { emoji: string; text: string; mrkdwn?: string }): SlackMessage {
  return {
    text: input.text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(`${input.emoji} ${input.mrkdwn ?? input.text}`, SlackLimits.sectionText) } }],
  };
}
