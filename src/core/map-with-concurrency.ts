import pLimit from 'p-limit';

/**
 * Like Promise.all over `items.map(fn)`, with at most `limit` calls in flight (p-limit), results in
 * input order. Used to fan out AWS calls per endpoint without bursting into throttling.
 * `fn` should not reject (wrap failures into values); a rejection rejects the whole call.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const limited = pLimit(limit);
  return Promise.all(items.map((item, index) => limited(() => fn(item, index))));
}
