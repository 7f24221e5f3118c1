/**
 * Repeated failures of one model + DAG (or one CloudWatch alarm) within a window update one
 * alert instead of posting new ones. Stored as JSON under storeKeys.alertGroup, one entry per
 * channel, because the alert channel and the model channel each have their own alert message.
 */
export interface AlertGroupEntry {
  /** The alert message (thread root), once posted. */
  ts?: string;
  /** The recorded item whose alert is the root; the root is re-rendered from it with the count. */
  firstId: string;
  /** When the window opened (receipt time of the first failure). */
  firstAt: string;
  /** Failures in this group (the root's own included). */
  count: number;
  /** Recent ids already counted, so a retried delivery does not count twice (bounded). */
  ids: string[];
}
export interface AlertGroup {
  channels: Record<string, AlertGroupEntry>;
}

const MAX_IDS = 100;

export type AlertPlacement = { kind: 'new' } | { kind: 'reply'; threadTs: string; entry: AlertGroupEntry };

/**
 * A failure received at `at` becomes a reply to the channel's open alert when that alert was
 * opened less than `windowMs` before `at` (the window opens with the first failure and
 * does not slide, so a failure that never stops still gets a fresh alert every window).
 */
export function decideAlertPlacement(group: AlertGroup | undefined, channel: string, at: Date, windowMs: number): AlertPlacement {
  const entry = group?.channels[channel];
  if (entry?.ts === undefined || windowMs <= 0) return { kind: 'new' };
  const age = at.getTime() - Date.parse(entry.firstAt);
  return age >= 0 && age < windowMs ? { kind: 'reply', threadTs: entry.ts, entry } : { kind: 'new' };
}

/** The group after a new alert was posted in `channel` (its root). */
export function openAlertGroup(group: AlertGroup | undefined, channel: string, id: string, ts: string, at: Date): AlertGroup {
  return { channels: { ...(group?.channels ?? {}), [channel]: { ts, firstId: id, firstAt: at.toISOString(), count: 1, ids: [id] } } };
}

/** The group after failure `id` was added to the channel's alert (idempotent for the same id). */
export function countInAlertGroup(group: AlertGroup, channel: string, id: string): AlertGroup {
  const entry = group.channels[channel];
  if (entry === undefined || entry.ids.includes(id)) return group;
  const ids = [...entry.ids, id].slice(-MAX_IDS);
  return { channels: { ...group.channels, [channel]: { ...entry, count: entry.count + 1, ids } } };
}
