import type { SlackMessage } from '../../views/slack-message';

/**
 * Every Slack limit a message can break (PLATFORM-FACTS "Limits", Block Kit reference), as a
 * list of readable problems: empty when the message is fine. Also mrkdwn hygiene: code fences
 * balanced, and every `&` outside links escaped (a cut entity shows as garbage).
 */
export function slackLimitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(typeof message.text === 'string' && message.text.trim() !== '', 'fallback text is missing');
  check(message.text.length <= 3000, `fallback text is ${message.text.length} characters (views keep it under 3,000)`);
  check(message.blocks.length <= 50, `${message.blocks.length} blocks (limit 50)`);
  check(JSON.stringify(message.blocks).length <= 40_000, `blocks serialise to ${JSON.stringify(message.blocks).length} characters`);
  const mrkdwn = (text: string, where: string, max: number) => {
    check(text.length <= max, `${where}: ${text.length} characters (limit ${max})`);
    check(((text.match(/```/g) ?? []).length % 2) === 0, `${where}: unbalanced code fence`);
    const outsideLinks = text.replace(/<[^<>]*>/g, '');
    check(!/&(?!amp;|lt;|gt;)/.test(outsideLinks), `${where}: an unescaped or cut & entity`);
    check(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text), `${where}: a split surrogate pair`);
  };
  message.blocks.forEach((raw, i) => {
    const block = raw as unknown as Record<string, unknown>;
    const where = `block ${i} (${String(block['type'])})`;
    if (typeof block['block_id'] === 'string') check(block['block_id'].length <= 255, `${where}: block_id too long`);
    const text = block['text'] as { type: string; text: string } | undefined;
    switch (block['type']) {
      case 'header':
        check(text?.type === 'plain_text' && text.text.length <= 150, `${where}: header text over 150`);
        break;
      case 'section': {
        const fields = (block['fields'] as { text: string }[] | undefined) ?? [];
        check(text !== undefined || fields.length > 0, `${where}: a section needs text or fields`);
        if (text !== undefined) mrkdwn(text.text, where, 3000);
        check(fields.length <= 10, `${where}: ${fields.length} fields (limit 10)`);
        fields.forEach((f, j) => mrkdwn(f.text, `${where} field ${j}`, 2000));
        break;
      }
      case 'context': {
        const elements = block['elements'] as { text: string }[];
        check(elements.length >= 1 && elements.length <= 10, `${where}: ${elements.length} elements (limit 10)`);
        elements.forEach((e, j) => mrkdwn(e.text, `${where} element ${j}`, 3000));
        break;
      }
      case 'actions': {
        const elements = block['elements'] as Record<string, unknown>[];
        check(elements.length >= 1 && elements.length <= 25, `${where}: ${elements.length} elements (limit 25)`);
        for (const e of elements) {
          const label = (e['text'] as { text: string }).text;
          check(label.length <= 75, `${where}: button text over 75`);
          check(typeof e['action_id'] === 'string' && (e['action_id'] as string).length <= 255, `${where}: action_id`);
          if (e['value'] !== undefined) check((e['value'] as string).length <= 2000, `${where}: button value over 2,000`);
          const confirm = e['confirm'] as { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string } } | undefined;
          if (confirm !== undefined) {
            check(confirm.title.text.length <= 100, `${where}: confirm title over 100`);
            check(confirm.text.text.length <= 300, `${where}: confirm text over 300`);
            check(confirm.confirm.text.length <= 30 && confirm.deny.text.length <= 30, `${where}: confirm buttons over 30`);
          }
        }
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${where}: unexpected block type`);
    }
  });
  return problems;
}
