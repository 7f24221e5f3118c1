/**
 * Every store key the bot uses, named in one place. Adapters add the deployment's key prefix
 * (`mlops:` by default), so these are relative names.
 */
export const storeKeys = {
  /** Dedup marker + body of a recorded pipeline event (TTL: EVENT_TTL_MS). */
  event: (eventId: string) => `event:${eventId}`,
  /** Queue of recorded event ids waiting for delivery to Slack (the durable outbox). */
  inbox: () => 'inbox',
  /** Ids claimed by a delivery worker and not yet finished (crash recovery). */
  inboxProcessing: () => 'inbox:processing',
  /** Per-channel queue of Slack posts waiting for their pacing slot. */
  channelOutbox: (channel: string) => `outbox:${channel}`,
  /** State of one delivery (exactly-once bookkeeping). */
  delivery: (deliveryId: string) => `delivery:${deliveryId}`,
  /** Run → top-level Slack message and current stage. */
  run: (runKey: string) => `run:${runKey}`,
  /** Runs without an outcome yet, watched by the watchdog. */
  openRuns: () => 'runs:open',
  /** Candidate record (JSON), changed only by compare-and-set. */
  candidate: (candidateId: string) => `candidate:${candidateId}`,
  /** Candidate ids of a model (set), for superseding and `models`. */
  modelCandidates: (model: string) => `model:${model}:candidates`,
  /** Production baseline of a model: the last version that reached deployment.succeeded. */
  production: (model: string) => `model:${model}:production`,
  /** Deployed versions, oldest first, bounded (rollback targets). */
  deployHistory: (model: string) => `model:${model}:deployed`,
  /** Last failure of a model (for `models` and the Home tab). */
  lastFailure: (model: string) => `model:${model}:last-failure`,
  /** Latest requested training run of a model (duplicate `train` guard). */
  trainingRequest: (model: string) => `model:${model}:training-request`,
  /** A `train` waiting for the user's Confirm / Cancel (duplicate guard), by request id; short TTL. */
  pendingTraining: (requestId: string) => `training:pending:${requestId}`,
  /** Audit log of decisions, per model, bounded. */
  audit: (model: string) => `audit:${model}`,
  /** Audit log across models, bounded (Home tab). Outside `audit:<model>`: a model may be named `all`. */
  auditAll: () => 'audit-all',
  /** Per-endpoint deploy lock (value: JSON holder). */
  endpointLock: (endpoint: string) => `lock:endpoint:${endpoint}`,
  /** Alert grouping window of a model + DAG. */
  alertGroup: (model: string, dagId: string) => `alert:${model}:${dagId}`,
  /** Cached members of a Slack user group. */
  usergroupMembers: (usergroupId: string) => `usergroup:${usergroupId}`,
  /** The daily digest of a channel for a local day (YYYY-MM-DD) was handled (sent or skipped as empty). */
  digestDay: (channel: string, day: string) => `digest:${channel}:${day}`,
  /** Leader lease of a background job across replicas. */
  lease: (job: string) => `lease:${job}`,
  /** SNS message dedup. */
  snsMessage: (messageId: string) => `sns:${messageId}`,
  /** Slack interaction dedup (Events API retries, double submits). */
  slackDedup: (id: string) => `slack:seen:${id}`,
  /** Channels that have (or had) a delivery outbox: the worker drains each (delivery, issue 3). */
  outboxChannels: () => 'outbox-channels',
  /** A run's top message posted by delivery: {channel, ts, eventId, deliveryId}, re-rendered as the stage changes. */
  runMessage: (runKey: string) => `run-message:${runKey}`,
  /** A deployment being baked (issue 14): its windows, thresholds, thread and state (src/bake). */
  bake: (id: string) => `bake:${id}`,
  /** Ids of the bakes not reported yet (the bake job's worklist). */
  bakes: () => 'bakes',
  /** A running shadow deployment (issue 14): its window, thread and end-of-window comparison state (src/shadow). */
  shadow: (candidateId: string) => `shadow:${candidateId}`,
  /** Ids of the shadows whose end-of-window comparison is not posted yet (the shadow job's worklist). */
  shadows: () => 'shadows',
  /** The latest on-request comparison of a shadow (a short cache: a burst of Compare now clicks reads CloudWatch once). */
  shadowComparison: (candidateId: string) => `shadow-comparison:${candidateId}`,
  /** What was done on a drift alert (Retrain, Snooze), by the alert's root event id. */
  driftAlert: (eventId: string) => `drift:alert:${eventId}`,
  /** A snoozed model + drift signal: {until, by}; expires when the snooze ends. */
  driftSnooze: (model: string, signal: string) => `drift:snooze:${model}:${signal}`,
  /** A model's drift events as delivery planned them, newest last, bounded: {id, at, snoozed} (the daily digest). */
  driftRecent: (model: string) => `drift:recent:${model}`,
  /** A model's retraining schedule state: {cursor, paused?, last} (src/schedules). */
  schedule: (model: string) => `schedule:${model}`,
  /** A chart already uploaded to Slack, by the hash of what it shows: its file id (charts, issue 13). */
  chartFile: (contentHash: string) => `chart-file:${contentHash}`,
} as const;

export const DEFAULT_KEY_PREFIX = 'mlops:';

/**
 * The key prefix on a Redis Cluster: the deployment's prefix becomes ONE hash tag (`mlops:` ->
 * `{mlops}:`), so every key of the deployment hashes to the same slot and every script, MULTI,
 * MGET and LMOVE stays valid whatever keys it combines. The bot's data is small and its load low,
 * so one slot (one shard) is plenty; per-entity tags would spread load but force every multi-key
 * call to agree on a tag, and one mismatch is a CROSSSLOT error in production only.
 * A prefix that already has a hash tag is kept as it is. Single-node Redis keeps the plain prefix,
 * so data written before cluster support keeps working there.
 */
export function clusterKeyPrefix(prefix: string): string {
  const open = prefix.indexOf('{');
  if (open !== -1 && prefix.indexOf('}', open + 1) > open + 1) return prefix;
  const name = prefix.replace(/:$/, '');
  return `{${name === '' ? 'mlops' : name}}:`;
}
/** Events are remembered for dedup for 7 days: far past any sender's retry window. */
export const EVENT_TTL_MS = 7 * 24 * 60 * 60 * 1000;
