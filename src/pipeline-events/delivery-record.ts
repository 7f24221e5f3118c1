import type { AlarmAlert } from '../core/alarm-alert';
import type { ProductionRecord } from '../core/production-record';
import type { SlackMessage } from '../../views/slack-message';
import type { RecordedEvent } from './record-event';

/** An alarm recorded for delivery (storeKeys.event(id), queued like a pipeline event). */
export interface RecordedAlarm {
  kind: 'alarm';
  alarm: AlarmAlert;
  source: 'sns';
  receivedAt: string;
}
/** What a background message is, for logs and the closed `type` label of the delivery metrics. */
export type BackgroundMessageType = 'watchdog' | 'training.requested';

/** Where a background message goes: a channel (then, if Slack refuses it there for good, the next of `fallbacks`), or a thread. */
export interface MessageTarget {
  channel: string;
  threadTs?: string;
  /** Also show a thread reply in the channel. */
  broadcast?: boolean;
  /** Channels tried in order when Slack refuses this one for good (not_in_channel, channel_not_found…). */
  fallbacks?: string[];
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
export type RecordedItem = RecordedEvent | RecordedAlarm | RecordedMessage;

export function isRecordedAlarm(item: RecordedItem): item is RecordedAlarm {
  return (item as { kind?: string }).kind === 'alarm';
}

export function isRecordedMessage(item: RecordedItem): item is RecordedMessage {
  return (item as { kind?: string }).kind === 'message';
}

/** A pipeline event (neither an alarm nor a background message). */
export function isRecordedEvent(item: RecordedItem): item is RecordedEvent {
  return !isRecordedAlarm(item) && !isRecordedMessage(item);
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
export type BackgroundUpdateType = 'candidate' | 'run';

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
