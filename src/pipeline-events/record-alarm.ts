import type { AlarmAlert } from '../core/alarm-alert';
import type { Store } from '../core/store';
import { EVENT_TTL_MS, storeKeys } from '../store/store-keys';
import type { RecordedAlarm } from './delivery-record';
import type { RecordOutcome } from './record-event';

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
