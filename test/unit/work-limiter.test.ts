import { createSingleFlight } from '../../src/core/create-single-flight';
import { createWorkLimiter } from '../../src/core/create-work-limiter';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('createWorkLimiter', () => {
  it('runs at most `concurrency` jobs at once, starts queued ones as slots free, in order', async () => {
    const limiter = createWorkLimiter({ concurrency: 2, maxQueued: 10 });
    const order: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const done: Promise<void>[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      done.push(
        new Promise<void>((resolve) => {
          expect(
            limiter.offer(async () => {
              inFlight++;
              peak = Math.max(peak, inFlight);
              order.push(name);
              await tick();
              inFlight--;
              resolve();
            }),
          ).toBe(true);
        }),
      );
    }
    expect(limiter.queued).toBe(3);
    await Promise.all(done);
    expect(peak).toBe(2);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    await tick();
    expect(limiter.running).toBe(0);
  });

  it('refuses work beyond the queue, and a failing job frees its slot', async () => {
    const limiter = createWorkLimiter({ concurrency: 1, maxQueued: 1 });
    let release!: () => void;
    expect(limiter.offer(() => new Promise<void>((r) => (release = r)))).toBe(true);
    expect(limiter.offer(async () => Promise.reject(new Error('boom')))).toBe(true);
    expect(limiter.offer(async () => undefined)).toBe(false);
    await tick();
    release();
    await tick(20);
    expect(limiter.running).toBe(0);
    expect(limiter.offer(async () => undefined)).toBe(true);
  });

  it('does not start a job in the same tick as the offer (acks go first)', async () => {
    const limiter = createWorkLimiter({ concurrency: 1, maxQueued: 0 });
    let started = false;
    limiter.offer(async () => {
      started = true;
    });
    await Promise.resolve();
    expect(started).toBe(false);
    await new Promise((r) => setImmediate(r));
    await Promise.resolve();
    expect(started).toBe(true);
  });

  it('refuses bad settings', () => {
    expect(() => createWorkLimiter({ concurrency: 0, maxQueued: 1 })).toThrow(RangeError);
    expect(() => createWorkLimiter({ concurrency: 1, maxQueued: -1 })).toThrow(RangeError);
  });
});

describe('createSingleFlight', () => {
  it('shares one call among concurrent callers with the same key, and forgets it once settled', async () => {
    const flight = createSingleFlight<number>();
    let calls = 0;
    const fn = async () => {
      const n = ++calls;
      await tick();
      return n;
    };
    const [a, b, c] = await Promise.all([flight.run('x', fn), flight.run('x', fn), flight.run('y', fn)]);
    expect([a, b]).toEqual([1, 1]);
    expect(c).toBe(2);
    expect(flight.inFlight).toBe(0);
    expect(await flight.run('x', fn)).toBe(3);
  });

  it('shares failures too, then tries again', async () => {
    const flight = createSingleFlight<number>();
    let calls = 0;
    const failing = async () => {
      calls++;
      await tick();
      throw new Error('no');
    };
    const results = await Promise.allSettled([flight.run('k', failing), flight.run('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    await expect(flight.run('k', async () => 7)).resolves.toBe(7);
  });
});
