/**
 * Coalesces concurrent calls with the same key: while a call for `key` is in flight, later
 * callers share its promise instead of starting their own. Nothing is kept once it settles
 * (no cache, no staleness beyond one round trip), and a failure is shared the same way.
 */
export interface SingleFlight<V> {
  run(key: string, fn: () => Promise<V>): Promise<V>;
  readonly inFlight: number;
}

export function createSingleFlight<V>(): SingleFlight<V> {
  const flights = new Map<string, Promise<V>>();
  return {
    run(key, fn) {
      const existing = flights.get(key);
      if (existing !== undefined) return existing;
      const flight = Promise.resolve()
        .then(fn)
        .finally(() => flights.delete(key));
      flights.set(key, flight);
      return flight;
    },
    get inFlight() {
      return flights.size;
    },
  };
}
