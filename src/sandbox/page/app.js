/* global document, EventSource -- browser code: the lint config gives *.js files Node globals only */
// The sandbox page: a Slack-like client over the sandbox's /api (see docs in src/sandbox). It
// holds no bot logic: it shows /api/state, and every click or command goes to the server, which
// sends it to the real bot as a signed Slack request. Live updates: /api/events says a new
// version exists, the page refetches the state.
import { emojiText, inputValues, renderBlocks, renderMrkdwn, renderText, setCurrentTime, showInputErrors } from './block-kit.js';

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const ui = {
  data: undefined,
  user: localStorage.getItem('sandbox.user') ?? undefined,
  /** { kind: 'channel', id } or { kind: 'home' } */
  view: JSON.parse(localStorage.getItem('sandbox.view') ?? 'null'),
  thread: undefined, // { channel, ts }
  /** Notes the page itself shows as ephemerals (a typed message that is not a command, a failed request). */
  localNotes: [],
  dismissed: new Set(),
  /** Modals this page saw submitted or closed: a state fetched before the server closed them must not reopen them. */
  closedViews: new Set(),
  shownModalKey: undefined,
  /** Messages of each channel when it was last shown: more now is shown as unread in the sidebar. */
  seen: {},
  /** For a few seconds after the acting user sends something, renders show the bottom of the channel (as Slack does): the answer arrives later. */
  toBottomUntil: 0,
  /** The sandbox's time minus this browser's, from the last state: "now" on the page is the sandbox's. */
  clockOffsetMs: 0,
};

/** The sandbox's time now (the bot's clock: real time plus what "Skip ahead" skipped). */
const sandboxNow = () => new Date(Date.now() + ui.clockOffsetMs);
setCurrentTime(sandboxNow);

/** The acting user's DM with the bot (approval reminders), shown like a channel. */
function directChannel() {
  const dm = ui.data?.directMessages?.find((d) => d.user === ui.user);
  return dm === undefined ? undefined : { id: dm.channel, name: 'mlops (DM)', purpose: 'Your direct messages from the bot: approval reminders', direct: true };
}

/** Channels and the acting user's DM: everything the pane can show. */
function viewChannels() {
  const dm = directChannel();
  return [...(ui.data?.channels ?? []), ...(dm !== undefined ? [dm] : [])];
}

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json;
  try {
    json = await response.json();
  } catch {
    json = { ok: false, error: `${path} answered ${response.status} without JSON` };
  }
  if (!response.ok && json.ok !== false) json = { ...json, ok: false, error: json.error ?? `${path} answered ${response.status}` };
  return json;
}

function toast(message) {
  const node = $('toast');
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.hidden = true), 6000);
}

// ---------------------------------------------------------------- state loading

let loading = false;
let again = false;
async function load() {
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  try {
    do {
      again = false;
      const data = await api('/api/state');
      if (data.ok === false) throw new Error(data.error);
      ui.data = data;
      render();
    } while (again);
  } catch (error) {
    setConnection('error', `state unavailable: ${error.message}`);
  } finally {
    loading = false;
  }
}

function setConnection(state, text) {
  const node = $('connection');
  node.dataset.state = state;
  node.textContent = text;
}

function listen() {
  const events = new EventSource('/api/events');
  events.onopen = () => {
    setConnection('live', 'live');
    void load();
  };
  events.onmessage = (event) => {
    let version;
    try {
      version = JSON.parse(event.data).version;
    } catch {
      version = undefined;
    }
    if (ui.data === undefined || version === undefined || version !== ui.data.version) void load();
  };
  events.onerror = () => setConnection('connecting', 'reconnecting…');
}

// ---------------------------------------------------------------- names

function userName(id) {
  const user = ui.data?.users.find((u) => u.id === id);
  return user?.name ?? id;
}
function channelName(id) {
  return viewChannels().find((c) => c.id === id)?.name ?? id;
}
const textContext = { userName, channelName };

// ---------------------------------------------------------------- dialogs

/** A Block Kit confirm dialog; resolves true when confirmed. */
function confirmDialog(dialog) {
  return new Promise((resolve) => {
    const layer = $('confirm-layer');
    layer.replaceChildren();
    const box = el('div', 'dialog confirm-dialog');
    box.setAttribute('role', 'alertdialog');
    box.appendChild(el('div', 'dialog-title', emojiText(dialog.title?.text ?? 'Are you sure?')));
    const body = el('div', 'dialog-body');
    body.appendChild(renderText(dialog.text, textContext));
    box.appendChild(body);
    const footer = el('div', 'dialog-footer');
    const deny = el('button', 'bk-button', emojiText(dialog.deny?.text ?? 'Cancel'));
    const confirm = el('button', `bk-button ${dialog.style === 'danger' ? 'bk-button-danger' : 'bk-button-primary'}`, emojiText(dialog.confirm?.text ?? 'Yes'));
    deny.type = confirm.type = 'button';
    deny.dataset.role = 'deny';
    confirm.dataset.role = 'confirm';
    const done = (answer) => {
      layer.hidden = true;
      layer.replaceChildren();
      document.removeEventListener('keydown', onKey);
      resolve(answer);
    };
    const onKey = (event) => event.key === 'Escape' && done(false);
    document.addEventListener('keydown', onKey);
    deny.addEventListener('click', () => done(false));
    confirm.addEventListener('click', () => done(true));
    footer.append(deny, confirm);
    box.appendChild(footer);
    layer.appendChild(box);
    layer.hidden = false;
    confirm.focus();
  });
}

async function sendAction(message, isEphemeral, action) {
  ui.toBottomUntil = Date.now() + 10_000;
  const result = await api('/api/action', {
    user: ui.user,
    channel: message?.channel,
    messageTs: message?.ts,
    actionId: action.actionId,
    blockId: action.blockId,
    value: action.value,
    selectedOption: action.selectedOption,
    isEphemeral,
  });
  if (result.ok === false) toast(`The click did not reach the bot: ${result.error ?? 'unknown error'}`);
}

function blockContext(message, isEphemeral) {
  return { ...textContext, confirm: confirmDialog, action: (action) => void sendAction(message, isEphemeral, action) };
}

// ---------------------------------------------------------------- messages

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const tsNumber = (ts) => Number.parseFloat(ts);

function avatar(message) {
  const node = el('div', 'avatar');
  if (message.botId !== undefined || message.user === undefined) {
    node.classList.add('avatar-bot');
    node.textContent = 'ML';
  } else {
    const name = userName(message.user);
    node.textContent = name.slice(0, 1).toUpperCase();
    node.style.background = `hsl(${[...message.user].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7)} 45% 45%)`;
  }
  return node;
}

/** One message: sender, time, blocks (or its mrkdwn text), edited mark, replies link. */
function messageNode(message, options = {}) {
  const { ephemeral = false, inThread = false, local = false } = options;
  const node = el('div', `msg${ephemeral ? ' msg-ephemeral' : ''}`);
  node.dataset.ts = message.ts;
  node.dataset.channel = message.channel ?? '';
  if (ephemeral) node.dataset.ephemeral = 'true';
  if (ephemeral) {
    const note = el('div', 'ephemeral-note');
    note.append(el('span', 'ephemeral-eye', '👁'), el('span', '', 'Only visible to you'));
    const dismiss = el('button', 'link-button', 'Dismiss');
    dismiss.type = 'button';
    dismiss.addEventListener('click', () => {
      ui.dismissed.add(`${message.channel}:${message.ts}`);
      render();
    });
    note.appendChild(dismiss);
    node.appendChild(note);
  }
  const row = el('div', 'msg-row');
  row.appendChild(local ? Object.assign(el('div', 'avatar avatar-slackbot'), { textContent: '✱' }) : avatar(ephemeral ? { ts: message.ts } : message));
  const body = el('div', 'msg-body');
  const meta = el('div', 'msg-meta');
  // An ephemeral's `user` is who sees it; its sender is always the bot.
  const isBot = ephemeral || message.botId !== undefined || message.user === undefined;
  meta.appendChild(el('span', 'msg-sender', local ? 'Sandbox' : isBot ? 'MLOps' : userName(message.user)));
  if (isBot && !local) meta.appendChild(el('span', 'app-badge', 'APP'));
  const time = el('time', 'msg-time', timeFormat.format(new Date(tsNumber(message.ts) * 1000)));
  time.title = new Date(tsNumber(message.ts) * 1000).toISOString();
  meta.appendChild(time);
  body.appendChild(meta);
  const content = el('div', 'msg-content');
  if (Array.isArray(message.blocks) && message.blocks.length > 0) content.appendChild(renderBlocks(message.blocks, blockContext(message, ephemeral)));
  else content.appendChild(renderMrkdwn(String(message.text ?? ''), textContext));
  for (const file of Array.isArray(message.files) ? message.files : []) content.appendChild(fileCard(file));
  if (message.edited) content.appendChild(el('span', 'edited', '(edited)'));
  body.appendChild(content);
  const replies = Math.max(message.replyCount ?? 0, replyCount(message));
  if (!inThread && !ephemeral && replies > 0) {
    const link = el('button', 'replies', `${replies} ${replies === 1 ? 'reply' : 'replies'}`);
    link.type = 'button';
    link.addEventListener('click', () => openThread(message.channel, message.ts));
    body.appendChild(link);
  }
  if (!inThread && message.threadTs !== undefined && message.threadTs !== message.ts) {
    // A broadcast reply, or an ephemeral that belongs to a thread which is not open.
    const link = el('button', 'replies', ephemeral ? 'in a thread: open it' : 'replied to a thread');
    link.type = 'button';
    link.addEventListener('click', () => openThread(message.channel, message.threadTs));
    body.appendChild(link);
  }
  row.appendChild(body);
  node.appendChild(row);
  return node;
}

function replyCount(message) {
  if (ui.data === undefined) return 0;
  return ui.data.messages.filter((m) => m.channel === message.channel && m.threadTs === message.ts && m.ts !== message.ts).length;
}

/** A shared file (files.uploadV2): name, size and, when the server has it, the first lines. */
function fileCard(file) {
  const card = el('div', 'file-card');
  const head = el('div', 'file-head');
  head.append(el('span', 'file-icon', '📄'), el('span', 'file-title', String(file.title ?? file.name ?? 'file')));
  const detail = [
    file.name !== undefined && file.name !== file.title ? String(file.name) : undefined,
    typeof file.size === 'number' ? `${file.size} bytes` : undefined,
  ];
  head.appendChild(el('span', 'file-meta', detail.filter((d) => d !== undefined).join(' · ')));
  card.appendChild(head);
  if (typeof file.preview === 'string' && file.preview !== '') card.appendChild(el('pre', 'bk-pre file-preview', file.preview));
  return card;
}

function openThread(channel, ts) {
  ui.thread = { channel, ts };
  render();
}

/** Top-level messages and the acting user's ephemerals of a channel, oldest first. */
function channelTimeline(channelId) {
  const items = [];
  for (const message of ui.data.messages) {
    if (message.channel !== channelId) continue;
    if (message.threadTs !== undefined && message.threadTs !== message.ts && message.broadcast !== true) continue;
    items.push({ message, ephemeral: false });
  }
  for (const message of visibleEphemerals(channelId)) {
    // An ephemeral of the open thread is shown there; of a closed thread, here (with a link to it).
    if (message.threadTs !== undefined && ui.thread?.channel === channelId && ui.thread.ts === message.threadTs) continue;
    items.push({ message, ephemeral: true });
  }
  for (const note of ui.localNotes) {
    if (note.channel === channelId && note.user === ui.user && !ui.dismissed.has(`${note.channel}:${note.ts}`))
      items.push({ message: note, ephemeral: true, local: true });
  }
  return items.sort((a, b) => tsNumber(a.message.ts) - tsNumber(b.message.ts));
}

function visibleEphemerals(channelId) {
  return (ui.data.ephemerals ?? []).filter((e) => e.channel === channelId && e.user === ui.user && !ui.dismissed.has(`${e.channel}:${e.ts}`));
}

function renderMessages(container, items, options) {
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  container.replaceChildren();
  for (const item of items) container.appendChild(messageNode(item.message, { ...options, ephemeral: item.ephemeral, local: item.local }));
  if (nearBottom || Date.now() < ui.toBottomUntil || container.dataset.scrolled !== 'yes') {
    container.scrollTop = container.scrollHeight;
    container.dataset.scrolled = 'yes';
  }
}

// ---------------------------------------------------------------- panes

function renderSidebar() {
  const { data } = ui;
  $('workspace-name').textContent = data.workspace?.name ?? 'Sandbox';
  const list = $('channel-list');
  list.replaceChildren();
  const dmList = $('dm-list');
  dmList.replaceChildren();
  for (const channel of viewChannels()) {
    const item = el('button', 'nav-item');
    item.type = 'button';
    item.dataset.channel = channel.id;
    item.title = channel.purpose ?? '';
    item.append(el('span', 'nav-icon', channel.direct === true ? '●' : '#'), el('span', 'nav-name', channel.direct === true ? 'mlops' : channel.name));
    const count = data.messages.filter((m) => m.channel === channel.id).length;
    if ((ui.view.kind === 'channel' && ui.view.id === channel.id) || ui.seen[channel.id] === undefined) ui.seen[channel.id] = count;
    if (ui.view.kind === 'channel' && ui.view.id === channel.id) item.classList.add('active');
    else if (count > ui.seen[channel.id]) {
      item.classList.add('unread');
      item.appendChild(el('span', 'badge', String(count - ui.seen[channel.id])));
    }
    item.addEventListener('click', () => selectView({ kind: 'channel', id: channel.id }));
    (channel.direct === true ? dmList : list).appendChild(item);
  }
  renderClock();
  $('nav-home').classList.toggle('active', ui.view.kind === 'home');

  const select = $('user-select');
  if (select.options.length !== data.users.length) {
    select.replaceChildren(...data.users.map((u) => Object.assign(el('option', '', `${u.name} · ${u.role}`), { value: u.id, title: u.description ?? '' })));
  }
  select.value = ui.user;

  const nextRun = $('next-run');
  if (document.activeElement !== nextRun) nextRun.value = data.pipeline?.nextRun ?? 'succeed';
  const runs = $('runs');
  runs.replaceChildren(
    ...(data.pipeline?.runs ?? [])
      .slice(-5)
      .reverse()
      .map((run) => {
        const item = el('li', `run run-${String(run.state).toLowerCase()}`);
        item.append(el('span', 'run-dag', run.dagId), el('span', 'run-state', run.state));
        item.title = `${run.runId} · ${run.model ?? ''} · ${run.startedAt ?? ''}`;
        return item;
      }),
  );
}

function renderChannelPane() {
  const channel = viewChannels().find((c) => c.id === ui.view.id);
  const header = $('pane-header');
  const title = channel?.direct === true ? 'mlops · direct messages' : `# ${channel?.name ?? ui.view.id}`;
  header.replaceChildren(el('span', 'pane-title', title), el('span', 'pane-purpose', channel?.purpose ?? ''));
  $('composer').hidden = false;
  $('composer-input').placeholder =
    `Message ${channel?.direct === true ? 'mlops' : `#${channel?.name ?? ''}`} — type /mlops help, /mlops train fraud-detector…`;
  renderMessages($('messages'), channelTimeline(ui.view.id), {});
}

function renderHomePane() {
  const header = $('pane-header');
  header.replaceChildren(el('span', 'pane-title', 'MLOps'), el('span', 'pane-purpose', 'Home'));
  $('composer').hidden = true;
  const container = $('messages');
  container.replaceChildren();
  const home = ui.data.home?.[ui.user];
  const page = el('div', 'home');
  page.dataset.home = ui.user;
  if (home === undefined) page.appendChild(el('div', 'placeholder', 'Opening the Home tab…'));
  else page.appendChild(renderBlocks(home.blocks, { ...blockContext(undefined, false) }));
  container.appendChild(page);
  container.scrollTop = 0;
}

function renderThread() {
  const pane = $('thread');
  const thread = ui.thread;
  const parent = thread && ui.data.messages.find((m) => m.channel === thread.channel && m.ts === thread.ts);
  if (parent === undefined) {
    pane.hidden = true;
    ui.thread = undefined;
    return;
  }
  pane.hidden = false;
  $('thread-channel').textContent = `#${channelName(thread.channel)}`;
  const replies = ui.data.messages.filter((m) => m.channel === thread.channel && m.threadTs === thread.ts && m.ts !== thread.ts);
  const items = [parent, ...replies].map((message) => ({ message, ephemeral: false }));
  for (const message of visibleEphemerals(thread.channel)) if (message.threadTs === thread.ts) items.push({ message, ephemeral: true });
  items.sort((a, b) => tsNumber(a.message.ts) - tsNumber(b.message.ts));
  renderMessages($('thread-messages'), items, { inThread: true });
}

/** The acting user's open modal (the last one opened), drawn once per view version so typed text survives refetches. */
function renderModal() {
  const layer = $('modal-layer');
  const open = (ui.data.modals ?? []).filter((m) => m.user === ui.user && !ui.closedViews.has(modalKey(m)));
  const modal = open[open.length - 1];
  if (modal === undefined) {
    layer.hidden = true;
    layer.replaceChildren();
    ui.shownModalKey = undefined;
    return;
  }
  const key = modalKey(modal);
  if (ui.shownModalKey === key && !layer.hidden) return;
  ui.shownModalKey = key;
  const { view } = modal;
  const box = el('form', 'dialog modal');
  box.dataset.viewId = modal.viewId;
  box.setAttribute('role', 'dialog');
  const head = el('div', 'modal-header');
  head.appendChild(el('div', 'dialog-title', emojiText(view.title?.text ?? '')));
  const x = el('button', 'icon-button', '✕');
  x.type = 'button';
  x.setAttribute('aria-label', 'Close');
  head.appendChild(x);
  box.appendChild(head);
  const body = el('div', 'modal-body');
  body.appendChild(renderBlocks(view.blocks ?? [], blockContext(undefined, false)));
  const generalError = el('div', 'modal-error');
  generalError.hidden = true;
  body.appendChild(generalError);
  box.appendChild(body);
  const footer = el('div', 'dialog-footer');
  const close = el('button', 'bk-button', emojiText(view.close?.text ?? 'Cancel'));
  close.type = 'button';
  close.dataset.role = 'close';
  footer.appendChild(close);
  if (view.submit !== undefined) {
    const submit = el('button', 'bk-button bk-button-primary', emojiText(view.submit.text));
    submit.type = 'submit';
    submit.dataset.role = 'submit';
    footer.appendChild(submit);
  }
  box.appendChild(footer);
  const closeModal = async () => {
    ui.closedViews.add(key);
    render();
    const result = await api('/api/view-close', { user: ui.user, viewId: modal.viewId });
    if (result.ok === false) toast(`Closing the modal failed: ${result.error ?? 'unknown error'}`);
  };
  x.addEventListener('click', () => void closeModal());
  close.addEventListener('click', () => void closeModal());
  box.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submitButton = box.querySelector('[data-role="submit"]');
    submitButton.disabled = true;
    const result = await api('/api/view-submission', { user: ui.user, viewId: modal.viewId, values: inputValues(box) });
    submitButton.disabled = false;
    if (result.ok === false) {
      generalError.hidden = false;
      generalError.textContent = result.error ?? 'The submission did not reach the bot.';
      return;
    }
    if (result.response_action === 'errors') {
      showInputErrors(box, result.errors ?? {});
      return;
    }
    showInputErrors(box, {});
    // 'update' and 'push' come back as a new view in the state; otherwise the modal is done.
    if (result.response_action !== 'update' && result.response_action !== 'push') {
      ui.closedViews.add(key);
      render();
    }
  });
  layer.replaceChildren(box);
  layer.hidden = false;
  box.querySelector('input, textarea, select')?.focus();
}

function modalKey(modal) {
  return `${modal.viewId}:${modal.view?.hash ?? JSON.stringify(modal.view?.blocks ?? []).length}`;
}

function render() {
  const { data } = ui;
  if (data === undefined) return;
  if (ui.user === undefined || !data.users.some((u) => u.id === ui.user)) ui.user = data.users[0]?.id;
  if (data.clock?.now !== undefined) ui.clockOffsetMs = Date.parse(data.clock.now) - Date.now();
  if (ui.view === null || (ui.view.kind === 'channel' && !viewChannels().some((c) => c.id === ui.view.id))) {
    ui.view = data.channels[0] !== undefined ? { kind: 'channel', id: data.channels[0].id } : { kind: 'home' };
  }
  renderSidebar();
  if (ui.view.kind === 'home') renderHomePane();
  else renderChannelPane();
  renderThread();
  renderModal();
  document.body.dataset.version = String(data.version);
  document.body.dataset.user = ui.user ?? '';
}

function selectView(view) {
  ui.view = view;
  localStorage.setItem('sandbox.view', JSON.stringify(view));
  if (view.kind === 'home') void openHome();
  render();
}

async function openHome() {
  const result = await api('/api/home-opened', { user: ui.user });
  if (result.ok === false) toast(`Opening Home failed: ${result.error ?? 'unknown error'}`);
}

// ---------------------------------------------------------------- composer and controls

const clockFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

function skippedText(ms) {
  if (!(ms > 0)) return 'not skipped yet';
  const hours = Math.round(ms / 3_600_000);
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return `skipped ahead ${[days > 0 ? `${days} d` : '', rest > 0 || days === 0 ? `${rest} h` : ''].filter(Boolean).join(' ')}`;
}

/** The sandbox's time in the sidebar, how far it was skipped, and when the digest comes. */
function renderClock() {
  const clock = ui.data?.clock;
  if (clock === undefined) return;
  $('sandbox-time').textContent = clockFormat.format(sandboxNow());
  $('sandbox-time').dataset.now = clock.now;
  $('sandbox-skipped').textContent = skippedText(clock.skippedMs);
  $('time-hint').textContent =
    clock.digest !== undefined ? `Reminder after 1 h, expiry after 1 day; digest daily at ${clock.digest.time} (${clock.digest.timezone}).` : '';
}

/** "Skip ahead": the server moves the sandbox's time and the bot's jobs run what fell due (reminders, expiry, digest). */
async function skipAhead(button) {
  const buttons = document.querySelectorAll('[data-skip]');
  for (const b of buttons) b.disabled = true;
  try {
    const result = await api('/api/clock', { skip: button.dataset.skip });
    if (result.ok === false) toast(`Skipping ahead failed: ${result.error ?? 'unknown error'}`);
    else toast(`Skipped ${(button.textContent ?? '').trim()}: it is now ${clockFormat.format(new Date(result.now))} in the sandbox.`);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

let noteSeq = 0;
function localNote(text) {
  if (ui.view.kind !== 'channel') return;
  noteSeq += 1;
  ui.localNotes.push({ channel: ui.view.id, user: ui.user, ts: `${Math.floor(sandboxNow().getTime() / 1000)}.${String(noteSeq).padStart(6, '0')}`, text });
  ui.toBottomUntil = Date.now() + 10_000;
  render();
}

async function submitComposer(event) {
  event.preventDefault();
  const input = $('composer-input');
  const typed = input.value.trim();
  if (typed === '' || ui.view.kind !== 'channel') return;
  const command = /^\/mlops(?:\s+|$)([\s\S]*)$/.exec(typed);
  if (command === null) {
    localNote(
      typed.startsWith('/')
        ? `\`${typed.split(/\s/)[0]}\` is not a command here: the sandbox has \`/mlops\` (try \`/mlops help\`).`
        : 'Only `/mlops` commands reach the bot in the sandbox (try `/mlops help`).',
    );
    input.value = '';
    return;
  }
  input.value = '';
  ui.toBottomUntil = Date.now() + 10_000;
  const result = await api('/api/command', { user: ui.user, channel: ui.view.id, text: command[1] });
  if (result.ok === false) localNote(`\`${typed}\` failed: ${result.error ?? 'unknown error'}`);
}

function start() {
  $('composer').addEventListener('submit', (event) => void submitComposer(event));
  $('nav-home').addEventListener('click', () => selectView({ kind: 'home' }));
  $('thread-close').addEventListener('click', () => {
    ui.thread = undefined;
    render();
  });
  $('user-select').addEventListener('change', (event) => {
    ui.user = event.target.value;
    localStorage.setItem('sandbox.user', ui.user);
    ui.shownModalKey = undefined;
    if (ui.view?.kind === 'home') void openHome();
    render();
  });
  $('next-run').addEventListener('change', async (event) => {
    const result = await api('/api/pipeline', { nextRun: event.target.value });
    if (result.ok === false) toast(`The pipeline control failed: ${result.error ?? 'unknown error'}`);
    else $('next-run').blur();
  });
  $('drift').addEventListener('click', async () => {
    const result = await api('/api/drift', { model: 'fraud-detector', signal: 'data', severity: 'high' });
    if (result.ok === false) toast(`The drift control failed: ${result.error ?? 'unknown error'}`);
  });
  for (const button of document.querySelectorAll('[data-skip]')) {
    button.addEventListener('click', () => void skipAhead(button));
  }
  // The shown time moves with the real one between state changes.
  setInterval(renderClock, 15_000);
  // Issue 16: the SageMaker Model Registry, both ways.
  for (const [id, action] of [
    ['register-package', 'register'],
    ['approve-in-studio', 'approve'],
  ]) {
    $(id).addEventListener('click', async () => {
      const result = await api('/api/model-package', { action });
      if (result.ok === false) toast(`The Model Registry control failed: ${result.error ?? 'unknown error'}`);
    });
  }
  listen();
  void load().then(() => {
    if (ui.view?.kind === 'home') void openHome();
  });
}

start();
