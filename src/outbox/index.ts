/**
 * The outbox: the one path by which the bot sends to Slack from the background (pipeline events,
 * alarms, the watchdog, `/mlops train`'s "requested" message, card refreshes). Everything is recorded
 * in the store first and posted or updated exactly once, in order and paced per channel, by the
 * delivery worker of the replica holding the lease. The feature that owns recorded pipeline events
 * plugs in through OutboxContent (it plans and renders them), so the outbox imports no feature.
 *
 * Store layout (keys in storeKeys):
 * - inbox / inbox:processing: ids of recorded items (recordUnique puts them there atomically with
 *   their body); the planner claims each with moveHead and removes it once planned, so a crash
 *   leaves it in processing, planned again by the next leader (idempotent).
 * - delivery:<item>|<channel>|<role>: one Slack message, queued once (recordUnique) in
 *   outbox:<channel>, with its state: queued → sending (claimed by compare-and-set with the
 *   attempt time) → posted (ts known) → done, or failed. outbox-channels lists the queues.
 * - delivery:msg-update:<channel>:<ts>: the latest content of an update of a posted message.
 * - lease:delivery: the leader lease (leasedJob). One replica delivers at a time, so each channel's
 *   messages go out in order and at the channel's pace; others stand by and take over.
 *
 * Exactly once: an item is recorded once (dedup by id) and planned into deliveries with fixed ids
 * (queued once); a delivery is posted only by the worker that moved it to `sending`. Every post
 * carries metadata {event_type: 'mlops_delivery', event_payload: {delivery_id}}; a delivery found in
 * `sending` (crash, timeout, 5xx: outcome unknown) is posted again only after no attempt can still
 * be on the wire (client timeout + margin) and after conversations.history / conversations.replies
 * (include_all_metadata, oldest = attempt − 2 min) do not show that id. A 429 returns it to
 * `queued` (certainly not posted) and holds that channel for Retry-After. The residual risk: a
 * leader frozen for longer than the lease between its claim and its HTTP request, while a successor
 * finds nothing in Slack; each claim is also a compare-and-set, so two workers never both claim
 * the same attempt.
 */
export {
  DELIVERY_TTL_MS,
  deliveryIdFor,
  enqueueDeliveries,
  isRecordedMessage,
  loadRecordedItem,
  type BackgroundMessageType,
  type BackgroundUpdateType,
  type DeliveryRecord,
  type Enrichment,
  type MessageTarget,
  type OutboxContent,
  type OutboxItem,
  type Placement,
  type Prepared,
  type RecordedMessage,
  type RecordOutcome,
  type Rendered,
  type RootUpdate,
} from './delivery-record';
export { createDeliveryWorker, pendingDeliveries, type DeliveryWorker, type DeliveryWorkerOptions, type PendingDeliveries } from './delivery-worker';
export { createDeliverySlackClient } from './outbox-slack';
export {
  DEFAULT_OUTBOX_WAIT_MS,
  createMessageRecorder,
  createMessageUpdater,
  messageDeliveryStatus,
  messageRecordedAt,
  planBackgroundMessage,
  postThroughOutbox,
  queuedUpdateVersion,
  type BackgroundMessage,
  type RecordMessage,
  type RecordedMessageOutcome,
  type UpdateMessage,
} from './record-message';
export { DEFAULT_DELIVERY_BACKOFF, MAX_DELIVERY_TRIES } from './send-delivery';
