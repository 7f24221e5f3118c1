import type { PipelineEvent } from '../core/pipeline-event';
import type { Store } from '../core/store';
import { EVENT_TTL_MS, storeKeys } from '../store/store-keys';

export interface RecordedEvent {
  event: PipelineEvent;
  source: 'hook' | 'sns' | 'internal';
  receivedAt: string;
}

export type RecordOutcome = 'recorded' | 'duplicate';

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
