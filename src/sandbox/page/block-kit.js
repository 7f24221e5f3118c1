/* global document, window -- browser code: the lint config gives *.js files Node globals only */
// Block Kit and mrkdwn rendered to DOM, the way Slack shows them, so a layout bug in a view is
// visible here. Every piece of message text goes through textContent: outside text (model names,
// error messages, reject reasons) is shown, never interpreted as HTML. Unknown blocks and elements
// are shown as a visible placeholder rather than dropped, for the same reason.

/** Emoji the bot's views use (grep views/ for `:name:`), plus a few common ones; others stay as text. */
const EMOJI = {
  alarm_clock: '⏰',
  arrow_forward: '▶️',
  arrows_counterclockwise: '🔄',
  bar_chart: '📊',
  chart_with_downwards_trend: '📉',
  check: '✔️',
  fast_forward: '⏩',
  grey_question: '❔',
  hammer_and_wrench: '🛠️',
  heavy_check_mark: '✔️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  information_source: 'ℹ️',
  large_green_circle: '🟢',
  large_orange_square: '🟧',
  large_yellow_circle: '🟡',
  lock: '🔒',
  new: '🆕',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  red_circle: '🔴',
  red_square: '🟥',
  rewind: '⏪',
  rocket: '🚀',
  rotating_light: '🚨',
  tada: '🎉',
  warning: '⚠️',
  white_check_mark: '✅',
  white_circle: '⚪',
  x: '❌',
  zzz: '💤',
};

/** Slack escapes only these three in message text. */
function unescapeSlack(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function emojiText(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}

const SAFE_URL = /^(https?:|mailto:)/i;

/** `<…>` control sequences: links, mentions, special mentions and date tokens. */
function renderAngle(inner, ctx) {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return el('span', 'bk-pill bk-mention', `@${label ?? ctx.userName(id)}`);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return el('span', 'bk-pill bk-mention', `#${label ?? ctx.channelName(id)}`);
  }
  if (target.startsWith('!date^')) {
    const [, seconds, format] = target.split('^');
    const shown = formatSlackDate(Number(seconds), format ?? '', unescapeSlack(label ?? ''));
    const node = el('span', 'bk-date', shown);
    node.title = unescapeSlack(label ?? '');
    return node;
  }
  if (target.startsWith('!subteam^')) return el('span', 'bk-pill bk-mention', unescapeSlack(label ?? '@team'));
  if (target.startsWith('!')) return el('span', 'bk-pill bk-broadcast', `@${target.slice(1)}`);
  const url = unescapeSlack(target);
  const text = unescapeSlack(label ?? target);
  if (!SAFE_URL.test(url)) return document.createTextNode(text);
  const a = el('a', 'bk-link', text);
  a.href = url;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

/** "Now" for today / yesterday: the sandbox's time (the page skips ahead), set by the page. */
let currentTime = () => new Date();
export function setCurrentTime(now) {
  currentTime = now;
}

/** `<!date^…^format|fallback>` in the reader's time zone, as Slack's clients show it. */
export function formatSlackDate(seconds, format, fallback, now = currentTime()) {
  if (!Number.isFinite(seconds)) return fallback;
  const d = new Date(seconds * 1000);
  const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  const yesterday = new Date(now.getTime() - 86_400_000);
  const tomorrow = new Date(now.getTime() + 86_400_000);
  const pretty = (plain) => (sameDay(d, now) ? 'today' : sameDay(d, yesterday) ? 'yesterday' : sameDay(d, tomorrow) ? 'tomorrow' : plain);
  const year = d.getFullYear() !== now.getFullYear() ? `, ${d.getFullYear()}` : '';
  const shortDate = `${MONTHS[d.getMonth()].slice(0, 3)} ${ordinal(d.getDate())}${year}`;
  const longDate = `${WEEKDAYS[d.getDay()]}, ${MONTHS[d.getMonth()]} ${ordinal(d.getDate())}${year}`;
  const date = `${MONTHS[d.getMonth()]} ${ordinal(d.getDate())}${year}`;
  const hours = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const minutes = String(d.getMinutes()).padStart(2, '0');
  const ampm = d.getHours() < 12 ? 'AM' : 'PM';
  const agoSeconds = Math.round((now.getTime() - d.getTime()) / 1000);
  const ago =
    Math.abs(agoSeconds) < 60
      ? 'just now'
      : Math.abs(agoSeconds) < 3600
        ? `${Math.round(agoSeconds / 60)} minutes ago`
        : Math.abs(agoSeconds) < 86_400
          ? `${Math.round(agoSeconds / 3600)} hours ago`
          : `${Math.round(agoSeconds / 86_400)} days ago`;
  const tokens = {
    date_num: `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`,
    date,
    date_short: shortDate,
    date_long: longDate,
    date_pretty: pretty(date),
    date_short_pretty: pretty(shortDate),
    date_long_pretty: pretty(longDate),
    time: `${hours}:${minutes} ${ampm}`,
    time_secs: `${hours}:${minutes}:${String(d.getSeconds()).padStart(2, '0')} ${ampm}`,
    ago,
  };
  let known = true;
  const out = format.replace(/\{([a-z_]+)\}/g, (whole, name) => {
    if (name in tokens) return tokens[name];
    known = false;
    return whole;
  });
  return known ? out : fallback;
}

const PUNCT_BEFORE = /[\s([{"'“‘«>~*_-]/;
const PUNCT_AFTER = /[\s)\]}.,;:!?"'”’»<~*_-]/;

/** Index of the closing `mark` for an opening one at `open`, or -1 (Slack's word-boundary rules). */
function closingMark(text, open, mark) {
  // A doubled mark (`__init__`, `**`) is text, not an empty or nested style.
  if (open > 0 && (text[open - 1] === mark || !PUNCT_BEFORE.test(text[open - 1]))) return -1;
  if (open + 1 >= text.length || /\s/.test(text[open + 1]) || text[open + 1] === mark) return -1;
  for (let i = open + 2; i < text.length; i++) {
    if (text[i] === '\n') return -1;
    if (text[i] !== mark || /\s/.test(text[i - 1]) || text[i - 1] === mark) continue;
    if (i + 1 === text.length || (text[i + 1] !== mark && PUNCT_AFTER.test(text[i + 1]))) return i;
  }
  return -1;
}

const STYLE_TAG = { '*': ['b', 'bk-bold'], _: ['i', 'bk-italic'], '~': ['s', 'bk-strike'] };

/** Inline mrkdwn of one line (no fences): links and mentions, `code`, *bold*, _italic_, ~strike~, :emoji:. */
function renderInline(text, ctx, parent) {
  let plain = '';
  const flush = () => {
    if (plain !== '') parent.appendChild(document.createTextNode(emojiText(unescapeSlack(plain))));
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '<') {
      const end = text.indexOf('>', i + 1);
      if (end !== -1) {
        flush();
        parent.appendChild(renderAngle(text.slice(i + 1, end), ctx));
        i = end;
        continue;
      }
    }
    if (ch === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        parent.appendChild(el('code', 'bk-code', unescapeSlack(text.slice(i + 1, end))));
        i = end;
        continue;
      }
    }
    if (ch in STYLE_TAG) {
      const end = closingMark(text, i, ch);
      if (end !== -1) {
        flush();
        const [tag, cls] = STYLE_TAG[ch];
        const node = el(tag, cls);
        renderInline(text.slice(i + 1, end), ctx, node);
        parent.appendChild(node);
        i = end;
        continue;
      }
    }
    plain += ch;
  }
  flush();
}

/** Lines of mrkdwn outside code fences: `>` quotes grouped, the rest inline with line breaks. */
function renderLines(text, ctx, parent) {
  const lines = text.split('\n');
  let quote;
  lines.forEach((line, n) => {
    // Only a literal `>` quotes: an escaped `&gt;` is text that starts with the character.
    if (line.startsWith('>')) {
      if (quote === undefined) {
        quote = el('blockquote', 'bk-quote');
        parent.appendChild(quote);
      } else quote.appendChild(el('br'));
      renderInline(line.replace(/^> ?/, ''), ctx, quote);
      return;
    }
    quote = undefined;
    renderInline(line, ctx, parent);
    if (n < lines.length - 1 && !(lines[n + 1] ?? '').startsWith('>')) parent.appendChild(el('br'));
  });
}

/** A mrkdwn string as DOM: ```pre``` blocks first, then lines. */
export function renderMrkdwn(text, ctx) {
  const root = el('div', 'bk-mrkdwn');
  const parts = text.split('```');
  // An unclosed fence is shown as text, as Slack does.
  const closed = parts.length % 2 === 1;
  parts.forEach((part, n) => {
    const inFence = closed && n % 2 === 1;
    if (inFence) {
      root.appendChild(el('pre', 'bk-pre', unescapeSlack(part.replace(/^\n/, ''))));
    } else {
      const piece = !closed && n > 0 ? '```' + part : part;
      const trimmed = n > 0 && closed ? piece.replace(/^\n/, '') : piece;
      if (trimmed !== '') renderLines(trimmed, ctx, root);
    }
  });
  return root;
}

/** A text object (plain_text or mrkdwn). */
export function renderText(obj, ctx, className = '') {
  if (obj === undefined || obj === null) return el('span');
  if (obj.type === 'mrkdwn') {
    const node = renderMrkdwn(String(obj.text ?? ''), ctx);
    if (className) node.classList.add(className);
    return node;
  }
  const shown = obj.emoji === false ? String(obj.text ?? '') : emojiText(String(obj.text ?? ''));
  return el('span', `bk-plain ${className}`.trim(), shown);
}

function plainOf(obj) {
  return obj === undefined || obj === null ? '' : emojiText(String(obj.text ?? ''));
}

function unsupported(kind, type) {
  return el('div', 'bk-unsupported', `[unsupported ${kind}: ${type}]`);
}

function renderButton(element, blockId, ctx) {
  const button = el('button', `bk-button${element.style ? ` bk-button-${element.style}` : ''}`, plainOf(element.text));
  button.type = 'button';
  button.dataset.actionId = element.action_id ?? '';
  if (element.value !== undefined) button.dataset.value = element.value;
  button.addEventListener('click', async () => {
    if (element.url !== undefined && SAFE_URL.test(element.url)) window.open(element.url, '_blank', 'noopener');
    if (element.confirm !== undefined && !(await ctx.confirm(element.confirm))) return;
    ctx.action({ actionId: element.action_id, blockId, value: element.value });
  });
  return button;
}

function optionLabel(option) {
  return plainOf(option.text);
}

function renderSelect(element, blockId, ctx) {
  const select = el('select', 'bk-select');
  select.dataset.actionId = element.action_id ?? '';
  const placeholder = el('option', '', plainOf(element.placeholder) || 'Select an item');
  placeholder.value = '';
  select.appendChild(placeholder);
  const groups = element.option_groups ?? [{ options: element.options ?? [] }];
  for (const group of groups) {
    const target = group.label !== undefined ? el('optgroup') : select;
    if (group.label !== undefined) {
      target.label = plainOf(group.label);
      select.appendChild(target);
    }
    for (const option of group.options ?? []) {
      const node = el('option', '', optionLabel(option));
      node.value = option.value;
      target.appendChild(node);
    }
  }
  if (element.initial_option !== undefined) select.value = element.initial_option.value;
  select.addEventListener('change', async () => {
    const chosen = groups.flatMap((g) => g.options ?? []).find((o) => o.value === select.value);
    if (chosen === undefined) return;
    if (element.confirm !== undefined && !(await ctx.confirm(element.confirm))) return;
    ctx.action({ actionId: element.action_id, blockId, value: chosen.value, selectedOption: chosen });
  });
  return select;
}

function renderOverflow(element, blockId, ctx) {
  const wrap = el('span', 'bk-overflow');
  const toggle = el('button', 'bk-button bk-overflow-toggle', '⋮');
  toggle.type = 'button';
  toggle.dataset.actionId = element.action_id ?? '';
  const menu = el('div', 'bk-overflow-menu');
  menu.hidden = true;
  for (const option of element.options ?? []) {
    const item = el('button', 'bk-overflow-item', optionLabel(option));
    item.type = 'button';
    item.addEventListener('click', async () => {
      menu.hidden = true;
      if (element.confirm !== undefined && !(await ctx.confirm(element.confirm))) return;
      ctx.action({ actionId: element.action_id, blockId, value: option.value, selectedOption: option });
    });
    menu.appendChild(item);
  }
  toggle.addEventListener('click', () => (menu.hidden = !menu.hidden));
  wrap.append(toggle, menu);
  return wrap;
}

function renderImage(element, className) {
  // An uploaded file (charts): the sandbox serves the Slack stand-in's copy at /files/<id>.
  const fileId = element.slack_file?.id;
  if (typeof fileId === 'string' && /^F[A-Z0-9]+$/.test(fileId)) {
    const img = el('img', className);
    img.src = `/files/${encodeURIComponent(fileId)}`;
    img.alt = element.alt_text ?? '';
    img.loading = 'lazy';
    return img;
  }
  if (typeof element.image_url !== 'string' || !/^https?:/i.test(element.image_url)) {
    return el('span', `${className} bk-image-missing`, element.alt_text ?? 'image');
  }
  const img = el('img', className);
  img.src = element.image_url;
  img.alt = element.alt_text ?? '';
  img.loading = 'lazy';
  return img;
}

/** An interactive element (actions block, section accessory, input). */
function renderElement(element, blockId, ctx) {
  switch (element.type) {
    case 'button':
      return renderButton(element, blockId, ctx);
    case 'static_select':
    case 'external_select':
      return renderSelect(element, blockId, ctx);
    case 'overflow':
      return renderOverflow(element, blockId, ctx);
    case 'image':
      return renderImage(element, 'bk-accessory-image');
    default:
      return unsupported('element', element.type);
  }
}

function renderRichTextElements(elements, ctx, parent) {
  for (const item of elements ?? []) {
    let node;
    switch (item.type) {
      case 'text':
        node = el('span', '', item.text);
        break;
      case 'link': {
        const url = String(item.url ?? '');
        node = SAFE_URL.test(url) ? el('a', 'bk-link', item.text ?? url) : el('span', '', item.text ?? url);
        if (SAFE_URL.test(url)) {
          node.href = url;
          node.target = '_blank';
          node.rel = 'noopener noreferrer';
        }
        break;
      }
      case 'user':
        node = el('span', 'bk-pill bk-mention', `@${ctx.userName(item.user_id)}`);
        break;
      case 'channel':
        node = el('span', 'bk-pill bk-mention', `#${ctx.channelName(item.channel_id)}`);
        break;
      case 'broadcast':
        node = el('span', 'bk-pill bk-broadcast', `@${item.range}`);
        break;
      case 'emoji':
        node = el('span', '', EMOJI[item.name] ?? `:${item.name}:`);
        break;
      default:
        node = unsupported('rich text element', item.type);
    }
    const style = item.style ?? {};
    if (style.code) node = wrapIn('code', 'bk-code', node);
    if (style.bold) node = wrapIn('b', 'bk-bold', node);
    if (style.italic) node = wrapIn('i', 'bk-italic', node);
    if (style.strike) node = wrapIn('s', 'bk-strike', node);
    parent.appendChild(node);
  }
}

function wrapIn(tag, className, child) {
  const node = el(tag, className);
  node.appendChild(child);
  return node;
}

function renderRichText(block, ctx) {
  const root = el('div', 'bk-rich-text');
  for (const part of block.elements ?? []) {
    if (part.type === 'rich_text_section') {
      const p = el('div', 'bk-rich-section');
      renderRichTextElements(part.elements, ctx, p);
      root.appendChild(p);
    } else if (part.type === 'rich_text_preformatted') {
      const pre = el('pre', 'bk-pre');
      renderRichTextElements(part.elements, ctx, pre);
      root.appendChild(pre);
    } else if (part.type === 'rich_text_quote') {
      const quote = el('blockquote', 'bk-quote');
      renderRichTextElements(part.elements, ctx, quote);
      root.appendChild(quote);
    } else if (part.type === 'rich_text_list') {
      const list = el(part.style === 'ordered' ? 'ol' : 'ul', 'bk-list');
      for (const section of part.elements ?? []) {
        const li = el('li');
        renderRichTextElements(section.elements, ctx, li);
        list.appendChild(li);
      }
      root.appendChild(list);
    } else root.appendChild(unsupported('rich text part', part.type));
  }
  return root;
}

/** An input block (modals): label, element, hint, and a slot for the error of response_action=errors. */
function renderInput(block, ctx) {
  const wrap = el('div', 'bk-input');
  wrap.dataset.blockId = block.block_id ?? '';
  const label = el('label', 'bk-input-label', plainOf(block.label));
  if (block.optional) label.appendChild(el('span', 'bk-optional', ' (optional)'));
  wrap.appendChild(label);
  const element = block.element ?? {};
  let field;
  if (element.type === 'plain_text_input') {
    field = el(element.multiline ? 'textarea' : 'input', 'bk-text-input');
    if (!element.multiline) field.type = 'text';
    if (element.placeholder !== undefined) field.placeholder = plainOf(element.placeholder);
    if (element.max_length !== undefined) field.maxLength = element.max_length;
    if (element.initial_value !== undefined) field.value = element.initial_value;
    field.dataset.kind = 'plain_text_input';
  } else if (element.type === 'static_select') {
    field = renderSelect(element, block.block_id, { ...ctx, action: () => undefined });
    field.dataset.kind = 'static_select';
  } else {
    wrap.appendChild(unsupported('input element', element.type));
    return wrap;
  }
  field.dataset.actionId = element.action_id ?? '';
  field.id = `input-${block.block_id ?? ''}-${element.action_id ?? ''}`;
  label.htmlFor = field.id;
  wrap.appendChild(field);
  const error = el('div', 'bk-input-error');
  error.hidden = true;
  wrap.appendChild(error);
  if (block.hint !== undefined) wrap.appendChild(el('div', 'bk-input-hint', plainOf(block.hint)));
  return wrap;
}

/** One block. */
function renderBlock(block, ctx) {
  switch (block.type) {
    case 'header':
      return el('div', 'bk-header', plainOf(block.text));
    case 'section': {
      const section = el('div', 'bk-section');
      const body = el('div', 'bk-section-body');
      if (block.text !== undefined) body.appendChild(renderText(block.text, ctx, 'bk-section-text'));
      if (Array.isArray(block.fields)) {
        const fields = el('div', 'bk-fields');
        for (const field of block.fields) fields.appendChild(renderText(field, ctx, 'bk-field'));
        body.appendChild(fields);
      }
      section.appendChild(body);
      if (block.accessory !== undefined) {
        const accessory = el('div', 'bk-accessory');
        accessory.appendChild(renderElement(block.accessory, block.block_id, ctx));
        section.appendChild(accessory);
      }
      return section;
    }
    case 'context': {
      const context = el('div', 'bk-context');
      for (const element of block.elements ?? []) {
        if (element.type === 'image') context.appendChild(renderImage(element, 'bk-context-image'));
        else context.appendChild(renderText(element, ctx, 'bk-context-text'));
      }
      return context;
    }
    case 'divider':
      return el('hr', 'bk-divider');
    case 'actions': {
      const actions = el('div', 'bk-actions');
      for (const element of block.elements ?? []) actions.appendChild(renderElement(element, block.block_id, ctx));
      return actions;
    }
    case 'image': {
      const figure = el('figure', 'bk-image-block');
      if (block.title !== undefined) figure.appendChild(el('figcaption', 'bk-image-title', plainOf(block.title)));
      figure.appendChild(renderImage(block, 'bk-image'));
      return figure;
    }
    case 'rich_text':
      return renderRichText(block, ctx);
    case 'input':
      return renderInput(block, ctx);
    default:
      return unsupported('block', block.type);
  }
}

/**
 * Blocks as DOM. `ctx`: userName(id), channelName(id), confirm(dialog) → Promise<boolean>,
 * action({actionId, blockId, value, selectedOption}).
 */
export function renderBlocks(blocks, ctx) {
  const root = el('div', 'bk-blocks');
  for (const block of blocks ?? []) {
    const node = renderBlock(block, ctx);
    if (block.block_id !== undefined) node.dataset.blockId = block.block_id;
    node.dataset.blockType = block.type;
    root.appendChild(node);
  }
  return root;
}

/** Values of the input blocks under `root`, in view_submission's shape. */
export function inputValues(root) {
  const values = {};
  for (const wrap of root.querySelectorAll('.bk-input')) {
    const field = wrap.querySelector('[data-kind]');
    if (field === null) continue;
    const blockId = wrap.dataset.blockId;
    const actionId = field.dataset.actionId;
    values[blockId] = values[blockId] ?? {};
    if (field.dataset.kind === 'static_select') {
      const option = field.selectedOptions[0];
      values[blockId][actionId] = {
        type: 'static_select',
        selected_option: field.value === '' ? null : { text: { type: 'plain_text', text: option.textContent }, value: field.value },
      };
    } else values[blockId][actionId] = { type: 'plain_text_input', value: field.value === '' ? null : field.value };
  }
  return values;
}

/** Shows response_action=errors under their inputs (an empty map clears them). */
export function showInputErrors(root, errors) {
  for (const wrap of root.querySelectorAll('.bk-input')) {
    const slot = wrap.querySelector('.bk-input-error');
    const message = errors?.[wrap.dataset.blockId];
    slot.hidden = message === undefined;
    slot.textContent = message ?? '';
    wrap.classList.toggle('bk-input-invalid', message !== undefined);
  }
}

export { emojiText, unescapeSlack };
