import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';
import type { RecordedItem } from './delivery-record';

/** The recorded pipeline event or alarm of an id; undefined when expired or unreadable. */
export async function loadRecordedItem(store: Store, id: string): Promise<RecordedItem | undefined> {
  const raw = await store.get(storeKeys.event(id));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as RecordedItem;
  } catch {
    return undefined;
  }
}
