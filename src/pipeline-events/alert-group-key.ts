import type { RecordedItem } from './delivery-record';
import { isRecordedAlarm, isRecordedMessage } from './delivery-record';
import { storeKeys } from '../store/store-keys';

/** Failures group by model + DAG; alarms by model + alarm name. */
export function alertGroupKeyOf(item: RecordedItem): string {
  if (isRecordedAlarm(item)) return storeKeys.alertGroup(item.alarm.model ?? '-', `alarm:${item.alarm.alarmName}`);
  // Background messages never group (their placement is fixed when recorded); a key of their own.
  if (isRecordedMessage(item)) return storeKeys.alertGroup(item.model ?? '-', `message:${item.type}`);
  return storeKeys.alertGroup(item.event.model, item.event.run?.dagId ?? '-');
}
