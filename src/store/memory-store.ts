import { ErrorCode, MlopsError } from '../core/errors';
import type { Store } from '../core/store';

/** Redis' own wording, so callers and tests see the same errors from both adapters. */
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
const OVERFLOW = 'ERR increment or decrement would overflow';

type Entry =
  | { type: 'string'; value: string; expiresAt?: number }
  | { type: 'list'; items: string[]; expiresAt?: number }
  | { type: 'set'; members: Set<string>; expiresAt?: number };

/** Expired keys that are never read again would otherwise stay forever (dedup markers). */
const MIN_WRITES_BETWEEN_SWEEPS = 1000;

/**
 * In-process Store for a single replica and for tests. Mirrors the Redis adapter method by
 * method, including Redis' edge cases (WRONGTYPE errors, empty lists/sets vanishing, LRANGE index
 * rules, SET clearing a TTL), so code tested against it behaves the same on Redis.
 * Every method body is synchronous, hence atomic under Node's single thread.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private writesSinceSweep = 0;
  private closed = false;

  /** @param now clock in ms; tests inject one to move time without sleeping. */
  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen('get');
    return this.readString(key)?.value ?? null;
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    this.assertOpen('getMany');
    // MGET answers nil for keys of another type instead of failing.
    return keys.map((key) => {
      const entry = this.lookup(key);
      return entry?.type === 'string' ? entry.value : null;
    });
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.assertOpen('set');
    this.writeString(key, value, expiryOf(ttlMs, this.now()));
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    this.assertOpen('setIfAbsent');
    const expiresAt = expiryOf(ttlMs, this.now());
    // SET NX checks existence only, whatever the type.
    if (this.lookup(key)) return false;
    this.writeString(key, value, expiresAt);
    return true;
  }

  async compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean> {
    this.assertOpen('compareAndSet');
    const expiresAt = expiryOf(ttlMs, this.now());
    const current = this.readString(key)?.value ?? null;
    if (current !== expected) return false;
    this.writeString(key, next, expiresAt);
    return true;
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    this.assertOpen('deleteIfEquals');
    if (this.readString(key)?.value !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen('delete');
    this.entries.delete(key);
  }

  async increment(key: string, ttlMs?: number): Promise<number> {
    this.assertOpen('increment');
    const newExpiry = expiryOf(ttlMs, this.now());
    const entry = this.readString(key);
    if (entry && !/^(0|-?[1-9][0-9]*)$/.test(entry.value)) throw new Error(NOT_AN_INTEGER);
    const current = entry ? Number(entry.value) : 0;
    if (!Number.isSafeInteger(current)) throw new Error(NOT_AN_INTEGER);
    const next = current + 1;
    if (!Number.isSafeInteger(next)) throw new Error(OVERFLOW);
    // Like INCR: an existing TTL is kept; ttlMs only applies when the key has none yet.
    this.writeString(key, String(next), entry?.expiresAt ?? newExpiry);
    return next;
  }

  async pushBounded(key: string, value: string, maxLength: number): Promise<void> {
    this.assertOpen('pushBounded');
    assertMaxLength(maxLength);
    const list = this.writableList(key);
    list.items.push(value);
    if (list.items.length > maxLength) list.items.splice(0, list.items.length - maxLength);
  }

  async push(key: string, value: string): Promise<void> {
    this.assertOpen('push');
    this.writableList(key).items.push(value);
  }

  async listRange(key: string, start: number, stop: number): Promise<string[]> {
    this.assertOpen('listRange');
    assertIndex(start, 'start');
    assertIndex(stop, 'stop');
    const items = this.readList(key)?.items ?? [];
    // LRANGE: negative indexes count from the tail, out-of-range ends are clamped.
    const length = items.length;
    let from = start < 0 ? length + start : start;
    let to = stop < 0 ? length + stop : stop;
    if (from < 0) from = 0;
    if (from > to || from >= length) return [];
    if (to >= length) to = length - 1;
    return items.slice(from, to + 1);
  }

  async listLength(key: string): Promise<number> {
    this.assertOpen('listLength');
    return this.readList(key)?.items.length ?? 0;
  }

  async listRemove(key: string, value: string): Promise<number> {
    this.assertOpen('listRemove');
    const list = this.readList(key);
    if (!list) return 0;
    const kept = list.items.filter((item) => item !== value);
    const removed = list.items.length - kept.length;
    list.items = kept;
    this.dropIfEmpty(key);
    return removed;
  }

  async moveHead(from: string, to: string): Promise<string | null> {
    this.assertOpen('moveHead');
    const source = this.readList(from);
    // LMOVE answers nil for a missing source before it looks at the destination.
    if (!source || source.items.length === 0) return null;
    const destination = this.lookup(to);
    if (destination && destination.type !== 'list') throw new Error(WRONGTYPE);
    const head = source.items.shift() as string; // non-empty: checked above
    this.dropIfEmpty(from);
    this.writableList(to).items.push(head);
    return head;
  }

  async setAdd(key: string, member: string): Promise<void> {
    this.assertOpen('setAdd');
    const entry = this.lookup(key);
    if (entry && entry.type !== 'set') throw new Error(WRONGTYPE);
    if (entry) entry.members.add(member);
    else this.store(key, { type: 'set', members: new Set([member]) });
  }

  async setRemove(key: string, member: string): Promise<void> {
    this.assertOpen('setRemove');
    const entry = this.readSet(key);
    if (!entry) return;
    entry.members.delete(member);
    this.dropIfEmpty(key);
  }

  async setMembers(key: string): Promise<string[]> {
    this.assertOpen('setMembers');
    return [...(this.readSet(key)?.members ?? [])];
  }

  async recordUnique(uniqueKey: string, value: string, ttlMs: number, queueKey: string, queueItem: string): Promise<boolean> {
    this.assertOpen('recordUnique');
    const expiresAt = expiryOf(ttlMs, this.now());
    // Check the queue's type first so that nothing is written when the push would fail.
    const queue = this.lookup(queueKey);
    if (queue && queue.type !== 'list') throw new Error(WRONGTYPE);
    if (this.lookup(uniqueKey)) return false;
    this.writeString(uniqueKey, value, expiresAt);
    this.writableList(queueKey).items.push(queueItem);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Calls after close fail as they do on a closed Redis connection. */
  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new MlopsError(ErrorCode.StoreUnavailable, 'the store (memory) is closed', { operation });
    }
  }

  /** The live entry under `key`, dropping it first if its TTL has passed (lazy expiry). */
  private lookup(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && isExpired(entry, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private readString(key: string): Extract<Entry, { type: 'string' }> | undefined {
    const entry = this.lookup(key);
    if (entry && entry.type !== 'string') throw new Error(WRONGTYPE);
    return entry;
  }

  private readList(key: string): Extract<Entry, { type: 'list' }> | undefined {
    const entry = this.lookup(key);
    if (entry && entry.type !== 'list') throw new Error(WRONGTYPE);
    return entry;
  }

  private readSet(key: string): Extract<Entry, { type: 'set' }> | undefined {
    const entry = this.lookup(key);
    if (entry && entry.type !== 'set') throw new Error(WRONGTYPE);
    return entry;
  }

  private writableList(key: string): Extract<Entry, { type: 'list' }> {
    const existing = this.readList(key);
    if (existing) return existing;
    const created: Entry = { type: 'list', items: [] };
    this.store(key, created);
    return created;
  }

  private writeString(key: string, value: string, expiresAt: number | undefined): void {
    this.store(key, expiresAt === undefined ? { type: 'string', value } : { type: 'string', value, expiresAt });
  }

  private store(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.maybeSweep();
  }

  /** Redis deletes a list or set when its last element goes. */
  private dropIfEmpty(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.type === 'list' && entry.items.length === 0) this.entries.delete(key);
    if (entry?.type === 'set' && entry.members.size === 0) this.entries.delete(key);
  }

  /** Amortised O(1) per write: a full pass at most once per `size` writes. */
  private maybeSweep(): void {
    this.writesSinceSweep += 1;
    if (this.writesSinceSweep < Math.max(MIN_WRITES_BETWEEN_SWEEPS, this.entries.size)) return;
    this.writesSinceSweep = 0;
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (isExpired(entry, now)) this.entries.delete(key);
    }
  }
}

/** Redis keeps a key alive up to and including its expiry instant (`now > when` expires it). */
function isExpired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== undefined && now > entry.expiresAt;
}

/** Same TTL rules as the Redis adapter: positive and at most 2^53, fractions rounded up to whole ms. */
function expiryOf(ttlMs: number | undefined, now: number): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!(ttlMs > 0) || Math.ceil(ttlMs) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
  }
  return now + Math.ceil(ttlMs);
}

/** LTRIM with -0 would keep everything, so zero and below are refused. */
function assertMaxLength(maxLength: number): void {
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
}

function assertIndex(index: number, name: string): void {
  if (!Number.isSafeInteger(index)) throw new RangeError(`${name} must be an integer, got ${index}`);
}
