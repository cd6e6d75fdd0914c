/** `expiresAt` of a key that never expires. */
export const NO_EXPIRY = -1;

/**
 * One stored key. `value` may be replaced in place (that keeps the key's TTL, as `INCR` must); change
 * `expiresAt` only through {@link Keyspace.expire} or {@link Keyspace.set}, which keep the TTL index in step.
 */
export interface KeyspaceEntry {
  /** The value; never mutated once stored, so replies may copy it at leisure. */
  value: Buffer;
  /** When the key expires, in the clock's milliseconds, or {@link NO_EXPIRY}. */
  readonly expiresAt: number;
}

/** Options of a {@link Keyspace}. */
export interface KeyspaceOptions {
  /** The clock, in milliseconds; default `Date.now`. Tests pass a fake one. */
  now?: () => number;
}

interface Entry {
  value: Buffer;
  expiresAt: number;
}

/**
 * The store behind the RESP server: string keys (latin1, so any bytes) to Buffer values with an optional expiry.
 * Like Redis, expiry is lazy (a key past its time is removed when it is next touched, and is never returned)
 * plus active: {@link Keyspace.activeExpireStep} reclaims keys nobody touches, a few at a time, from a timer.
 *
 * A key is expired once the clock is strictly past its `expiresAt`, as in Redis. The clock is only read for keys
 * that have a TTL, so plain `GET`/`SET` never pay for it.
 *
 * ## Example
 * ```ts
 * import { Keyspace } from './Keyspace.js';
 *
 * let now = 1_000;
 * const keyspace = new Keyspace({ now: () => now });
 * keyspace.set('session', Buffer.from('abc'), now + 500);
 * console.log(keyspace.get('session')?.toString()); // 'abc'
 * now += 501;
 * console.log(keyspace.get('session')); // undefined
 * // From a timer, to reclaim keys that are never read again:
 * setInterval(() => keyspace.activeExpireStep(20), 100).unref();
 * ```
 */
export class Keyspace {
  /** The clock this keyspace expires keys by. */
  readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  /** The keys that have a TTL: what active expiry walks, and INFO's `expires=`. */
  private readonly expiring = new Set<string>();
  /** Where the last active expiry step stopped; a live Set iterator survives deletions. */
  private cursor: IterableIterator<string> | undefined;

  /**
   * @param options the clock
   */
  constructor(options: KeyspaceOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Number of keys, counting expired keys not yet reclaimed (as Redis's DBSIZE does). */
  get size(): number {
    return this.entries.size;
  }

  /** Number of keys that have a TTL. */
  get expiringSize(): number {
    return this.expiring.size;
  }

  /**
   * The live entry of `key`, removing it first if it has expired.
   *
   * @param key the key
   * @returns the entry, or `undefined` when the key does not exist
   */
  entry(key: string): KeyspaceEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt === NO_EXPIRY || this.now() <= entry.expiresAt) return entry;
    this.entries.delete(key);
    this.expiring.delete(key);
    return undefined;
  }

  /**
   * The value of `key`, if it exists.
   *
   * @param key the key
   * @returns the value, or `undefined`
   */
  get(key: string): Buffer | undefined {
    return this.entry(key)?.value;
  }

  /**
   * Whether `key` exists.
   *
   * @param key the key
   * @returns true when it exists and has not expired
   */
  has(key: string): boolean {
    return this.entry(key) !== undefined;
  }

  /**
   * Stores `value` under `key`, replacing any value and TTL it had.
   *
   * @param key the key
   * @param value the value; the keyspace keeps this very buffer, so pass a copy of anything borrowed
   * @param expiresAt when the key expires, or {@link NO_EXPIRY}
   */
  set(key: string, value: Buffer, expiresAt: number = NO_EXPIRY): void {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { value, expiresAt });
      if (expiresAt !== NO_EXPIRY) this.expiring.add(key);
      return;
    }
    entry.value = value;
    if (entry.expiresAt !== expiresAt) this.retime(key, entry, expiresAt);
  }

  /**
   * Sets or removes the TTL of an existing key.
   *
   * @param key the key
   * @param expiresAt the new expiry time, or {@link NO_EXPIRY} to keep the key forever
   * @returns false when the key does not exist
   */
  expire(key: string, expiresAt: number): boolean {
    const entry = this.entry(key) as Entry | undefined;
    if (entry === undefined) return false;
    if (entry.expiresAt !== expiresAt) this.retime(key, entry, expiresAt);
    return true;
  }

  /**
   * Removes `key`.
   *
   * @param key the key
   * @returns true when a live key was removed (an already expired one does not count, as in Redis)
   */
  delete(key: string): boolean {
    const entry = this.entry(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    if (entry.expiresAt !== NO_EXPIRY) this.expiring.delete(key);
    return true;
  }

  /** Removes every key. */
  clear(): void {
    this.entries.clear();
    this.expiring.clear();
    this.cursor = undefined;
  }

  /**
   * One step of active expiry: looks at up to `budget` keys that have a TTL, resuming where the last step
   * stopped, and removes those that have expired. Call it from a timer; a step that removed a large share of
   * its budget suggests calling again soon (Redis repeats while more than a quarter of its sample expired).
   *
   * @param budget how many keys with a TTL to look at
   * @returns how many keys were removed
   */
  activeExpireStep(budget = 20): number {
    if (this.expiring.size === 0) return 0;
    const now = this.now();
    let cursor = this.cursor ?? this.expiring.values();
    let removed = 0;
    for (let seen = 0; seen < budget; seen++) {
      const next = cursor.next();
      if (next.done === true) {
        // Wrapped around: start the next pass from the first key with a TTL.
        cursor = this.expiring.values();
        if (this.expiring.size === 0) break;
        continue;
      }
      const key = next.value;
      if (now > this.entries.get(key)!.expiresAt) {
        this.entries.delete(key);
        this.expiring.delete(key);
        removed++;
      }
    }
    this.cursor = cursor;
    return removed;
  }

  private retime(key: string, entry: Entry, expiresAt: number): void {
    if (expiresAt === NO_EXPIRY) this.expiring.delete(key);
    else if (entry.expiresAt === NO_EXPIRY) this.expiring.add(key);
    entry.expiresAt = expiresAt;
  }
}
