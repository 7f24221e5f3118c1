import { escapeTruncate } from './format';
import { type SlackMessage } from './slack-message';

/** A short ephemeral error: what went wrong, and what to do about it. */
export function errorView(input: { message: string; hint?: string }): SlackMessage {
  const body = `:warning: ${escapeTruncate(input.message, 2500)}`;
  return {
    // The hint is ours (mrkdwn); the message may carry outside text, in the fallback as well.
    text: `${escapeTruncate(input.message, 2500)}${input.hint !== undefined ? ` ${input.hint}` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: body } },
      ...(input.hint !== undefined ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: input.hint }] }] : []),
    ],
  };
}
