import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';

export interface PendingDeliveries {
  /** Recorded pipeline events not yet planned into a channel's outbox. */
  events: number;
  /** Planned messages waiting in the channels' outboxes. */
  messages: number;
  /** A few of the waiting ids, for the shutdown report. */
  sample: string[];
}

/** What the outbox still holds: with the in-memory store, this is what a stop would lose. */
export async function pendingDeliveries(store: Store): Promise<PendingDeliveries> {
  const [inbox, processing] = await Promise.all([store.listRange(storeKeys.inbox(), 0, -1), store.listRange(storeKeys.inboxProcessing(), 0, -1)]);
  let messages = 0;
  const sample = [...processing, ...inbox].slice(0, 10);
  for (const channel of await store.setMembers(storeKeys.outboxChannels())) {
    const queued = await store.listRange(storeKeys.channelOutbox(channel), 0, -1);
    messages += queued.length;
    for (const id of queued) if (sample.length < 10) sample.push(id);
  }
  return { events: inbox.length + processing.length, messages, sample };
}
