/**
 * The bot's two ways of bounding a wait, in one place (no inline Promise.race elsewhere). Both clear
 * their timer when the promise settles first and never keep the process alive on their own.
 */

/** Settles as `promise` does, or rejects with `timeoutError()` (default "no answer within N ms") after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError?: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError?.() ?? new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `promise` at most `ms`: resolves with its value, or with `undefined` when time ran out
 * (the promise keeps running). A rejection of `promise` still rejects.
 */
export async function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}
