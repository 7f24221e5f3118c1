/**
 * Bounds background work: at most `concurrency` jobs run at once, at most `maxQueued` wait.
 * Slash commands ack first and work afterwards; without a bound, a burst of commands starts
 * hundreds of AWS calls whose callbacks crowd the event loop and delay the next acks past
 * Slack's 3 seconds. Waiting jobs cost only a closure, and they are answered through
 * response_url, which stays valid for 30 minutes.
 *
 * Not p-limit (which mapWithConcurrency uses): p-limit has no bounded queue, and it counts a job
 * as pending until a microtask after the call, so a synchronous burst could not be refused at the
 * bound; a limiter that refuses needs exact counts at offer time, which these few lines keep.
 */
export interface WorkLimiter {
  /** Starts `job` now or when a slot frees; false (and `job` never runs) when the queue is full. */
  offer(job: () => Promise<void>): boolean;
  readonly running: number;
  readonly queued: number;
}

export function createWorkLimiter(opts: { concurrency: number; maxQueued: number }): WorkLimiter {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
  if (!Number.isInteger(opts.maxQueued) || opts.maxQueued < 0) throw new RangeError(`maxQueued must be a non-negative integer, got ${opts.maxQueued}`);
  const waiting: (() => Promise<void>)[] = [];
  let running = 0;
  const start = (job: () => Promise<void>): void => {
    running++;
    // setImmediate, not a microtask: the job starts after the event loop has polled for I/O,
    // so requests already waiting (the next acks) are read before this job's first CPU burst.
    // A job's own errors are its business: the limiter only keeps counting right.
    void new Promise<void>((resolve) => setImmediate(resolve))
      .then(job)
      .catch(() => undefined)
      .finally(() => {
        running--;
        const next = waiting.shift();
        if (next !== undefined) start(next);
      });
  };
  return {
    offer(job) {
      if (running < opts.concurrency) {
        start(job);
        return true;
      }
      if (waiting.length >= opts.maxQueued) return false;
      waiting.push(job);
      return true;
    },
    get running() {
      return running;
    },
    get queued() {
      return waiting.length;
    },
  };
}
