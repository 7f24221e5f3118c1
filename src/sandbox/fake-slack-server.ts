/**
 * A loopback fake of the Slack Web API, for end-to-end tests and benchmarks.
 *
 * Point `@slack/web-api` (WebClient `slackApiUrl`, or Bolt's `clientOptions.slackApiUrl`, or the
 * SLACK_API_URL setting) at `apiUrl`. The fake speaks the wire format the real client uses:
 * POST bodies are form-urlencoded with object arguments as JSON strings (`blocks`, `view`,
 * `metadata`, `attachments`, `files`), the token travels as `Authorization: Bearer`, and errors are
 * HTTP 200 `{ok:false,error}` except rate limits (HTTP 429 + `Retry-After` seconds) and injected 5xx.
 * JSON bodies, multipart bodies and GET query strings are accepted too.
 *
 * Choices (checked against Slack's method pages and @slack/web-api 8.2's WebClient.js):
 * - The enforced per-channel limit applies to chat.postMessage only. Slack documents that special
 *   "about 1 per second per channel" limit for posting; chat.update is an ordinary Tier 3 method
 *   (50+/min per workspace, not per channel), so updates never spend the channel's budget here.
 * - conversations.history / conversations.replies return `metadata` only with
 *   `include_all_metadata=true`, so a reader that forgets the flag sees what it would see on Slack.
 * - A `trigger_id` can open one view only (`exchanged_trigger_id` on reuse), as on Slack. Its 3 s
 *   expiry is not modelled: inject `{error:'expired_trigger_id'}` to test that path.
 * - chat.update keeps the old `blocks`/`attachments`/`metadata` when the argument is absent
 *   (Slack's documented behaviour); an empty array clears them.
 * - Scalars are recorded as sent: a form body carries strings ("true", "20"), a JSON body its types.
 * - As slow and as mean as production when asked: `latencyMs` holds every answer (per method, e.g.
 *   `{ default: 300, 'chat.postMessage': 400 }`), a `{ lose: 'hang' | 'reset' }` fault does the work
 *   and then never answers (the connection is held until the client gives up, or reset), and
 *   `{ delayMs }` answers after the client's timeout. A call is recorded when it arrives, before its
 *   answer is held, so "calls made before the ack" can be counted.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How long every answer is held, in ms: one number for all, or per method with an optional
 * `default` (keys are Web API methods, `response_url` and `file_upload`). Held after the work is
 * done and the call recorded, as a slow Slack has usually done the work already.
 */
export type FakeSlackLatency = number | Readonly<Record<string, number>>;

export interface FakeSlackOptions {
  /** Enforce Slack's per-channel posting limit on chat.postMessage (token bucket, burst 1). */
  perChannelRatePerSecond?: number;
  /** Latency of every answer (default none). */
  latencyMs?: FakeSlackLatency;
  /** The clock of message timestamps (ms; default Date.now): the sandbox's skip-ahead time. */
  now?: () => number;
}

/** The DM channel conversations.open gives for a user (the same id every time, as Slack does). */
export function directChannelId(userId: string): string {
  return `D${userId.replace(/^[UW]/, '')}`;
}

/** What `failNext` injects, in place of (or, for `delayMs`, before) the normal answer. */
export type FakeSlackFault =
  | { status: 429; retryAfterSeconds?: number }
  | { status: 500 | 502 | 503 }
  | { error: string }
  | { delayMs: number }
  /**
   * A lost answer: the request is received, recorded and (unless `processed: false`) carried out,
   * then the answer is never sent: `hang` holds the connection until the client times out (or the
   * fake closes), `reset` destroys it (the client sees a connection reset).
   */
  | { lose: 'hang' | 'reset'; processed?: boolean };

export interface FakeSlackCall {
  method: string;
  /** Arguments as received, JSON-encoded fields decoded, `token` removed. */
  args: Record<string, unknown>;
  token: string | undefined;
  /** Epoch ms when the request arrived. */
  at: number;
  /** HTTP status answered. */
  status: number;
  /** JSON body answered (undefined for an injected 5xx, which answers plain text). */
  response: Record<string, unknown> | undefined;
  /** Set when the answer was never sent (a `lose` fault); `status`/`response` are what it would have been. */
  lost?: 'hang' | 'reset';
}

export interface FakeSlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: Record<string, unknown>;
  files?: Record<string, unknown>[];
  thread_ts?: string;
  parent_user_id?: string;
  reply_broadcast?: boolean;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
}

export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
}

export interface FakeSlackView {
  id: string;
  team_id: string;
  app_id: string;
  bot_id: string;
  type: string;
  hash: string;
  root_view_id: string;
  previous_view_id: string | null;
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: Record<string, unknown> };
  /** Who the Home tab was published for (views.publish only). */
  user_id?: string;
  [key: string]: unknown;
}

export interface FakeSlackFile {
  id: string;
  filename: string;
  length: number;
  title?: string;
  alt_text?: string;
  /** Bytes received on the upload URL (undefined until uploaded). */
  content?: Buffer;
  completed: boolean;
  channel_id?: string;
  thread_ts?: string;
  initial_comment?: string;
}

export interface FakeSlackResponse {
  id: string;
  at: number;
  /** The JSON body as posted (Bolt's `respond()` sends JSON). */
  body: Record<string, unknown>;
  text?: string;
  blocks?: unknown[];
  response_type?: string;
  replace_original?: boolean;
  delete_original?: boolean;
  /** Set when the answer to this post was never sent (a `lose` fault). */
  lost?: 'hang' | 'reset';
}

/** Where an interaction happened: what its response_url's answers act on. */
export interface FakeSlackResponseContext {
  channel: string;
  user: string;
  /** The message the interaction came from (block_actions), if any. */
  messageTs?: string;
  /** That message is an ephemeral one (its ts is an ephemeral's `message_ts`). */
  isEphemeral?: boolean;
  threadTs?: string;
}

export interface FakeSlackModal {
  viewId: string;
  user: string;
  view: FakeSlackView;
}

/** A custom answer for a method: return the JSON body (HTTP 200). Overrides the built-in one. */
export type FakeSlackHandler = (
  args: Record<string, unknown>,
  ctx: { token: string | undefined; fake: FakeSlack },
) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/`: what WebClient's `slackApiUrl` takes. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly calls: readonly FakeSlackCall[];
  readonly responses: readonly FakeSlackResponse[];
  /** chat.postMessage calls refused by the enforced per-channel limit (not injected 429s). */
  readonly rateLimitedCount: number;
  callsTo(method: string): FakeSlackCall[];
  waitForCalls(method: string, count: number, timeoutMs?: number): Promise<FakeSlackCall[]>;
  waitForResponses(count: number, timeoutMs?: number): Promise<FakeSlackResponse[]>;
  /** Every message stored in the channel, thread replies included, oldest first (copies). */
  messages(channel: string): FakeSlackMessage[];
  message(channel: string, ts: string): FakeSlackMessage | undefined;
  ephemerals(channel?: string): FakeSlackEphemeral[];
  views(): FakeSlackView[];
  files(): FakeSlackFile[];
  /** Arrival times (epoch ms) of the chat.postMessage calls accepted for this channel. */
  postTimes(channel: string): number[];
  setUsergroup(id: string, users: string[]): void;
  setUser(id: string, user: Record<string, unknown>): void;
  setHandler(method: string, handler: FakeSlackHandler | undefined): void;
  /** Change (or, with undefined, lift) the enforced per-channel chat.postMessage rate. */
  setPerChannelRate(perSecond: number | undefined): void;
  /** Change the latency of every answer (undefined: none); reset() restores the option's. */
  setLatency(latency: FakeSlackLatency | undefined): void;
  /** The latency an answer to `method` gets now. */
  latencyOf(method: string): number;
  /**
   * The next `n` requests to `method` get `fault`. Besides Web API methods, `response_url` targets
   * the response URLs and `file_upload` the upload URLs. Faults queue in order.
   */
  failNext(method: string, n: number, fault: FakeSlackFault): void;
  /**
   * A response_url on this server: `${origin}/response/<id>`. With a `context` (the sandbox), what is
   * posted to it takes effect as on Slack: an ephemeral or in-channel message, or the original
   * message replaced or deleted; without one it is only recorded (tests read `responses`).
   */
  responseUrl(id?: string, context?: FakeSlackResponseContext): string;
  /**
   * Applies a response the way Slack applies one posted to a response_url of `context` (the
   * sandbox uses it for a slash command's ack body, which Slack shows the same way).
   */
  applyResponse(context: FakeSlackResponseContext, body: Record<string, unknown>): void;
  /** A fresh trigger_id for an interaction of `user`: a view opened with it is that user's modal. */
  triggerFor(user: string): string;
  /** Modals opened with a trigger from triggerFor() and not closed yet, oldest first (copies). */
  modals(): FakeSlackModal[];
  /** The user closed the modal (or a submission closed it). */
  closeModal(viewId: string): void;
  /** Calls `listener` after every request that may have changed what the fake holds; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  /** Forget calls, messages, views, files, responses, faults, usergroups, users, handlers, limits state (onChange listeners stay). */
  reset(): void;
  close(): Promise<void>;
}

/** The workspace and bot identity the fake answers with (auth.test, message authors). */
export const FAKE_SLACK_IDS = { team: 'T0TEAM', teamDomain: 'fake-team', botUser: 'UBOT', bot: 'BBOT', app: 'A0APP' } as const;
const TEAM_ID = FAKE_SLACK_IDS.team;
const BOT_USER_ID = FAKE_SLACK_IDS.botUser;
const BOT_ID = FAKE_SLACK_IDS.bot;
const APP_ID = FAKE_SLACK_IDS.app;

/** Arguments @slack/web-api sends JSON-encoded in a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'unfurled_attachments', 'user_auth_blocks', 'view', 'metadata', 'files']);

const MAX_MESSAGE_BLOCKS = 50;
const MAX_VIEW_BLOCKS = 100;
const MAX_SECTION_TEXT = 3000;
const MAX_TEXT = 40000;
const MAX_PRIVATE_METADATA = 3000;
const MAX_VIEW_TITLE = 24;

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  body?: Json;
  text?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

function isLose(fault: FakeSlackFault | undefined): fault is Extract<FakeSlackFault, { lose: string }> {
  return fault !== undefined && 'lose' in fault;
}

class BadRequest extends Error {}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Form bodies carry booleans as strings. */
function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Slack ts "seconds.micros" as an integer of microseconds (a double would lose the last digits). */
function tsMicros(ts: string | undefined): number | undefined {
  if (ts === undefined || ts === '') return undefined;
  const m = /^(\d+)(?:\.(\d*))?$/.exec(ts);
  if (!m) return undefined;
  const frac = (m[2] ?? '').slice(0, 6).padEnd(6, '0');
  return Number(m[1]) * 1_000_000 + Number(frac);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function slackError(error: string, messages?: string[]): Json {
  return messages ? { ok: false, error, response_metadata: { messages } } : { ok: false, error };
}

function sleep(ms: number, cancels: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      cancels.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    cancels.add(done);
  });
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface ParsedBody {
  fields: Json;
  /** File parts of a multipart body. */
  fileParts: { name: string; filename: string; bytes: Buffer }[];
}

async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (raw.length === 0) return { fields: {}, fileParts: [] };
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new BadRequest('invalid_json');
    }
    if (!isObject(parsed)) throw new BadRequest('invalid_json');
    return { fields: parsed, fileParts: [] };
  }
  if (type === 'multipart/form-data') {
    // Node's fetch Response parses multipart for us (the upload step of files.uploadV2 uses it).
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType ?? '' } }).formData();
    const fields: Json = {};
    const fileParts: ParsedBody['fileParts'] = [];
    // forEach, not for…of: compiles whether FormData comes from Node's types or the DOM lib.
    const entries: [string, string | { name: string; arrayBuffer(): Promise<ArrayBuffer> }][] = [];
    form.forEach((value, name) => entries.push([name, value]));
    for (const [name, value] of entries) {
      if (typeof value === 'string') fields[name] = decodeField(name, value);
      else fileParts.push({ name, filename: value.name, bytes: Buffer.from(await value.arrayBuffer()) });
    }
    return { fields, fileParts };
  }
  // form-urlencoded, or an unlabelled body (Slack treats those as form data as well)
  const fields: Json = {};
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) fields[name] = decodeField(name, value);
  return { fields, fileParts: [] };
}

function decodeField(name: string, value: string): unknown {
  if (!JSON_FIELDS.has(name)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new BadRequest(`invalid_arguments:${name}`);
  }
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const isJson = answer.body !== undefined;
  const text = isJson ? JSON.stringify(answer.body) : (answer.text ?? '');
  res.writeHead(answer.status, {
    'content-type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...answer.headers,
  });
  res.end(text);
}

function faultAnswer(fault: FakeSlackFault): Answer | undefined {
  if ('delayMs' in fault || 'lose' in fault) return undefined;
  if ('error' in fault) return { status: 200, body: { ok: false, error: fault.error } };
  if (fault.status === 429) {
    const retry = fault.retryAfterSeconds ?? 1;
    return { status: 429, headers: { 'retry-after': String(retry) }, body: { ok: false, error: 'ratelimited' } };
  }
  return { status: fault.status, text: `fake-slack: injected HTTP ${fault.status}` };
}

function blockProblems(blocks: unknown, max: number, pointer: string): string[] {
  if (!Array.isArray(blocks)) return [`[ERROR] must be an array [json-pointer:${pointer}]`];
  const problems: string[] = [];
  if (blocks.length > max) problems.push(`[ERROR] no more than ${max} items allowed [json-pointer:${pointer}]`);
  blocks.forEach((block, i) => {
    if (!isObject(block) || typeof block.type !== 'string') {
      problems.push(`[ERROR] missing required field: type [json-pointer:${pointer}/${i}]`);
      return;
    }
    const text = isObject(block.text) ? block.text.text : undefined;
    if (block.type === 'section' && typeof text === 'string' && text.length > MAX_SECTION_TEXT) {
      problems.push(`[ERROR] must be less than ${MAX_SECTION_TEXT + 1} characters [json-pointer:${pointer}/${i}/text/text]`);
    }
  });
  return problems;
}

function viewProblems(view: unknown): string[] {
  if (!isObject(view) || typeof view.type !== 'string') return ['[ERROR] missing required field: type [json-pointer:/view]'];
  const problems = blockProblems(view.blocks ?? [], MAX_VIEW_BLOCKS, '/view/blocks');
  const title = isObject(view.title) ? view.title.text : undefined;
  if (view.type === 'modal' && typeof title !== 'string') problems.push('[ERROR] missing required field: title [json-pointer:/view]');
  if (typeof title === 'string' && title.length > MAX_VIEW_TITLE) {
    problems.push(`[ERROR] must be less than ${MAX_VIEW_TITLE + 1} characters [json-pointer:/view/title/text]`);
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > MAX_PRIVATE_METADATA) {
    problems.push(`[ERROR] must be less than ${MAX_PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]`);
  }
  return problems;
}

/** Starts the fake on 127.0.0.1 with an OS-chosen port. */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  let perChannelRate = opts.perChannelRatePerSecond;
  let latency: FakeSlackLatency | undefined = opts.latencyMs;
  const calls: FakeSlackCall[] = [];
  const responses: FakeSlackResponse[] = [];
  const channels = new Map<string, FakeSlackMessage[]>();
  const ephemerals: FakeSlackEphemeral[] = [];
  const views = new Map<string, FakeSlackView>();
  const homeViewIds = new Map<string, string>();
  const usedTriggers = new Set<string>();
  const triggerOwners = new Map<string, string>();
  /** Open modals: view id → the user whose trigger opened it (insertion order = opening order). */
  const openModals = new Map<string, string>();
  const responseContexts = new Map<string, FakeSlackResponseContext>();
  const changeListeners = new Set<() => void>();
  const files = new Map<string, FakeSlackFile>();
  const usergroups = new Map<string, string[]>();
  const users = new Map<string, Json>();
  const handlers = new Map<string, FakeSlackHandler>();
  const faults = new Map<string, FakeSlackFault[]>();
  const postTimes = new Map<string, number[]>();
  const nextPostAllowedAt = new Map<string, number>();
  let rateLimitedCount = 0;
  let lastTsMicros = 0;
  let idCounter = 0;
  const waiters = new Set<() => void>();
  const cancels = new Set<() => void>();
  const rejectors = new Set<(err: Error) => void>();
  let origin = '';

  /** Unique, strictly increasing, close to the wall clock so "last hour" queries still work. */
  function nextTs(): string {
    lastTsMicros = Math.max((opts.now ?? Date.now)() * 1000, lastTsMicros + 1);
    const seconds = Math.floor(lastTsMicros / 1_000_000);
    return `${seconds}.${String(lastTsMicros % 1_000_000).padStart(6, '0')}`;
  }

  function nextId(prefix: string): string {
    idCounter += 1;
    return `${prefix}${String(idCounter).padStart(8, '0')}`;
  }

  function notify(): void {
    for (const waiter of [...waiters]) waiter();
    for (const listener of [...changeListeners]) listener();
  }

  function latencyOf(key: string): number {
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    return latency[key] ?? latency['default'] ?? 0;
  }

  /**
   * Sends `answer` after the method's latency plus `extraDelayMs`, or, for a lost answer, never:
   * holds the connection (the client times out; close() ends it) or resets it.
   */
  async function deliver(res: ServerResponse, key: string, answer: Answer, extraDelayMs: number, lose: 'hang' | 'reset' | undefined): Promise<void> {
    if (lose === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (lose === 'hang') return; // never answered; closeAllConnections() in close() ends it
    const wait = latencyOf(key) + extraDelayMs;
    if (wait > 0) await sleep(wait, cancels);
    send(res, answer);
  }

  function takeFault(key: string): FakeSlackFault | undefined {
    const queue = faults.get(key);
    const fault = queue?.shift();
    if (queue?.length === 0) faults.delete(key);
    return fault;
  }

  function channelMessages(channel: string): FakeSlackMessage[] {
    let list = channels.get(channel);
    if (!list) {
      list = [];
      channels.set(channel, list);
    }
    return list;
  }

  function findMessage(channel: string, ts: string): FakeSlackMessage | undefined {
    return channels.get(channel)?.find((m) => m.ts === ts);
  }

  /** Messages as the API shows them: no internal `channel`, metadata only when asked for. */
  function present(message: FakeSlackMessage, withMetadata: boolean): Json {
    const { channel: _channel, ...rest } = clone(message);
    if (!withMetadata) delete rest.metadata;
    return rest;
  }

  function describeCalls(): string {
    if (calls.length === 0) return 'no calls at all';
    const shown = calls
      .slice(-40)
      .map(
        (c, i) =>
          `#${calls.length - Math.min(40, calls.length) + i + 1} ${c.method} -> ${c.status}${c.response?.ok === false ? ` (${String(c.response.error)})` : ''}`,
      );
    return `${calls.length} call(s): ${shown.join(', ')}`;
  }

  function waitFor<T>(ready: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = ready();
      if (first !== undefined) {
        resolve(first);
        return;
      }
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
        rejectors.delete(fail);
      };
      const check = (): void => {
        const value = ready();
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const fail = (err: Error): void => {
        finish();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(describe())), timeoutMs);
      waiters.add(check);
      rejectors.add(fail);
    });
  }

  // ---- Web API methods ------------------------------------------------------------------------

  /** An `image` block's `slack_file` must name a file uploaded here and completed (as Slack refuses an unknown one). */
  function slackFileProblems(blocks: unknown): string[] {
    if (!Array.isArray(blocks)) return [];
    return blocks.flatMap((b: unknown, i) => {
      if (!isObject(b) || b.type !== 'image' || !isObject(b.slack_file)) return [];
      const id = str(b.slack_file.id);
      const file = id !== undefined ? files.get(id) : undefined;
      return file?.completed === true ? [] : [`[ERROR] invalid slack file [json-pointer:/blocks/${i}/slack_file]`];
    });
  }

  function postMessage(args: Json, at: number): Answer {
    const channel = str(args.channel);
    if (!channel) return ok200(slackError('channel_not_found'));
    let text = str(args.text) ?? '';
    const blocks = args.blocks;
    const attachments = args.attachments;
    if (text === '' && blocks === undefined && attachments === undefined) return ok200(slackError('no_text'));
    if (blocks !== undefined) {
      const problems = [...blockProblems(blocks, MAX_MESSAGE_BLOCKS, '/blocks'), ...slackFileProblems(blocks)];
      if (problems.length > 0) return ok200(slackError('invalid_blocks', problems));
    }
    const metadata = args.metadata;
    if (metadata !== undefined && (!isObject(metadata) || typeof metadata.event_type !== 'string')) {
      return ok200(slackError('invalid_metadata_format'));
    }
    // Slack cuts message text at 40,000 characters rather than refusing it.
    if (text.length > MAX_TEXT) text = text.slice(0, MAX_TEXT);

    if (perChannelRate !== undefined && perChannelRate > 0) {
      const allowedAt = nextPostAllowedAt.get(channel) ?? 0;
      if (at < allowedAt) {
        rateLimitedCount += 1;
        const retryAfter = Math.max(1, Math.ceil((allowedAt - at) / 1000));
        return { status: 429, headers: { 'retry-after': String(retryAfter) }, body: { ok: false, error: 'ratelimited' } };
      }
      nextPostAllowedAt.set(channel, at + 1000 / perChannelRate);
    }

    const message: FakeSlackMessage = {
      type: 'message',
      channel,
      ts: nextTs(),
      text,
      user: BOT_USER_ID,
      bot_id: BOT_ID,
      app_id: APP_ID,
      team: TEAM_ID,
    };
    if (Array.isArray(blocks)) message.blocks = blocks;
    if (Array.isArray(attachments)) message.attachments = attachments;
    if (isObject(metadata)) message.metadata = metadata;
    const threadTs = str(args.thread_ts);
    if (threadTs) {
      message.thread_ts = threadTs;
      message.parent_user_id = findMessage(channel, threadTs)?.user ?? BOT_USER_ID;
      if (truthy(args.reply_broadcast)) message.reply_broadcast = true;
      noteReply(channel, threadTs, message);
    }
    channelMessages(channel).push(message);
    const times = postTimes.get(channel) ?? [];
    times.push(at);
    postTimes.set(channel, times);
    return ok200({ ok: true, channel, ts: message.ts, message: present(message, true) });
  }

  function noteReply(channel: string, threadTs: string, reply: FakeSlackMessage): void {
    const parent = findMessage(channel, threadTs);
    // Replies hang off the thread's parent only; a reply to a reply counts nowhere.
    if (!parent || (parent.thread_ts !== undefined && parent.thread_ts !== parent.ts)) return;
    parent.thread_ts = parent.ts;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    const replyUsers = new Set(parent.reply_users ?? []);
    replyUsers.add(reply.user);
    parent.reply_users = [...replyUsers];
    parent.reply_users_count = replyUsers.size;
    parent.latest_reply = reply.ts;
  }

  function update(args: Json): Answer {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (!channel) return ok200(slackError('channel_not_found'));
    const message = ts ? findMessage(channel, ts) : undefined;
    if (!message) return ok200(slackError('message_not_found'));
    if (args.blocks !== undefined) {
      const problems = blockProblems(args.blocks, MAX_MESSAGE_BLOCKS, '/blocks');
      if (problems.length > 0) return ok200(slackError('invalid_blocks', problems));
    }
    if (args.metadata !== undefined && (!isObject(args.metadata) || typeof args.metadata.event_type !== 'string')) {
      return ok200(slackError('invalid_metadata_format'));
    }
    const text = str(args.text);
    if (text !== undefined) message.text = text.slice(0, MAX_TEXT);
    if (Array.isArray(args.blocks)) {
      if (args.blocks.length === 0) delete message.blocks;
      else message.blocks = args.blocks;
    }
    if (Array.isArray(args.attachments)) {
      if (args.attachments.length === 0) delete message.attachments;
      else message.attachments = args.attachments;
    }
    if (isObject(args.metadata)) message.metadata = args.metadata;
    message.edited = { user: BOT_USER_ID, ts: nextTs() };
    return ok200({ ok: true, channel, ts: message.ts, text: message.text, message: present(message, true) });
  }

  function remove(args: Json): Answer {
    const channel = str(args.channel);
    const ts = str(args.ts);
    const list = channel ? channels.get(channel) : undefined;
    const index = list && ts ? list.findIndex((m) => m.ts === ts) : -1;
    if (!list || index < 0) return ok200(slackError('message_not_found'));
    list.splice(index, 1);
    return ok200({ ok: true, channel, ts });
  }

  function postEphemeral(args: Json): Answer {
    const channel = str(args.channel);
    const user = str(args.user);
    if (!channel) return ok200(slackError('channel_not_found'));
    if (!user) return ok200(slackError('invalid_arguments', ['[ERROR] missing required field: user']));
    const text = str(args.text) ?? '';
    if (text === '' && args.blocks === undefined && args.attachments === undefined) return ok200(slackError('no_text'));
    if (args.blocks !== undefined) {
      const problems = blockProblems(args.blocks, MAX_MESSAGE_BLOCKS, '/blocks');
      if (problems.length > 0) return ok200(slackError('invalid_blocks', problems));
    }
    const ephemeral: FakeSlackEphemeral = { channel, user, text, message_ts: nextTs() };
    if (Array.isArray(args.blocks)) ephemeral.blocks = args.blocks;
    const threadTs = str(args.thread_ts);
    if (threadTs) ephemeral.thread_ts = threadTs;
    ephemerals.push(ephemeral);
    return ok200({ ok: true, message_ts: ephemeral.message_ts });
  }

  function permalink(args: Json): Answer {
    const channel = str(args.channel);
    const ts = str(args.message_ts);
    if (!channel || !ts || !findMessage(channel, ts)) return ok200(slackError('message_not_found'));
    return ok200({ ok: true, channel, permalink: `${origin}/archives/${channel}/p${ts.replace('.', '')}` });
  }

  function limitArg(value: unknown, fallback: number, max: number): number {
    const n = Number.parseInt(str(value) ?? '', 10);
    return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
  }

  /** Cursors look like Slack's: base64 of `next_ts:<ts>`. */
  function cursorTs(cursor: unknown): number | undefined {
    const raw = str(cursor);
    if (!raw) return undefined;
    const decoded = Buffer.from(raw, 'base64').toString('utf8');
    return decoded.startsWith('next_ts:') ? tsMicros(decoded.slice('next_ts:'.length)) : undefined;
  }

  function makeCursor(ts: string): string {
    return Buffer.from(`next_ts:${ts}`).toString('base64');
  }

  function inRange(ts: string, args: Json): boolean {
    const t = tsMicros(ts) ?? 0;
    const oldest = tsMicros(str(args.oldest));
    const latest = tsMicros(str(args.latest));
    const inclusive = truthy(args.inclusive);
    if (oldest !== undefined && (inclusive ? t < oldest : t <= oldest)) return false;
    if (latest !== undefined && (inclusive ? t > latest : t >= latest)) return false;
    return true;
  }

  function history(args: Json): Answer {
    const channel = str(args.channel);
    if (!channel) return ok200(slackError('channel_not_found'));
    if (args.cursor !== undefined && str(args.cursor) !== '' && cursorTs(args.cursor) === undefined) return ok200(slackError('invalid_cursor'));
    const from = cursorTs(args.cursor);
    const limit = limitArg(args.limit, 100, 999);
    const withMetadata = truthy(args.include_all_metadata);
    // History shows top-level messages and broadcast replies, newest first.
    const candidates = (channels.get(channel) ?? [])
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.reply_broadcast === true)
      .filter((m) => inRange(m.ts, args))
      .filter((m) => from === undefined || (tsMicros(m.ts) ?? 0) <= from)
      .sort((a, b) => (tsMicros(b.ts) ?? 0) - (tsMicros(a.ts) ?? 0));
    const page = candidates.slice(0, limit);
    const next = candidates[limit];
    const hasMore = next !== undefined;
    const body: Json = {
      ok: true,
      messages: page.map((m) => present(m, withMetadata)),
      has_more: hasMore,
      pin_count: 0,
      channel_actions_ts: null,
      channel_actions_count: 0,
    };
    if (next !== undefined) body.response_metadata = { next_cursor: makeCursor(next.ts) };
    return ok200(body);
  }

  function replies(args: Json): Answer {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (!channel) return ok200(slackError('channel_not_found'));
    const hit = ts ? findMessage(channel, ts) : undefined;
    if (!hit) return ok200(slackError('thread_not_found'));
    const parentTs = hit.thread_ts ?? hit.ts;
    if (args.cursor !== undefined && str(args.cursor) !== '' && cursorTs(args.cursor) === undefined) return ok200(slackError('invalid_cursor'));
    const from = cursorTs(args.cursor);
    const limit = limitArg(args.limit, 1000, 1000);
    const withMetadata = truthy(args.include_all_metadata);
    const thread = (channels.get(channel) ?? [])
      .filter((m) => m.ts === parentTs || m.thread_ts === parentTs)
      .filter((m) => inRange(m.ts, args))
      .filter((m) => from === undefined || (tsMicros(m.ts) ?? 0) >= from)
      .sort((a, b) => (tsMicros(a.ts) ?? 0) - (tsMicros(b.ts) ?? 0));
    const page = thread.slice(0, limit);
    const next = thread[limit];
    const hasMore = next !== undefined;
    const body: Json = { ok: true, messages: page.map((m) => present(m, withMetadata)), has_more: hasMore };
    if (next !== undefined) body.response_metadata = { next_cursor: makeCursor(next.ts) };
    return ok200(body);
  }

  function storeView(view: Json, base: Partial<FakeSlackView>): FakeSlackView {
    const id = base.id ?? nextId('V');
    const stored: FakeSlackView = {
      ...view,
      id,
      team_id: TEAM_ID,
      app_id: APP_ID,
      bot_id: BOT_ID,
      type: String(view.type),
      hash: `${Date.now()}.${nextId('h')}`,
      root_view_id: base.root_view_id ?? id,
      previous_view_id: base.previous_view_id ?? null,
      private_metadata: str(view.private_metadata) ?? '',
      callback_id: str(view.callback_id) ?? '',
      external_id: str(view.external_id) ?? '',
      state: { values: {} },
    };
    if (base.user_id) stored.user_id = base.user_id;
    views.set(id, stored);
    return stored;
  }

  function exchangeTrigger(args: Json): Answer | undefined {
    const trigger = str(args.trigger_id) ?? str(args.interactivity_pointer);
    if (!trigger) return ok200(slackError('invalid_arguments', ['[ERROR] missing required field: trigger_id']));
    if (usedTriggers.has(trigger)) return ok200(slackError('exchanged_trigger_id'));
    usedTriggers.add(trigger);
    return undefined;
  }

  function viewsOpen(args: Json): Answer {
    const problems = viewProblems(args.view);
    if (problems.length > 0) return ok200(slackError('invalid_arguments', problems));
    const refused = exchangeTrigger(args);
    if (refused) return refused;
    return ok200({ ok: true, view: clone(openModal(args)) });
  }

  function viewsPush(args: Json): Answer {
    const problems = viewProblems(args.view);
    if (problems.length > 0) return ok200(slackError('invalid_arguments', problems));
    const refused = exchangeTrigger(args);
    if (refused) return refused;
    return ok200({ ok: true, view: clone(openModal(args)) });
  }

  /** Stores the view; a trigger from triggerFor() makes it that user's open modal. */
  function openModal(args: Json): FakeSlackView {
    const stored = storeView(args.view as Json, {});
    const owner = triggerOwners.get(str(args.trigger_id) ?? str(args.interactivity_pointer) ?? '');
    if (owner !== undefined) openModals.set(stored.id, owner);
    return stored;
  }

  /** What Slack does with a message posted to a response_url (or a slash command's ack body). */
  function applyResponse(context: FakeSlackResponseContext, body: Json): void {
    const text = (str(body.text) ?? '').slice(0, MAX_TEXT);
    const blocks = Array.isArray(body.blocks) ? (clone(body.blocks) as unknown[]) : undefined;
    const ephemeralOrigin = () =>
      context.messageTs === undefined ? undefined : ephemerals.find((e) => e.message_ts === context.messageTs && e.user === context.user);
    if (truthy(body.delete_original)) {
      if (context.messageTs === undefined) return;
      if (context.isEphemeral === true) {
        const origin = ephemeralOrigin();
        if (origin) ephemerals.splice(ephemerals.indexOf(origin), 1);
      } else remove({ channel: context.channel, ts: context.messageTs });
      return;
    }
    if (truthy(body.replace_original) && context.messageTs !== undefined) {
      const target = context.isEphemeral === true ? ephemeralOrigin() : findMessage(context.channel, context.messageTs);
      if (target === undefined) return;
      target.text = text;
      if (blocks !== undefined && blocks.length > 0) target.blocks = blocks;
      else delete target.blocks;
      if (context.isEphemeral !== true) (target as FakeSlackMessage).edited = { user: BOT_USER_ID, ts: nextTs() };
      return;
    }
    if (text === '' && blocks === undefined) return;
    if (body.response_type === 'in_channel') {
      postMessage({ channel: context.channel, text, ...(blocks ? { blocks } : {}), ...(context.threadTs ? { thread_ts: context.threadTs } : {}) }, Date.now());
      return;
    }
    const ephemeral: FakeSlackEphemeral = { channel: context.channel, user: context.user, text, message_ts: nextTs() };
    if (blocks) ephemeral.blocks = blocks;
    if (context.threadTs) ephemeral.thread_ts = context.threadTs;
    ephemerals.push(ephemeral);
  }

  function viewsUpdate(args: Json): Answer {
    const viewId = str(args.view_id);
    const externalId = str(args.external_id);
    if (!viewId && !externalId) return ok200(slackError('invalid_arguments', ['[ERROR] view_id or external_id is required']));
    const current = viewId ? views.get(viewId) : [...views.values()].find((v) => v.external_id === externalId);
    if (!current) return ok200(slackError('not_found'));
    const hash = str(args.hash);
    if (hash !== undefined && hash !== current.hash) return ok200(slackError('hash_conflict'));
    const problems = viewProblems(args.view);
    if (problems.length > 0) return ok200(slackError('invalid_arguments', problems));
    const stored = storeView(args.view as Json, {
      id: current.id,
      root_view_id: current.root_view_id,
      previous_view_id: current.previous_view_id,
      user_id: current.user_id,
    });
    return ok200({ ok: true, view: clone(stored) });
  }

  function viewsPublish(args: Json): Answer {
    const userId = str(args.user_id);
    if (!userId) return ok200(slackError('invalid_arguments', ['[ERROR] missing required field: user_id']));
    const problems = viewProblems(args.view);
    if (problems.length > 0) return ok200(slackError('invalid_arguments', problems));
    if ((args.view as Json).type !== 'home') return ok200(slackError('invalid_arguments', ['[ERROR] must be home [json-pointer:/view/type]']));
    const existingId = homeViewIds.get(userId);
    const existing = existingId ? views.get(existingId) : undefined;
    const hash = str(args.hash);
    if (existing && hash !== undefined && hash !== existing.hash) return ok200(slackError('hash_conflict'));
    const stored = storeView(args.view as Json, existing ? { id: existing.id, user_id: userId } : { user_id: userId });
    homeViewIds.set(userId, stored.id);
    return ok200({ ok: true, view: clone(stored) });
  }

  function usergroupUsers(args: Json): Answer {
    const id = str(args.usergroup);
    const members = id ? usergroups.get(id) : undefined;
    if (!members) return ok200(slackError('no_such_subteam'));
    return ok200({ ok: true, users: [...members] });
  }

  function usersInfo(args: Json): Answer {
    const id = str(args.user);
    if (!id) return ok200(slackError('user_not_found'));
    const known = users.get(id);
    // Unknown but well-formed ids get a plausible default so tests need not register every user.
    if (!known && !/^[UW][A-Z0-9]{2,}$/.test(id)) return ok200(slackError('user_not_found'));
    const name = id.toLowerCase();
    const user: Json = {
      id,
      team_id: TEAM_ID,
      name,
      real_name: `User ${id}`,
      deleted: false,
      is_bot: id === BOT_USER_ID,
      is_admin: false,
      tz: 'Etc/UTC',
      tz_offset: 0,
      profile: { real_name: `User ${id}`, display_name: name, email: `${name}@example.com` },
      ...known,
    };
    return ok200({ ok: true, user });
  }

  function conversationsOpen(args: Json): Answer {
    const first = (str(args.users) ?? '').split(',')[0]?.trim();
    if (!first) return ok200(slackError('users_list_not_supplied'));
    return ok200({ ok: true, channel: { id: directChannelId(first) } });
  }

  function getUploadUrl(args: Json): Answer {
    const filename = str(args.filename);
    const length = Number.parseInt(str(args.length) ?? '', 10);
    if (!filename || !Number.isFinite(length)) return ok200(slackError('invalid_arguments', ['[ERROR] filename and length are required']));
    const id = nextId('F');
    const file: FakeSlackFile = { id, filename, length, completed: false };
    const alt = str(args.alt_text);
    if (alt) file.alt_text = alt;
    files.set(id, file);
    return ok200({ ok: true, upload_url: `${origin}/upload/${id}`, file_id: id });
  }

  function completeUpload(args: Json, at: number): Answer {
    const list = args.files;
    if (!Array.isArray(list) || list.length === 0) return ok200(slackError('invalid_arguments', ['[ERROR] files is required']));
    const done: FakeSlackFile[] = [];
    for (const entry of list) {
      const file = isObject(entry) ? files.get(String(entry.id)) : undefined;
      if (file?.content === undefined) return ok200(slackError('file_not_found'));
      if (isObject(entry) && typeof entry.title === 'string') file.title = entry.title;
      done.push(file);
    }
    const channel = str(args.channel_id) ?? str(args.channels)?.split(',')[0];
    const threadTs = str(args.thread_ts);
    const comment = str(args.initial_comment);
    const shown = done.map((f) => ({
      id: f.id,
      created: Math.floor(at / 1000),
      name: f.filename,
      title: f.title ?? f.filename,
      size: f.content?.length ?? f.length,
      user: BOT_USER_ID,
      ...(channel ? { channels: [channel] } : {}),
    }));
    for (const file of done) {
      file.completed = true;
      if (channel) file.channel_id = channel;
      if (threadTs) file.thread_ts = threadTs;
      if (comment) file.initial_comment = comment;
    }
    if (channel) {
      // Sharing a file posts a message carrying it, as Slack does.
      const message: FakeSlackMessage = {
        type: 'message',
        channel,
        ts: nextTs(),
        text: comment ?? '',
        user: BOT_USER_ID,
        bot_id: BOT_ID,
        app_id: APP_ID,
        team: TEAM_ID,
        files: clone(shown),
      };
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      if (threadTs) {
        message.thread_ts = threadTs;
        noteReply(channel, threadTs, message);
      }
      channelMessages(channel).push(message);
    }
    return ok200({ ok: true, files: shown });
  }

  function authTest(): Answer {
    return ok200({
      ok: true,
      url: 'https://fake-team.slack.com/',
      team: 'Fake Team',
      user: 'mlops-bot',
      team_id: TEAM_ID,
      user_id: BOT_USER_ID,
      bot_id: BOT_ID,
      is_enterprise_install: false,
    });
  }

  function ok200(body: Json): Answer {
    return { status: 200, body };
  }

  const builtIns: Record<string, (args: Json, at: number) => Answer> = {
    'auth.test': () => authTest(),
    // A Socket Mode server (fake-socket-mode-server.ts) installs the real answer with setHandler.
    'apps.connections.open': () => ok200(slackError('fake_slack_has_no_socket_mode_server')),
    'chat.postMessage': postMessage,
    'chat.update': update,
    'chat.delete': remove,
    'chat.postEphemeral': postEphemeral,
    'chat.getPermalink': permalink,
    'conversations.history': history,
    'conversations.replies': replies,
    'conversations.open': conversationsOpen,
    'views.open': viewsOpen,
    'views.push': viewsPush,
    'views.update': viewsUpdate,
    'views.publish': viewsPublish,
    'usergroups.users.list': usergroupUsers,
    'users.info': usersInfo,
    'files.getUploadURLExternal': getUploadUrl,
    'files.completeUploadExternal': completeUpload,
  };

  // ---- HTTP routes ----------------------------------------------------------------------------

  async function handleApi(method: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const at = Date.now();
    const raw = await readRaw(req);
    let args: Json = {};
    let parseError: string | undefined;
    try {
      args = (await parseBody(raw, req.headers['content-type'])).fields;
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      parseError = error.message;
    }
    for (const [name, value] of query) {
      if (!(name in args)) {
        try {
          args[name] = decodeField(name, value);
        } catch {
          parseError = `invalid_arguments:${name}`;
        }
      }
    }
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const token = bearer ?? str(args.token);
    delete args.token;

    let answer: Answer;
    let delayMs = 0;
    const fault = takeFault(method);
    const injected = fault ? faultAnswer(fault) : undefined;
    if (fault && 'delayMs' in fault) delayMs = fault.delayMs;
    const lose = isLose(fault) ? fault.lose : undefined;
    if (injected) answer = injected;
    else if (isLose(fault) && fault.processed === false) answer = ok200({ ok: true });
    // apps.connections.open takes the app-level token (Socket Mode), every other method a bot token.
    else if (!token?.startsWith(method === 'apps.connections.open' ? 'xapp-' : 'xoxb-'))
      answer = ok200(slackError(method === 'apps.connections.open' && token?.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth'));
    else if (parseError === 'invalid_json') answer = ok200(slackError('invalid_json'));
    else if (parseError) answer = ok200(slackError('invalid_arguments', [`[ERROR] could not parse JSON in ${parseError.split(':')[1]}`]));
    else {
      const custom = handlers.get(method);
      const builtIn = builtIns[method];
      if (custom) answer = ok200(await custom(clone(args), { token, fake }));
      else if (builtIn) answer = builtIn(args, at);
      else answer = ok200(slackError('unknown_method'));
    }

    calls.push({
      method,
      args,
      token,
      at,
      status: answer.status,
      response: answer.body ? clone(answer.body) : undefined,
      ...(lose !== undefined ? { lost: lose } : {}),
    });
    notify();
    // A slow Slack has usually done the work already: the answer is held, not the processing.
    await deliver(res, method, answer, delayMs, lose);
  }

  async function handleResponseUrl(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readRaw(req);
    const fault = takeFault('response_url');
    const extra = fault && 'delayMs' in fault ? fault.delayMs : 0;
    const lose = isLose(fault) ? fault.lose : undefined;
    const injected = fault ? faultAnswer(fault) : undefined;
    if (injected) {
      await deliver(res, 'response_url', injected, extra, undefined);
      return;
    }
    if (isLose(fault) && fault.processed === false) {
      await deliver(res, 'response_url', ok200({ ok: true }), 0, lose);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      send(res, { status: 400, text: 'invalid_payload' });
      return;
    }
    if (!isObject(body)) {
      send(res, { status: 400, text: 'invalid_payload' });
      return;
    }
    const entry: FakeSlackResponse = { id, at, body };
    if (typeof body.text === 'string') entry.text = body.text;
    if (lose !== undefined) entry.lost = lose;
    if (Array.isArray(body.blocks)) entry.blocks = body.blocks;
    if (typeof body.response_type === 'string') entry.response_type = body.response_type;
    if (body.replace_original !== undefined) entry.replace_original = truthy(body.replace_original);
    if (body.delete_original !== undefined) entry.delete_original = truthy(body.delete_original);
    responses.push(entry);
    const context = responseContexts.get(id);
    if (context !== undefined && lose === undefined) applyResponse(context, body);
    notify();
    await deliver(res, 'response_url', ok200({ ok: true }), extra, lose);
  }

  async function handleUpload(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readRaw(req);
    const fault = takeFault('file_upload');
    const extra = fault && 'delayMs' in fault ? fault.delayMs : 0;
    const lose = isLose(fault) ? fault.lose : undefined;
    const injected = fault ? faultAnswer(fault) : undefined;
    if (injected) {
      await deliver(res, 'file_upload', injected, extra, undefined);
      return;
    }
    if (isLose(fault) && fault.processed === false) {
      await deliver(res, 'file_upload', { status: 200, text: 'OK' }, 0, lose);
      return;
    }
    const file = files.get(id);
    if (!file) {
      send(res, { status: 404, text: 'file_not_found' });
      return;
    }
    // @slack/web-api posts the bytes as a multipart field named "body"; accept raw bytes as well.
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    const parsed = type.startsWith('multipart/form-data') ? await parseBody(raw, req.headers['content-type']) : undefined;
    file.content = parsed?.fileParts[0]?.bytes ?? raw;
    await deliver(res, 'file_upload', { status: 200, text: `OK - ${file.content.length}` }, extra, lose);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [kind, name, ...rest] = url.pathname.split('/').filter((p) => p !== '');
    const id = name !== undefined && rest.length === 0 ? decodeURIComponent(name) : undefined;
    let work: Promise<void>;
    if (kind === 'api' && id !== undefined) work = handleApi(id, req, res, url.searchParams);
    else if (kind === 'response' && id !== undefined && req.method === 'POST') work = handleResponseUrl(id, req, res);
    else if (kind === 'upload' && id !== undefined && req.method === 'POST') work = handleUpload(id, req, res);
    else {
      send(res, { status: 404, text: 'not_found' });
      work = Promise.resolve();
    }
    work.catch((error: unknown) => send(res, { status: 500, text: `fake-slack crashed: ${String(error)}` }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  const fake: FakeSlack = {
    apiUrl: `${origin}/api/`,
    origin,
    calls,
    responses,
    get rateLimitedCount() {
      return rateLimitedCount;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitForCalls(method, count, timeoutMs = 5000) {
      return waitFor(
        () => {
          const seen = calls.filter((c) => c.method === method);
          return seen.length >= count ? seen : undefined;
        },
        timeoutMs,
        () =>
          `fake-slack: waited ${timeoutMs} ms for ${count} call(s) to ${method}, saw ${calls.filter((c) => c.method === method).length}; ${describeCalls()}`,
      );
    },
    waitForResponses(count, timeoutMs = 5000) {
      return waitFor(
        () => (responses.length >= count ? [...responses] : undefined),
        timeoutMs,
        () =>
          `fake-slack: waited ${timeoutMs} ms for ${count} response_url post(s), saw ${responses.length}` +
          `${responses.length > 0 ? ` (${responses.map((r) => `${r.id}: ${JSON.stringify(r.text ?? '')}`).join(', ')})` : ''}; ${describeCalls()}`,
      );
    },
    messages: (channel) => clone(channels.get(channel) ?? []),
    message: (channel, ts) => {
      const found = findMessage(channel, ts);
      return found ? clone(found) : undefined;
    },
    ephemerals: (channel) => clone(channel === undefined ? ephemerals : ephemerals.filter((e) => e.channel === channel)),
    views: () => clone([...views.values()]),
    files: () => [...files.values()].map((f) => ({ ...f })),
    postTimes: (channel) => [...(postTimes.get(channel) ?? [])],
    setUsergroup(id, members) {
      usergroups.set(id, [...members]);
    },
    setUser(id, user) {
      users.set(id, clone(user));
    },
    setHandler(method, handler) {
      if (handler) handlers.set(method, handler);
      else handlers.delete(method);
    },
    setPerChannelRate(perSecond) {
      perChannelRate = perSecond;
      nextPostAllowedAt.clear();
    },
    setLatency(value) {
      latency = value;
    },
    latencyOf,
    failNext(method, n, fault) {
      const queue = faults.get(method) ?? [];
      for (let i = 0; i < n; i += 1) queue.push(fault);
      if (queue.length > 0) faults.set(method, queue);
    },
    responseUrl(id, context) {
      const key = id ?? nextId('R');
      if (context !== undefined) responseContexts.set(key, clone(context));
      return `${origin}/response/${encodeURIComponent(key)}`;
    },
    applyResponse(context, body) {
      applyResponse(context, body);
      notify();
    },
    triggerFor(user) {
      // Slack's shape: "<n>.<team number>.<32 hex>".
      idCounter += 1;
      const trigger = `${idCounter}.${Date.now()}.${randomBytes(16).toString('hex')}`;
      triggerOwners.set(trigger, user);
      return trigger;
    },
    modals: () =>
      [...openModals.entries()].flatMap(([viewId, user]) => {
        const view = views.get(viewId);
        return view ? [{ viewId, user, view: clone(view) }] : [];
      }),
    closeModal(viewId) {
      if (openModals.delete(viewId)) notify();
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => void changeListeners.delete(listener);
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      channels.clear();
      ephemerals.length = 0;
      views.clear();
      homeViewIds.clear();
      usedTriggers.clear();
      triggerOwners.clear();
      openModals.clear();
      responseContexts.clear();
      files.clear();
      usergroups.clear();
      users.clear();
      handlers.clear();
      faults.clear();
      postTimes.clear();
      nextPostAllowedAt.clear();
      rateLimitedCount = 0;
      perChannelRate = opts.perChannelRatePerSecond;
      latency = opts.latencyMs;
      // A given clock may go back at a reset (the sandbox's skip-ahead time): its timestamps follow it.
      if (opts.now !== undefined) lastTsMicros = 0;
    },
    async close() {
      for (const cancel of [...cancels]) cancel();
      for (const reject of [...rejectors]) reject(new Error('fake-slack: closed while waiting'));
      // Keep-alive sockets from fetch would otherwise hold close() open for seconds.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** Same function under the file's name (the repo's convention). */
export const fakeSlackServer = startFakeSlack;
