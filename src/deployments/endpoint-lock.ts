import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';

/** Who holds an endpoint: shown to whoever is refused ("1.4.0 deploying since 10:02, approved by @a"). */
export interface EndpointLockHolder {
  candidateId: string;
  model: string;
  version: string;
  endpoint: string;
  since: string;
  approvedBy: string[];
}

export type AcquireResult = { acquired: true } | { acquired: false; holder: EndpointLockHolder };

/**
 * One deployment per endpoint at a time, across replicas: a key set with SET NX PX whose value is
 * the holder. It ends when the deployment's outcome arrives (release), or after `ttlMs` so that a
 * lost callback cannot block the endpoint for ever.
 *
 * A holder is only valid while its candidate is `approved` or `deploying` (the candidate enters
 * `approved` before it takes the lock). `isLive` checks that; a holder that is not live (a crash
 * between taking the lock and failing the trigger, a release that did not reach the store) is
 * replaced with compare-and-set on its exact value, so two takers cannot both win.
 */
export function createEndpointLock(deps: { store: Store; ttlMs: number }) {
  const key = (endpoint: string) => storeKeys.endpointLock(endpoint);

  async function read(endpoint: string): Promise<{ raw: string; holder: EndpointLockHolder } | undefined> {
    const raw = await deps.store.get(key(endpoint));
    if (raw === null) return undefined;
    try {
      return { raw, holder: JSON.parse(raw) as EndpointLockHolder };
    } catch {
      // Unreadable: treat as a holder nobody owns, so it can be replaced.
      return { raw, holder: { candidateId: '', model: '', version: '?', endpoint, since: '1970-01-01T00:00:00.000Z', approvedBy: [] } };
    }
  }

  return {
    read: async (endpoint: string) => (await read(endpoint))?.holder,

    /** The live holder of another candidate, if the endpoint is busy for `candidateId`. */
    async busyFor(endpoint: string, candidateId: string, isLive: (holder: EndpointLockHolder) => Promise<boolean>): Promise<EndpointLockHolder | undefined> {
      const current = await read(endpoint);
      if (current === undefined || current.holder.candidateId === candidateId) return undefined;
      return (await isLive(current.holder)) ? current.holder : undefined;
    },

    async acquire(holder: EndpointLockHolder, isLive: (holder: EndpointLockHolder) => Promise<boolean>): Promise<AcquireResult> {
      const value = JSON.stringify(holder);
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await deps.store.setIfAbsent(key(holder.endpoint), value, deps.ttlMs)) return { acquired: true };
        const current = await read(holder.endpoint);
        if (current === undefined) continue; // released meanwhile: try again
        // Our own candidate's old holder (only one flow can be in `approved`), or a stale one.
        const replaceable = current.holder.candidateId === holder.candidateId || !(await isLive(current.holder));
        if (!replaceable) return { acquired: false, holder: current.holder };
        if (await deps.store.compareAndSet(key(holder.endpoint), current.raw, value, deps.ttlMs)) return { acquired: true };
      }
      const current = await read(holder.endpoint);
      return current !== undefined ? { acquired: false, holder: current.holder } : { acquired: false, holder };
    },

    /** Releases the lock only if `candidateId` holds it (never another deployment's lock). */
    async release(endpoint: string, candidateId: string): Promise<boolean> {
      const current = await read(endpoint);
      if (current?.holder.candidateId !== candidateId) return false;
      return deps.store.deleteIfEquals(key(endpoint), current.raw);
    },
  };
}
export type EndpointLock = ReturnType<typeof createEndpointLock>;
