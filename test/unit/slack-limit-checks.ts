import { blocksTextLength, type SlackMessage } from '../../views/slack-message';

/**
 * Every Slack limit a message can break (PLATFORM-FACTS "Limits", Block Kit reference), as a
 * list of readable problems: empty when the message is fine. Also mrkdwn hygiene: code fences
 * balanced, and every `&` outside links escaped (a cut entity shows as garbage).
 */
/**
 * `maxBlocksText`: the text of all blocks together, for messages posted with chat.postMessage /
 * chat.update (msg_blocks_too_long, SlackLimits.blocksText); answers through response_url are
 * not held to it (bolt-js#2867).
 */
export function slackLimitProblems(
  message: SlackMessage,
  opts: { maxBlocks?: number; maxFallback?: number; maxBlocksText?: number; view?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const maxBlocks = opts.maxBlocks ?? 50;
  const maxFallback = opts.maxFallback ?? 3000;
  check(typeof message.text === 'string' && message.text.trim() !== '', 'fallback text is missing');
  check(message.text.length <= maxFallback, `fallback text is ${message.text.length} characters (views keep it under ${maxFallback})`);
  check(message.blocks.length <= maxBlocks, `${message.blocks.length} blocks (limit ${maxBlocks})`);
  // A message's text is cut at 40,000 characters; a view (Home tab, modal) fails over 250 kB.
  if (opts.view === true) check(Buffer.byteLength(JSON.stringify(message.blocks)) <= 250_000, 'the view is over 250 kB');
  else check(JSON.stringify(message.blocks).length <= 40_000, `blocks serialise to ${JSON.stringify(message.blocks).length} characters`);
  if (opts.maxBlocksText !== undefined) {
    const total = blocksTextLength(message.blocks);
    check(total <= opts.maxBlocksText, `the blocks hold ${total} text characters (msg_blocks_too_long over ${opts.maxBlocksText})`);
  }
  const mrkdwn = (text: string, where: string, max: number) => {
    check(text.length <= max, `${where}: ${text.length} characters (limit ${max})`);
    check(text.trim() !== '', `${where}: empty text (Slack refuses it)`);
    check((text.match(/```/g) ?? []).length % 2 === 0, `${where}: unbalanced code fence`);
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
          check(typeof e['action_id'] === 'string' && e['action_id'].length <= 255, `${where}: action_id`);
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
      case 'input': {
        const label = (block['label'] as { text: string } | undefined)?.text ?? '';
        check(label.length >= 1 && label.length <= 2000, `${where}: input label`);
        const element = block['element'] as { placeholder?: { text: string }; action_id?: string } | undefined;
        check((element?.placeholder?.text.length ?? 0) <= 150, `${where}: placeholder over 150`);
        check((element?.action_id?.length ?? 0) <= 255, `${where}: action_id over 255`);
        check(((block['hint'] as { text: string } | undefined)?.text.length ?? 0) <= 2000, `${where}: hint over 2,000`);
        break;
      }
      default:
        problems.push(`${where}: unexpected block type`);
    }
  });
  return problems;
}

/** A modal (views.open): PLATFORM-FACTS "modal title and button labels 24; private_metadata 3,000; 100 blocks; a view over 250 kB fails". */
export function modalProblems(view: {
  title: { text: string };
  submit?: { text: string };
  close?: { text: string };
  private_metadata?: string;
  callback_id?: string;
  blocks: SlackMessage['blocks'];
}): string[] {
  const problems = slackLimitProblems({ text: 'modal', blocks: view.blocks }, { maxBlocks: 100, view: true });
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(view.title.text.length >= 1 && view.title.text.length <= 24, `modal title is ${view.title.text.length} characters (limit 24)`);
  check((view.submit?.text.length ?? 0) <= 24 && (view.close?.text.length ?? 0) <= 24, 'modal button label over 24');
  check((view.private_metadata?.length ?? 0) <= 3000, `private_metadata is ${view.private_metadata?.length} characters (limit 3,000)`);
  check((view.callback_id?.length ?? 0) <= 255, 'callback_id over 255');
  check(Buffer.byteLength(JSON.stringify(view)) <= 250_000, 'the view is over 250 kB');
  return problems;
}
