import { SlackLimits, type KnownBlock } from '../../views/slack-message';

/**
 * Every Slack limit a view must respect (PLATFORM-FACTS), as a list of problems: empty when
 * the message is fine. `maxBlocks` is 50 for messages, 100 for the Home tab.
 */
export function slackLimitProblems(message: { text: string; blocks: readonly KnownBlock[] }, maxBlocks: number = SlackLimits.blocksPerMessage): string[] {
  const problems: string[] = [];
  if (message.text.trim() === '') problems.push('fallback text is empty');
  if (message.text.length > SlackLimits.messageText) problems.push(`text has ${message.text.length} characters`);
  if (message.blocks.length > maxBlocks) problems.push(`${message.blocks.length} blocks > ${maxBlocks}`);
  message.blocks.forEach((block, i) => {
    const b = block as unknown as Record<string, unknown> & { text?: { text?: string }; fields?: { text: string }[]; elements?: Record<string, unknown>[] };
    if (b.type === 'section') {
      if (b.text === undefined && b.fields === undefined) problems.push(`block ${i}: section without text or fields`);
      if ((b.text?.text ?? '').length > SlackLimits.sectionText) problems.push(`block ${i}: section text ${b.text?.text?.length}`);
      if (b.text !== undefined && (b.text.text ?? '').trim() === '') problems.push(`block ${i}: empty section text`);
      if ((b.fields?.length ?? 0) > SlackLimits.fieldsPerSection) problems.push(`block ${i}: ${b.fields?.length} fields`);
      for (const f of b.fields ?? []) if (f.text.length > SlackLimits.fieldText) problems.push(`block ${i}: field of ${f.text.length}`);
    }
    if (b.type === 'header' && (b.text?.text ?? '').length > 150) problems.push(`block ${i}: header of ${b.text?.text?.length}`);
    if (b.type === 'context' && (b.elements?.length ?? 0) > SlackLimits.contextElements) problems.push(`block ${i}: ${b.elements?.length} context elements`);
    if (b.type === 'actions') {
      for (const e of b.elements ?? []) {
        const label = (e.text as { text?: string } | undefined)?.text ?? '';
        if (label.length > SlackLimits.buttonText) problems.push(`block ${i}: button text ${label.length}`);
        if (typeof e.value === 'string' && e.value.length > 2000) problems.push(`block ${i}: button value ${e.value.length}`);
      }
    }
  });
  return problems;
}

/** All mrkdwn and plain text of the blocks, joined: for "does it say X" assertions. */
export function blocksText(blocks: readonly KnownBlock[]): string {
  return JSON.stringify(blocks);
}
