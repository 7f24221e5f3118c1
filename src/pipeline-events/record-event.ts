import type { AlarmAlert } from '../core/alarm-alert';
import type { PipelineEvent } from '../core/pipeline-event';
import type { Store } from '../core/store';
import { EVENT_TTL_MS, storeKeys } from '../store/store-keys';
import { isRecordedMessage, type RecordedMessage, type RecordOutcome } from '../outbox';

export interface RecordedEvent {
  event: PipelineEvent;
  source: 'hook' | 'sns' | 'internal';
  receivedAt: string;
}

/** An alarm recorded for delivery (storeKeys.event(id), queued like a pipeline event). */
export interface RecordedAlarm {
  kind: 'alarm';
  alarm: AlarmAlert;
  source: 'sns';
  receivedAt: string;
}

/** Every kind of item the inbox holds: pipeline events, alarms, and the outbox's background messages. */
export type RecordedItem = RecordedEvent | RecordedAlarm | RecordedMessage;

export function isRecordedAlarm(item: RecordedItem): item is RecordedAlarm {
  return (item as { kind?: string }).kind === 'alarm';
}

/** A pipeline event (neither an alarm nor a background message). */
export function isRecordedEvent(item: RecordedItem): item is RecordedEvent {
  return !isRecordedAlarm(item) && !isRecordedMessage(item);
}

export type { RecordOutcome };

/**
 * Records a pipeline event durably and exactly once: the dedup marker, the body and the outbox
 * entry are written in one atomic store call, so a crash can never leave an event marked as seen
 * but not queued. Rejects (StoreUnavailable) when the store does not answer: the caller answers
 * 503 so the sender retries.
 */
export function createEventRecorder(deps: { store: Store; onRecorded?: (recorded: RecordedEvent) => void }) {
  return async function recordEvent(event: PipelineEvent, source: RecordedEvent['source'], receivedAt: Date): Promise<RecordOutcome> {
    const recorded: RecordedEvent = { event, source, receivedAt: receivedAt.toISOString() };
    const isNew = await deps.store.recordUnique(storeKeys.event(event.id), JSON.stringify(recorded), EVENT_TTL_MS, storeKeys.inbox(), event.id);
    if (isNew) deps.onRecorded?.(recorded);
    return isNew ? 'recorded' : 'duplicate';
  };
}
export type RecordEvent = ReturnType<typeof createEventRecorder>;

/**
 * Records a CloudWatch alarm for delivery like a pipeline event: dedup marker, body and outbox
 * entry in one atomic recordUnique, under the alarm's derived id.
 */
export function createAlarmRecorder(deps: { store: Store; onRecorded?: () => void }) {
  return async function recordAlarm(alarm: AlarmAlert, receivedAt: Date): Promise<RecordOutcome> {
    const recorded: RecordedAlarm = { kind: 'alarm', alarm, source: 'sns', receivedAt: receivedAt.toISOString() };
    const isNew = await deps.store.recordUnique(storeKeys.event(alarm.id), JSON.stringify(recorded), EVENT_TTL_MS, storeKeys.inbox(), alarm.id);
    if (isNew) deps.onRecorded?.();
    return isNew ? 'recorded' : 'duplicate';
  };
}
export type RecordAlarm = ReturnType<typeof createAlarmRecorder>;
