import { MemoryStore } from '../../src/store/memory-store';
import { storeKeys } from '../../src/store/store-keys';
import { storeLease } from '../../src/jobs/leased-job';

describe('storeLease', () => {
  it('one holder at a time; renewal keeps it; release hands it over; a lapsed lease is taken', async () => {
    const store = new MemoryStore();
    const a = storeLease(store, storeKeys.lease('job'), 'a', 60);
    const b = storeLease(store, storeKeys.lease('job'), 'b', 60);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true);
    expect(a.sinceRenewalMs()).toBeLessThan(50);
    await b.release(); // not b's: changes nothing
    expect(await b.acquire()).toBe(false);
    await a.release();
    expect(await b.acquire()).toBe(true);
    await new Promise((r) => setTimeout(r, 100)); // b does not renew: the lease lapses
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
  });

  it('is fresh only while the last renewal is younger than the TTL less the margin', async () => {
    const lease = storeLease(new MemoryStore(), storeKeys.lease('job'), 'a', 60_000);
    expect(lease.fresh(0)).toBe(false); // never acquired
    expect(await lease.acquire()).toBe(true);
    expect(lease.fresh(2000)).toBe(true);
    expect(lease.fresh(60_000)).toBe(false);
    await lease.release();
    expect(lease.fresh(0)).toBe(false);
  });

  it('counts a renewal from when it was sent, not from a late answer (the TTL runs from the write)', async () => {
    // A store that answers each write 30 ms after receiving it, like Redis over a slow link.
    let calledAt = Number.NaN;
    class SlowStore extends MemoryStore {
      override async compareAndSet(...args: Parameters<MemoryStore['compareAndSet']>): Promise<boolean> {
        calledAt = performance.now();
        const written = await super.compareAndSet(...args);
        await new Promise((r) => setTimeout(r, 30));
        return written;
      }
      override async setIfAbsent(...args: Parameters<MemoryStore['setIfAbsent']>): Promise<boolean> {
        calledAt = performance.now();
        const written = await super.setIfAbsent(...args);
        await new Promise((r) => setTimeout(r, 30));
        return written;
      }
    }
    const lease = storeLease(new SlowStore(), storeKeys.lease('job'), 'a', 60_000);
    // Read before the lease's own clock, so the comparison holds exactly.
    const sinceCall = () => performance.now() - calledAt;
    expect(await lease.acquire()).toBe(true); // taken (setIfAbsent)
    let elapsed = sinceCall();
    expect(lease.sinceRenewalMs()).toBeGreaterThanOrEqual(elapsed);
    expect(await lease.acquire()).toBe(true); // renewed (compareAndSet)
    elapsed = sinceCall();
    expect(lease.sinceRenewalMs()).toBeGreaterThanOrEqual(elapsed);
  });
});
