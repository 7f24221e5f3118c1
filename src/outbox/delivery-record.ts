import type { WebClient } from '@slack/web-api';
import type { Clock } from '../core/ports';
import type { ProductionRecord } from '../core/production-record';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import { storeKeys } from '../store/store-keys';
import type { SlackMessage } from '../../views/slack-message';

/** Delivery records and their run/alert bookkeeping live as long as recorded events. */
export const DELIVERY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** What a background message is, for logs and the closed `type` label of the delivery metrics. */
export type BackgroundMessageType = 'watchdog' | 'training.requested' | 'approval-reminder' | 'digest' | 'chart' | 'bake-report' | 'shadow-comparison';

/** Where a background message goes: a channel (then, if Slack refuses it there for good, the next of `fallbacks`), or a thread. */
export interface MessageTarget {
  channel: string;
  threadTs?: string;
  /** Also show a thread reply in the channel. */
  broadcast?: boolean;
  /** Channels tried in order when Slack refuses this one for good (not_in_channel, channel_not_found…). */
  fallbacks?: string[];
  /** A reply in a run's thread: the run (runKey) whose top message is re-rendered once it is posted (its stage line). */
  updateRun?: string;
}

/**
 * A message the bot itself sends in the background (the run watchdog, `/mlops train`'s "requested"
 * message), rendered when recorded and delivered through the outbox like an event: recorded
 * once by id (storeKeys.event(id), queued in the inbox), posted exactly once per target.
 */
export interface RecordedMessage {
  kind: 'message';
  type: BackgroundMessageType;
  message: SlackMessage;
  targets: MessageTarget[];
  model?: string;
  runId?: string;
  /** The run whose thread the message starts, when posted top level (its channel and ts are linked). */
  runKey?: string;
  source: 'internal';
  receivedAt: string;
}
/** What recording an item did: recorded now, or already recorded (the same id before). */
export type RecordOutcome = 'recorded' | 'duplicate';

/**
 * What the outbox reads of any recorded item (storeKeys.event(id), queued in the inbox): a pipeline
 * event or alarm (pipeline-events' records, planned by the injected OutboxContent) or a background
 * message (the outbox's own). `kind` tells them apart ('message' for background messages).
 */
export interface OutboxItem {
  kind?: string;
  receivedAt: string;
}

export function isRecordedMessage(item: OutboxItem): item is RecordedMessage {
  return item.kind === 'message';
}

/** Queued in order per channel; a record that exists already is not queued again (re-planning is idempotent). */
export async function enqueueDeliveries(store: Store, records: readonly DeliveryRecord[]): Promise<void> {
  for (const record of records) {
    await store.recordUnique(storeKeys.delivery(record.id), JSON.stringify(record), DELIVERY_TTL_MS, storeKeys.channelOutbox(record.channel), record.id);
    // After the push, so that a channel is always listed once it has work (a re-plan adds it again).
    await store.setAdd(storeKeys.outboxChannels(), record.channel);
  }
}

/** The recorded item of an id; undefined when expired or unreadable. */
export async function loadRecordedItem<T extends OutboxItem = OutboxItem>(store: Store, id: string): Promise<T | undefined> {
  const raw = await store.get(storeKeys.event(id));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/**
 * Where a message goes, decided once (at the first attempt) and kept, so that a retry or a
 * crash recovery looks for the message where it was sent and posts it there again if needed.
 * - top: a new top-level message; `root` says what it becomes (the thread root of a run, of
 *   an alert group, a candidate's evaluation message, or nothing in particular).
 * - reply: in the thread of `threadTs`; `update` says which root to re-render afterwards.
 */
export type Placement =
  | { kind: 'top'; root: 'run' | 'alert' | 'candidate' | 'plain'; runKey?: string; groupKey?: string }
  | {
      kind: 'reply';
      threadTs: string;
      update?: { kind: 'run'; runKey: string } | { kind: 'alert'; groupKey: string };
      /** Make the event's own run thread here too (deployment runs under their candidate). */
      linkRunKey?: string;
      broadcast?: boolean;
    };

/** What AWS added to a message, fetched once at the first attempt. */
export interface Enrichment {
  job?: { status?: string; startedAt?: string; endedAt?: string; billableSeconds?: number; instanceType?: string; instanceCount?: number };
  endpoint?: { status?: string; variants: { name: string; modelName?: string; instanceType?: string; instanceCount?: number; weight?: number }[] };
}

/**
 * One Slack message to deliver exactly once: storeKeys.delivery(id), queued by id in
 * storeKeys.channelOutbox(channel). States:
 * queued → sending (claimed, the post may or may not have happened) → posted (Slack answered
 * with its ts; bookkeeping pending) → done. Or failed (permanent error or retries exhausted).
 */
export interface DeliveryRecord {
  id: string;
  /** The recorded item (pipeline event or alarm) this message is about. */
  eventId: string;
  eventType: string;
  /** For logs: the model, version and run the message is about. */
  model?: string;
  version?: string;
  runId?: string;
  channel: string;
  /** `main`: the item's message; `error-detail`: the full text of a long error, in the main message's thread. */
  role: 'main' | 'error-detail';
  /** The delivery this one threads under (error-detail). */
  parentId?: string;
  /** Counted in eventsPosted / eventsFailed (one per item: its first channel's main message). */
  primary: boolean;
  /** The route's model channel (failures posted elsewhere point to it). */
  modelChannel?: string;
  /** evaluation.completed: the candidate shown and the production baseline when the event was processed. */
  candidateId?: string;
  production?: ProductionRecord | null;
  state: 'queued' | 'sending' | 'posted' | 'done' | 'failed';
  attempts: number;
  /** Looks in Slack for an earlier attempt's post that failed (they count towards giving up too). */
  checks?: number;
  /** No try before this time (ISO): the retry backoff, kept in the record so any kick respects it. */
  nextAttemptAt?: string;
  /** When the last attempt was claimed (ISO), and by which worker. */
  attemptAt?: string;
  owner?: string;
  placement?: Placement;
  enrichment?: Enrichment;
  /** Files upload (very long errors): the file name carries the delivery id for recovery. */
  filename?: string;
  ts?: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
}

/** The delivery id Slack sees in the message metadata (event_payload.delivery_id). */
export const DELIVERY_METADATA_TYPE = 'mlops_delivery';

export function deliveryIdFor(eventId: string, channel: string, role: DeliveryRecord['role']): string {
  return `${eventId}|${channel}|${role}`;
}

/**
 * A queued chat.update of a message the bot posted (a candidate card, a run's top message…):
 * storeKeys.delivery(updateIdFor(channel, ts)), one record per message. Each enqueue replaces the
 * content and bumps `rev`, so updates queued before the worker gets to them are coalesced into one
 * call with the latest content. chat.update is idempotent (the same content twice shows once), so
 * an attempt whose answer was lost is simply sent again, but only once it can no longer be on the
 * wire (then an older content can never land after a newer one).
 * queued → sending (claimed) → done, or failed (Slack refused: message_not_found…; tries exhausted);
 * a new content puts a done or failed record back to queued.
 */
export interface MessageUpdateRecord {
  kind: 'update';
  id: string;
  /** For logs and the closed `type` label (mlops_delivery_given_up_total counts by reason only). */
  type: BackgroundUpdateType;
  channel: string;
  ts: string;
  message: SlackMessage;
  /** The caller's version of the content (e.g. the candidate's rev): an older one never replaces a newer. */
  version?: number;
  /** Bumped by every enqueue; `sentRev` is the rev Slack last confirmed. */
  rev: number;
  sentRev?: number;
  state: 'queued' | 'sending' | 'done' | 'failed';
  /** Tries of the current content (a new content starts again at 0). */
  attempts: number;
  /** The last attempt (ISO), its worker, and whether its outcome is still unknown (crash, lost answer). */
  attemptAt?: string;
  owner?: string;
  inFlight?: boolean;
  nextAttemptAt?: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
}
export type BackgroundUpdateType = 'candidate' | 'run' | 'drift';

const UPDATE_PREFIX = 'msg-update:';

export function updateIdFor(channel: string, ts: string): string {
  return `${UPDATE_PREFIX}${channel}:${ts}`;
}

/**
 * The channel queue item of one enqueue: the update id plus a nonce, so that removing a finished
 * item never removes the item of a content queued meanwhile. Post deliveries' ids always hold `|`.
 */
export function updateQueueItem(id: string, nonce: string): string {
  return `${id}:${nonce}`;
}

/** The update id of a channel queue item, or undefined for a post delivery. */
export function updateIdOfQueueItem(item: string): string | undefined {
  if (!item.startsWith(UPDATE_PREFIX) || item.includes('|')) return undefined;
  return item.slice(0, item.lastIndexOf(':'));
}

/** What the sender posts for a delivery: a message, or (a very long error) a file upload. */
export type Rendered =
  { kind: 'message'; message: SlackMessage } | { kind: 'file'; content: string; title: string; comment: string } | { kind: 'fail'; reason: string };

/** Where a delivery goes and what it says, or why it cannot go (yet). */
export type Prepared =
  | { ok: true; placement: Placement; enrichment?: Enrichment; rendered: Exclude<Rendered, { kind: 'fail' }> }
  | { ok: false; wait: true }
  | { ok: false; fail: string };

/** The root of a thread to re-render after a reply (a run's top message, an alert's count). */
export type RootUpdate = NonNullable<Extract<Placement, { kind: 'reply' }>['update']>;

/**
 * The outbox's port to the feature that owns the recorded items (pipeline events, alarms and the
 * placement of background messages): injected into the worker, so the outbox never imports it.
 * Every method may run again after a crash: all are idempotent.
 */
export interface OutboxContent {
  /** Turns a recorded inbox item into queued deliveries (enqueueDeliveries); returns the channels that got work. Rejects only when the store fails. */
  plan(id: string): Promise<string[]>;
  /** Decides the placement (first attempt: `d.placement` unset) and the enrichment, and renders the message for this attempt. */
  prepare(d: DeliveryRecord, item: OutboxItem): Promise<Prepared>;
  /** Bookkeeping once Slack gave the message its ts (run threads, alert groups, the candidate's message). */
  afterPost(d: DeliveryRecord, item: OutboxItem, ts: string, log: Logger): Promise<void>;
  /** The thread root to re-render after a reply, rendered; undefined when there is nothing to update. */
  renderRootUpdate(update: RootUpdate, channel: string): Promise<{ channel: string; ts: string; message: SlackMessage } | undefined>;
}

/** What the outbox worker and its senders need. */
export interface OutboxContext {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** The outbox's own Web API client (createDeliverySlackClient: no automatic retries, 429s at once). */
  client: WebClient;
  /** This bot's Slack ids once the startup auth.test answered (findPostedMessage trusts only its own posts). */
  self?: () => { botId: string; botUserId: string } | undefined;
  content: OutboxContent;
}
