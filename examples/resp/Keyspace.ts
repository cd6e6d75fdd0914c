import { LargeMap, type LargeMapCursor } from './LargeMap.js';

/** The expiry time of a key that never expires. */
export const NO_EXPIRY = -1;

/**
 * A stored value: a latin1 string (one character per byte) for short values, which costs a V8 string and no
 * Buffer object, or a Buffer of its own for long ones (kept off the JavaScript heap). Both hold any bytes.
 */
export type Value = string | Buffer;

/** SCAN cursors one keyspace keeps at once; past this the oldest is forgotten (it then starts over). */
const MAX_SCANS = 1024;

/** A value with a time to live: stored in the value map and in the index of keys with a TTL, as the same object. */
class Volatile {
  constructor(
    public value: Value,
    public expiresAt: number,
  ) {}
}

/** A connection that WATCHes keys: told when one of them changes (its transaction then fails). */
export interface KeyWatcher {
  /** A watched key was written, deleted or expired. */
  keyTouched(): void;
}

/** Options of a {@link Keyspace}. */
export interface KeyspaceOptions {
  /** The clock, in milliseconds; default `Date.now`. Tests pass a fake one. */
  now?: () => number;
  /** Entries a key map holds before it spreads over many (see `LargeMap`); tests pass less. */
  spreadAt?: number;
}

/**
 * One database of the RESP server: string keys (latin1, so any bytes) to {@link Value}s with an optional
 * expiry. Like Redis, expiry is lazy (a key past its time is removed when it is next touched, and is never
 * returned) plus active: {@link Keyspace.activeExpire} reclaims keys nobody touches, walking only the keys that
 * have a TTL. There is no limit on the number of keys but memory (see `LargeMap`).
 *
 * A key is expired once the clock is strictly past its expiry time, as in Redis. The clock is only read for keys
 * that have a TTL, so plain `GET`/`SET` never pay for it.
 *
 * ## Example
 * ```ts
 * import { Keyspace } from './Keyspace.js';
 *
 * let now = 1_000;
 * const keyspace = new Keyspace({ now: () => now });
 * keyspace.set('session', 'abc', now + 500);
 * console.log(keyspace.get('session')); // 'abc'
 * now += 501;
 * console.log(keyspace.get('session')); // undefined
 * ```
 */
export class Keyspace {
  /** The clock this keyspace expires keys by. */
  readonly now: () => number;
  /** Keys removed by expiry since the start (INFO's `expired_keys`). */
  expiredKeys = 0;
  private readonly values: LargeMap<Value | Volatile>;
  /** The keys that have a TTL: what active expiry walks, and INFO's `expires=`. */
  private readonly expires: LargeMap<Volatile>;
  /** Where active expiry stopped. */
  private expiryCursor: LargeMapCursor<Volatile> | undefined;
  /** Keys the last `activeExpire` looked at. */
  private visited = 0;
  private readonly scans = new Map<number, LargeMapCursor<Value | Volatile>>();
  private nextScan = 1;
  /** Who watches which key, only while someone does: the write paths check this one field. */
  private watchers: Map<string, Set<KeyWatcher>> | undefined;

  /**
   * @param options the clock
   */
  constructor(options: KeyspaceOptions = {}) {
    this.now = options.now ?? Date.now;
    this.values = new LargeMap(options.spreadAt);
    this.expires = new LargeMap(options.spreadAt);
  }

  /** Number of keys, counting expired keys not yet reclaimed (as Redis's DBSIZE does). */
  get size(): number {
    return this.values.size;
  }

  /** Number of keys that have a TTL. */
  get expiringSize(): number {
    return this.expires.size;
  }

  /** How many keys the last {@link Keyspace.activeExpire} looked at. */
  get lastVisited(): number {
    return this.visited;
  }

  /**
   * The value of `key`, removing the key first if it has expired.
   *
   * @param key the key
   * @returns the value, or `undefined` when the key does not exist
   */
  get(key: string): Value | undefined {
    const stored = this.values.get(key);
    if (typeof stored === 'string' || stored === undefined) return stored;
    if (!(stored instanceof Volatile)) return stored;
    if (this.now() <= stored.expiresAt) return stored.value;
    this.expired(key);
    return undefined;
  }

  /**
   * Whether `key` exists.
   *
   * @param key the key
   * @returns true when it exists and has not expired
   */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * When `key` expires.
   *
   * @param key the key
   * @returns the time, {@link NO_EXPIRY}, or `undefined` when the key does not exist
   */
  expiresAt(key: string): number | undefined {
    const stored = this.values.get(key);
    if (stored === undefined) return undefined;
    if (!(stored instanceof Volatile)) return NO_EXPIRY;
    if (this.now() <= stored.expiresAt) return stored.expiresAt;
    this.expired(key);
    return undefined;
  }

  /**
   * Stores `value` under `key`, replacing any value and TTL it had.
   *
   * @param key the key
   * @param value the value; the keyspace keeps this very buffer, so pass a copy of anything borrowed
   * @param expiresAt when the key expires, or {@link NO_EXPIRY}
   */
  set(key: string, value: Value, expiresAt: number = NO_EXPIRY): void {
    if (this.watchers !== undefined) this.touch(key);
    const values = this.values;
    if (expiresAt === NO_EXPIRY) {
      // No key has a TTL: nothing to keep in step, one lookup.
      if (this.expires.size !== 0 && values.get(key) instanceof Volatile) this.expires.delete(key);
      values.set(key, value);
      return;
    }
    const stored = values.get(key);
    if (stored instanceof Volatile) {
      stored.value = value;
      stored.expiresAt = expiresAt;
      return;
    }
    const volatile = new Volatile(value, expiresAt);
    values.set(key, volatile);
    this.expires.set(key, volatile);
  }

  /**
   * Replaces the value of an existing, live key and keeps its TTL (what `INCR` and `APPEND` do).
   *
   * @param key the key, which {@link Keyspace.get} has just found
   * @param value the new value
   */
  replace(key: string, value: Value): void {
    if (this.watchers !== undefined) this.touch(key);
    const stored = this.values.get(key);
    if (stored instanceof Volatile) stored.value = value;
    else this.values.set(key, value);
  }

  /**
   * Sets or removes the TTL of an existing key.
   *
   * @param key the key
   * @param expiresAt the new expiry time, or {@link NO_EXPIRY} to keep the key forever
   * @returns false when the key does not exist
   */
  expire(key: string, expiresAt: number): boolean {
    const value = this.get(key);
    if (value === undefined) return false;
    this.set(key, value, expiresAt);
    return true;
  }

  /**
   * Removes `key`.
   *
   * @param key the key
   * @returns true when a live key was removed (an already expired one does not count, as in Redis)
   */
  delete(key: string): boolean {
    const stored = this.values.get(key);
    if (stored === undefined) return false;
    if (this.watchers !== undefined) this.touch(key);
    if (stored instanceof Volatile) {
      this.expires.delete(key);
      this.values.delete(key);
      if (this.now() > stored.expiresAt) {
        this.expiredKeys++;
        return false;
      }
      return true;
    }
    this.values.delete(key);
    return true;
  }

  /** Removes every key. */
  clear(): void {
    if (this.watchers !== undefined) for (const set of this.watchers.values()) for (const watcher of set) watcher.keyTouched();
    this.values.clear();
    this.expires.clear();
    this.expiryCursor = undefined;
    this.scans.clear();
  }

  /**
   * One step of active expiry: looks at up to `budget` keys that have a TTL, resuming where the last step
   * stopped (and going round once more from the first when it reaches the end), and removes those that have
   * expired. {@link Keyspace.lastVisited} then says how many it looked at, so a caller can tell how stale the
   * keyspace is: Redis repeats while more than 10% of what it looked at had expired.
   *
   * @param budget how many keys with a TTL to look at
   * @returns how many keys were removed
   */
  activeExpire(budget = 20): number {
    const expires = this.expires;
    this.visited = 0;
    if (expires.size === 0) return 0;
    const now = this.now();
    let cursor = (this.expiryCursor ??= expires.cursor());
    let removed = 0;
    let visited = 0;
    let restarted = false;
    while (visited < budget) {
      if (!cursor.next()) {
        if (restarted || expires.size === 0) break;
        cursor = expires.cursor();
        restarted = true;
        continue;
      }
      visited++;
      if (now > cursor.value!.expiresAt) {
        const key = cursor.key;
        if (this.watchers !== undefined) this.touch(key);
        this.values.delete(key);
        expires.delete(key);
        removed++;
      }
    }
    this.expiryCursor = cursor;
    this.visited = visited;
    this.expiredKeys += removed;
    return removed;
  }

  /**
   * One step of SCAN: looks at up to `count` keys from where `cursor` stopped and passes each live one to
   * `visit`. Cursor 0 starts; the returned cursor continues, and 0 means the walk is over. Every key present for
   * the whole walk is visited at least once; keys added or removed meanwhile may or may not be. A cursor this
   * keyspace does not know (forgotten after 1,024 newer ones, or never given) starts over.
   *
   * @param cursor 0, or a cursor an earlier step returned
   * @param count keys to look at
   * @param visit called with each live key found
   * @returns the cursor to continue with, or 0 at the end
   */
  scan(cursor: number, count: number, visit: (key: string) => void): number {
    let walk = cursor === 0 ? undefined : this.scans.get(cursor);
    if (walk === undefined) walk = this.values.cursor();
    else this.scans.delete(cursor);
    const now = this.now();
    for (let seen = 0; seen < count; seen++) {
      if (!walk.next()) return 0;
      const stored = walk.value;
      if (!(stored instanceof Volatile) || now <= stored.expiresAt) visit(walk.key);
    }
    if (this.scans.size >= MAX_SCANS) this.scans.delete(this.scans.keys().next().value!);
    const next = this.nextScan++;
    this.scans.set(next, walk);
    return next;
  }

  /**
   * Every live key, in a stable order (for KEYS).
   *
   * @param visit called with each key
   */
  keys(visit: (key: string) => void): void {
    const walk = this.values.cursor();
    const now = this.now();
    while (walk.next()) {
      const stored = walk.value;
      if (!(stored instanceof Volatile) || now <= stored.expiresAt) visit(walk.key);
    }
  }

  /**
   * Tells `watcher` when `key` changes, until {@link Keyspace.unwatch}.
   *
   * @param key the key
   * @param watcher the connection
   */
  watch(key: string, watcher: KeyWatcher): void {
    const watchers = (this.watchers ??= new Map());
    let set = watchers.get(key);
    if (set === undefined) watchers.set(key, (set = new Set()));
    set.add(watcher);
  }

  /**
   * Stops telling `watcher` about `key`.
   *
   * @param key the key
   * @param watcher the connection
   */
  unwatch(key: string, watcher: KeyWatcher): void {
    const set = this.watchers?.get(key);
    if (set === undefined) return;
    set.delete(watcher);
    if (set.size > 0) return;
    this.watchers!.delete(key);
    if (this.watchers!.size === 0) this.watchers = undefined;
  }

  private touch(key: string): void {
    const set = this.watchers!.get(key);
    if (set !== undefined) for (const watcher of set) watcher.keyTouched();
  }

  private expired(key: string): void {
    if (this.watchers !== undefined) this.touch(key);
    this.values.delete(key);
    this.expires.delete(key);
    this.expiredKeys++;
  }
}
