import { randomUUID } from 'node:crypto';
import type { AckFn, AllMiddlewareArgs, AnyMiddlewareArgs, App, Context, RespondArguments } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { WorkLimiter } from '../core/create-work-limiter';
import { ErrorCode, isMlopsError } from '../core/errors';
import { contextRequestId } from '../http/request-context';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';

/**
 * The listener kit, in Bolt's idiom: one global middleware (`app.use`) gives every request a
 * record in `context` (request id, child logger, metric name and outcome) and times and counts
 * it; one `app.error` handles what a listener throws. Listeners only:
 *
 *   const request = slackRequest(context);      // .log, .requestId, .name, .outcome
 *   await acknowledge({ ack, context }, body?);  // an answer that rides in the ack
 *   await ackThenWork({ ack, context }, deps, async (request) => { …; return 'outcome'; });
 *
 * `ackThenWork` acks at once and runs the work after the ack within the shared post-ack limit
 * (deps.postAckWork), answering "busy" through response_url when the queue is full. A thrown
 * error reaches app.error, which logs it with the request's logger and answers the user.
 */

export type ListenerKind = 'command' | 'action' | 'view' | 'event';

/** What every listener finds in its `context` (see slackRequest). */
export interface SlackRequest {
  /** The HTTP request's id (http/request-context.ts, via the receiver's customPropertiesExtractor); over Socket Mode, a fresh one. */
  readonly requestId: string;
  readonly kind: ListenerKind | undefined;
  /**
   * The metric label: each listener names its requests from METRIC_LABEL_VALUES.name
   * (create-metrics.ts). Until then it is the payload's id (action_id, callback_id, event type;
   * 'unreadable' for a command), which is not in that set and so counts as `other`.
   */
  name: string;
  /** The metric outcome: 'ok' unless the listener says otherwise; 'error' when it throws. */
  outcome: string;
  /** A pino child logger bound to the request id, the kind and name, the user and the channel. */
  log: Logger;
  /** True once acknowledged (Events API deliveries are acked by Bolt before any middleware). */
  readonly acked: boolean;
}

/** The record plus what only the kit touches. */
interface KitRecord extends SlackRequest {
  acked: boolean;
  started: bigint;
  responseUrl: string | undefined;
  user: string | undefined;
  channel: string | undefined;
  /** Records the ack time (once). */
  onAck(): void;
  /** Renders the kit's own answers (busy, failure): a view handed in by the composition root. */
  errorMessage: ErrorMessage;
}

/** A message the kit sends; `blocks` as Slack takes them. */
export interface KitMessage {
  text: string;
  blocks?: KnownBlock[];
}
/** The view the kit answers with when the bot is busy or a listener failed (views/error-view.ts). */
export type ErrorMessage = (input: { message: string }) => KitMessage;

/** What the kit needs of the bot (a slice of BotDeps, named here so plumbing knows no feature). */
export interface KitDeps {
  logger: Logger;
  metrics: Metrics;
  /** The shared post-ack work limit (commands and clicks). */
  postAckWork: WorkLimiter;
  /** Interactive Web API client: chat.postEphemeral when a failed request has no response_url. */
  slack: WebClient;
}

const CONTEXT_KEY = 'slackRequest';
const BUSY_TEXT = 'The bot is busy with many requests right now; nothing was done. Try again in a minute.';

/** The kit's record of this request; throws if installListenerKit did not run (a wiring mistake). */
export function slackRequest(context: Context): SlackRequest {
  return kitRecord(context);
}

function kitRecord(context: Context): KitRecord {
  const record = context[CONTEXT_KEY] as KitRecord | undefined;
  if (record === undefined) throw new Error('no listener kit record in context: installListenerKit(app, deps) must run before any listener is registered');
  return record;
}

/** Durations from the monotonic clock: metrics of elapsed time, not wall-clock facts (deps.clock). */
const secondsSince = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * Installs the kit's global middleware and error handler. Call first: middleware runs in order.
 * `errorMessage` renders the kit's own answers (the composition root passes views/error-view.ts).
 */
export function installListenerKit(app: App, deps: KitDeps, errorMessage: ErrorMessage): void {
  const { metrics } = deps;
  app.use(({ body, context, next }: AnyMiddlewareArgs & AllMiddlewareArgs) => {
    const facts = readFacts(body);
    const requestId = contextRequestId(context) ?? randomUUID();
    const record: KitRecord = {
      requestId,
      kind: facts.kind,
      name: facts.name,
      outcome: 'ok',
      log: deps.logger.child({
        requestId,
        // What was received, by kind (`command: 'mlops'`, `action: 'mlops_deploy'`…): outside input, so cut short.
        ...(facts.kind !== undefined ? { [facts.kind]: facts.received.slice(0, 100) } : {}),
        ...(facts.user !== undefined ? { slackUser: facts.user } : {}),
        ...(facts.channel !== undefined ? { channel: facts.channel } : {}),
      }),
      acked: facts.kind === 'event',
      started: process.hrtime.bigint(),
      responseUrl: facts.responseUrl,
      user: facts.user,
      channel: facts.channel,
      errorMessage,
      onAck() {
        if (record.acked) return;
        record.acked = true;
        if (record.kind !== undefined) metrics.slackAckDuration.observe({ kind: record.kind, name: record.name }, secondsSince(record.started));
      },
    };
    context[CONTEXT_KEY] = record;
    const count = (): void => {
      if (record.kind === undefined) return;
      metrics.slackRequests.inc({ kind: record.kind, name: record.name, outcome: record.outcome });
      metrics.slackHandlerDuration.observe({ kind: record.kind, name: record.name }, secondsSince(record.started));
    };
    // A promise chain, not `await`: errors Bolt itself raises on payloads Slack never sends keep a
    // stack without this file in it (they are Bolt's, answered 400, not a failure of our listeners).
    return next().then(count, (error: unknown) => {
      record.outcome = 'error';
      count();
      throw error; // on to app.error
    });
  });

  // Bolt passes context and body only with `extendedErrorHandler: true` (create-slack-app.ts).
  app.error(async ({ error, context }: { error: Error; context: Context }) => {
    const record = context[CONTEXT_KEY] as KitRecord | undefined;
    // Not acked yet (or thrown before the kit ran: Bolt itself on a payload Slack never sends): rethrown,
    // so the receiver answers it (400, see create-slack-app.ts) instead of leaving Slack waiting 3 s.
    if (record?.acked !== true) throw error;
    const original = (error as { original?: unknown }).original ?? error;
    record.log.error({ err: original }, `a Slack ${record.kind ?? 'request'} listener failed after its ack`);
    await tellUser(deps, record, failureText(original)).catch((e: unknown) => record.log.warn({ err: e }, 'could not tell the user about the failure'));
  });
}

/** Acks (with an answer that rides in the ack, if given) and records the ack time. */
export async function acknowledge<R>(args: { ack: AckFn<R>; context: Context }, response?: R): Promise<void> {
  await (response === undefined ? args.ack() : args.ack(response));
  kitRecord(args.context).onAck();
}

/**
 * Acks at once, then runs `work` after the ack within the shared post-ack limit
 * (deps.postAckWork), so a burst of commands and clicks cannot crowd out the next acks. When the
 * queue is full nothing runs and the user is told the bot is busy (outcome `busy`). Resolves when
 * the work is done; `work` returns the outcome label; what it throws goes to app.error.
 */
export async function ackThenWork(
  args: { ack: () => Promise<void>; context: Context },
  deps: Pick<KitDeps, 'postAckWork'>,
  work: (request: SlackRequest) => Promise<string>,
): Promise<void> {
  await acknowledge(args);
  const record = kitRecord(args.context);
  const limit = deps.postAckWork;
  await new Promise<void>((resolve, reject) => {
    const accepted = limit.offer(async () => {
      try {
        record.outcome = await work(record);
        resolve();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    if (accepted) return;
    record.outcome = 'busy';
    record.log.warn({ running: limit.running, queued: limit.queued }, `${record.name} refused: too much work queued`);
    void answerEphemeral(record, record.errorMessage({ message: BUSY_TEXT })).finally(resolve);
  });
}

/**
 * Answers only the requesting user through the request's response_url (with a timeout, see
 * respondInTime below): never throws; a missing or failing response_url is logged.
 */
export async function answerEphemeral(request: SlackRequest, message: KitMessage, opts: { replaceOriginal?: boolean } = {}): Promise<void> {
  const record = request as KitRecord;
  const respond = respondInTime(record.responseUrl);
  if (respond === undefined) {
    record.log.warn('the request has no response_url: the user cannot be answered');
    return;
  }
  await respond({
    response_type: 'ephemeral',
    replace_original: opts.replaceOriginal ?? false,
    text: message.text,
    ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
  }).catch((error: unknown) => record.log.warn({ err: error }, 'could not answer the user'));
}

function failureText(error: unknown): string {
  return isMlopsError(error, ErrorCode.StoreUnavailable)
    ? 'The bot cannot reach its store right now; nothing was changed. Try again in a minute.'
    : 'Something went wrong on our side; the error is logged.';
}

/** After a failure: through response_url when the payload had one, else ephemerally in the channel. */
async function tellUser(deps: KitDeps, record: KitRecord, text: string): Promise<void> {
  const view = record.errorMessage({ message: text });
  if (record.responseUrl !== undefined) return answerEphemeral(record, view);
  if (record.channel !== undefined && record.user !== undefined) {
    await deps.slack.chat.postEphemeral({ channel: record.channel, user: record.user, text: view.text, blocks: view.blocks });
    return;
  }
  record.log.warn('the failed request has no response_url nor channel: the user cannot be told');
}

/** Kind, default name, user, channel and response_url of any payload, read defensively (outside input). */
function readFacts(body: unknown): { kind: ListenerKind | undefined; name: string; received: string; user?: string; channel?: string; responseUrl?: string } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
  const responseUrl = str(b['response_url']) ?? str(field(Array.isArray(b['response_urls']) ? b['response_urls'][0] : undefined, 'response_url'));
  const common = { ...opt('responseUrl', responseUrl) };
  if (typeof b['command'] === 'string') {
    return {
      kind: 'command',
      name: 'unreadable',
      received: b['command'].replace(/^\//, ''),
      ...common,
      ...opt('user', str(b['user_id'])),
      ...opt('channel', str(b['channel_id'])),
    };
  }
  const user = str(field(b['user'], 'id'));
  const channel = str(field(b['channel'], 'id')) ?? str(field(b['container'], 'channel_id'));
  switch (b['type']) {
    case 'block_actions': {
      const first = Array.isArray(b['actions']) ? (b['actions'][0] as unknown) : undefined;
      const id = str(field(first, 'action_id')) ?? 'unknown';
      return { kind: 'action', name: id, received: id, ...common, ...opt('user', user), ...opt('channel', channel) };
    }
    case 'view_submission':
    case 'view_closed': {
      const id = str(field(b['view'], 'callback_id')) ?? 'unknown';
      return { kind: 'view', name: id, received: id, ...common, ...opt('user', user) };
    }
    case 'event_callback': {
      const event = b['event'];
      const type = str(field(event, 'type')) ?? 'unknown';
      return {
        kind: 'event',
        name: type,
        received: type,
        ...opt('user', str(field(event, 'user'))),
        ...opt('channel', str(field(event, 'channel'))),
      };
    }
    default:
      return { kind: undefined, name: 'unknown', received: 'unknown', ...common };
  }
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * How long an answer to a response_url may take. Bolt's respond() has no timeout: a response_url
 * that never answers would hold the post-ack work slot (deps.postAckWork) of its command or click
 * until the socket dies, and eight of them stop every later command. Slack answers these in well
 * under a second; past this the answer is given up (and logged by the caller).
 */
export const RESPONSE_URL_TIMEOUT_MS = 5000;

export type TimedRespond = (message: string | RespondArguments) => Promise<void>;

/**
 * Bolt's respond() (POST the message as JSON to the response_url, a non-2xx is an error) with a
 * timeout that aborts the request. Undefined when the payload carried no response_url.
 */
export function respondInTime(responseUrl: unknown, opts: { timeoutMs?: number } = {}): TimedRespond | undefined {
  if (typeof responseUrl !== 'string' || responseUrl === '') return undefined;
  const timeoutMs = opts.timeoutMs ?? RESPONSE_URL_TIMEOUT_MS;
  return async (message) => {
    const body = typeof message === 'string' ? { text: message } : message;
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read the body so the connection is released; its content does not matter.
    await response.text().catch(() => '');
    if (!response.ok) throw new Error(`the response_url answered HTTP ${response.status}`);
  };
}
