import { waitAtMost } from '../../src/core/time-limit';
import { leasedJob, type LeaseTurn } from '../../src/jobs/leased-job';
import { createLogger } from '../../src/observability/create-logger';
import { MemoryStore } from '../../src/store/memory-store';
import { storeKeys } from '../../src/store/store-keys';

const logger = createLogger({ level: 'silent' });

function job(
  store: MemoryStore,
  holder: string,
  pass: (turn: LeaseTurn) => Promise<string>,
  extra: { leaseTtlMs?: number; releaseAtStop?: 'before-wait' | 'after-wait'; stopWaitMs?: number } = {},
) {
  return leasedJob<string>({
    name: 'job',
    store,
    logger,
    holder,
    leaseTtlMs: extra.leaseTtlMs ?? 60_000,
    intervalMs: 10,
    runAtStart: false,
    stopWaitMs: extra.stopWaitMs ?? 5000,
    releaseAtStop: extra.releaseAtStop ?? 'after-wait',
    pass,
    idle: () => 'idle',
  });
}

describe('leasedJob', () => {
  it('one leader at a time; stop hands the lease over; a stopped job runs no pass', async () => {
    const store = new MemoryStore();
    const a = job(store, 'a', () => Promise.resolve('a ran'));
    const b = job(store, 'b', () => Promise.resolve('b ran'));
    expect(await a.runOnce()).toBe('a ran');
    expect(await b.runOnce()).toBe('idle');
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop();
    expect(await store.get(storeKeys.lease('job'))).toBeNull();
    expect(await b.runOnce()).toBe('b ran');
    expect(await a.runOnce()).toBe('idle');
  });

  it('fails over when the leader dies without releasing (its lease lapses)', async () => {
    const store = new MemoryStore();
    const a = job(store, 'a', () => Promise.resolve('a ran'), { leaseTtlMs: 60 });
    const b = job(store, 'b', () => Promise.resolve('b ran'), { leaseTtlMs: 60 });
    expect(await a.runOnce()).toBe('a ran');
    expect(await b.runOnce()).toBe('idle');
    await new Promise((r) => setTimeout(r, 100)); // a is "dead": no renewal
    expect(await b.runOnce()).toBe('b ran');
    expect(await a.runOnce()).toBe('idle');
    expect(a.isLeader()).toBe(false);
  });

  it('passes never overlap; a call during a pass returns that pass', async () => {
    const store = new MemoryStore();
    let release: () => void = () => undefined;
    let calls = 0;
    const a = job(store, 'a', async () => {
      calls++;
      await new Promise<void>((r) => (release = r));
      return `pass ${calls}`;
    });
    const first = a.runOnce();
    const second = a.runOnce();
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(await first).toBe('pass 1');
    expect(await second).toBe('pass 1');
    expect(calls).toBe(1);
  });

  it('stop() is bounded by stopWaitMs even when a pass never ends, and the timer runs no pass after it', async () => {
    const store = new MemoryStore();
    let calls = 0;
    const a = job(
      store,
      'a',
      () => {
        calls++;
        return new Promise<string>(() => undefined); // never settles
      },
      { stopWaitMs: 50 },
    );
    a.start();
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    const stopped = a.stop().then(() => 'stopped');
    expect(await waitAtMost(stopped, 2000)).toBe('stopped');
    expect(await store.get(storeKeys.lease('job'))).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
  });

  it("before-wait hands over while the old leader's work is still in flight; after-wait only once it ended", async () => {
    for (const releaseAtStop of ['before-wait', 'after-wait'] as const) {
      const store = new MemoryStore();
      let finish: () => void = () => undefined;
      let started = false as boolean;
      const a = job(
        store,
        'a',
        async () => {
          started = true;
          await new Promise<void>((r) => (finish = r));
          return 'done';
        },
        { releaseAtStop },
      );
      void a.runOnce();
      while (!started) await new Promise((r) => setTimeout(r, 5));
      const stopping = a.stop();
      await new Promise((r) => setTimeout(r, 20));
      const holderDuringStop = await store.get(storeKeys.lease('job'));
      finish();
      await stopping;
      expect({ releaseAtStop, holderDuringStop }).toEqual({ releaseAtStop, holderDuringStop: releaseAtStop === 'before-wait' ? null : 'a' });
      expect(await store.get(storeKeys.lease('job'))).toBeNull();
    }
  });

  it('keep() reports a lease taken over by another replica, so the pass can end', async () => {
    const store = new MemoryStore();
    let kept: boolean | undefined;
    const a = job(
      store,
      'a',
      async (turn) => {
        await store.set(storeKeys.lease('job'), 'b', 60_000); // someone else holds it now
        await new Promise((r) => setTimeout(r, 30));
        kept = await turn.keep();
        return 'ran';
      },
      { leaseTtlMs: 60 },
    );
    expect(await a.runOnce()).toBe('ran');
    expect(kept).toBe(false);
    expect(a.isLeader()).toBe(false);
  });
});
