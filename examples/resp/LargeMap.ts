/** Entries one Map holds before the whole map is spread over SHARDS maps by a hash of the key. */
const SHARD_AT = 1 << 20;
/** Maps of a spread LargeMap (a power of two): each of them holds 1/256 of the keys. */
const SHARDS = 256;

/**
 * A `Map` from string keys with no size limit of its own and short pauses at any size. A plain `Map` refuses its
 * 2^24th entry (`Map maximum size exceeded`) and, as it grows, copies every entry into a table twice the size:
 * measured on this project's machines, a 1.5 s pause of the event loop at 8M entries. A LargeMap is one Map up
 * to 1M entries; past that it spreads its entries, once, over 256 maps picked by a hash of the key, so each map
 * stays 256 times smaller (and so does each pause), and the limit is memory's.
 *
 * Lookups below 1M entries cost one branch more than a Map's; above, a hash of up to 32 characters of the key.
 * Iteration ({@link LargeMap.cursor}) survives changes: an entry present from a cursor's start to its end is
 * returned at least once, as Redis's SCAN promises.
 *
 * ## Example
 * ```ts
 * import { LargeMap } from './LargeMap.js';
 *
 * const map = new LargeMap<number>();
 * for (let i = 0; i < 3; i++) map.set(`key:${i}`, i);
 * console.log(map.get('key:1'), map.size); // 1 3
 * const cursor = map.cursor();
 * for (let entry = cursor.next(); entry; entry = cursor.next()) console.log(cursor.key, cursor.value);
 * ```
 */
export class LargeMap<V> {
  /** While the map is one Map: that map; `undefined` once it is spread. */
  private single: Map<string, V> | undefined = new Map();
  /** @internal Once spread: the maps, indexed by `hash(key) & (SHARDS - 1)`. */
  shards: Map<string, V>[] | undefined;
  /** @internal Changes when the layout does (spread, clear), so that cursors start over rather than miss keys. */
  layout = 0;
  private count = 0;
  private readonly spreadAt: number;

  /**
   * @param spreadAt entries in one Map before it spreads (default 1M; tests pass less)
   */
  constructor(spreadAt = SHARD_AT) {
    this.spreadAt = spreadAt;
  }

  /** Number of entries. */
  get size(): number {
    return this.single !== undefined ? this.single.size : this.count;
  }

  /**
   * The value of `key`.
   *
   * @param key the key
   */
  get(key: string): V | undefined {
    const single = this.single;
    if (single !== undefined) return single.get(key);
    return this.shards![shardOf(key)]!.get(key);
  }

  /**
   * Whether `key` has a value.
   *
   * @param key the key
   */
  has(key: string): boolean {
    const single = this.single;
    if (single !== undefined) return single.has(key);
    return this.shards![shardOf(key)]!.has(key);
  }

  /**
   * Sets the value of `key`; an existing key keeps its place in iteration order.
   *
   * @param key the key
   * @param value the value
   */
  set(key: string, value: V): void {
    const single = this.single;
    if (single !== undefined) {
      if (single.size < this.spreadAt || single.has(key)) {
        single.set(key, value);
        return;
      }
      this.spread(single);
    }
    const shard = this.shards![shardOf(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
  }

  /**
   * Removes `key`.
   *
   * @param key the key
   * @returns whether it was there
   */
  delete(key: string): boolean {
    const single = this.single;
    if (single !== undefined) return single.delete(key);
    const removed = this.shards![shardOf(key)]!.delete(key);
    if (removed) this.count--;
    return removed;
  }

  /** Removes every entry and goes back to one Map. */
  clear(): void {
    // Cleared rather than dropped, so that live cursors over them end instead of keeping the entries alive.
    this.single?.clear();
    if (this.shards !== undefined) for (const shard of this.shards) shard.clear();
    this.single = new Map();
    this.shards = undefined;
    this.count = 0;
    this.layout++;
  }

  /**
   * A cursor over every entry, in a stable order, that tolerates changes made between its steps.
   *
   * @returns a new cursor at the start
   */
  cursor(): LargeMapCursor<V> {
    return new LargeMapCursor(this);
  }

  /** @internal The maps to iterate, in order. */
  maps(): readonly Map<string, V>[] {
    return this.single !== undefined ? [this.single] : this.shards!;
  }

  private spread(single: Map<string, V>): void {
    const shards: Map<string, V>[] = [];
    for (let i = 0; i < SHARDS; i++) shards.push(new Map());
    for (const [key, value] of single) shards[shardOf(key)]!.set(key, value);
    this.count = single.size;
    single.clear();
    this.single = undefined;
    this.shards = shards;
    this.layout++;
  }
}

/**
 * A position in a {@link LargeMap}: `next()` moves to the next entry and returns true, or false at the end;
 * `key` and `value` are then the entry's. Entries added after the cursor passed their place are not returned;
 * when the map's layout changes (it spreads, or is cleared), the cursor starts over, returning some entries
 * twice but missing none.
 *
 * ## Example
 * ```ts
 * import { LargeMap } from './LargeMap.js';
 *
 * const map = new LargeMap<string>();
 * map.set('a', '1');
 * const cursor = map.cursor();
 * while (cursor.next()) console.log(cursor.key, cursor.value); // 'a' '1'
 * ```
 */
export class LargeMapCursor<V> {
  /** The key of the entry `next()` moved to. */
  key = '';
  /** Its value. */
  value: V | undefined;
  private maps: readonly Map<string, V>[];
  private index = 0;
  private entries: Iterator<[string, V]>;
  private layout: number;

  /** @param map the map to walk */
  constructor(private readonly map: LargeMap<V>) {
    this.layout = map.layout;
    this.maps = map.maps();
    this.entries = this.maps[0]!.entries();
  }

  /**
   * Moves to the next entry.
   *
   * @returns false once every entry has been returned
   */
  next(): boolean {
    if (this.layout !== this.map.layout) {
      this.layout = this.map.layout;
      this.maps = this.map.maps();
      this.index = 0;
      this.entries = this.maps[0]!.entries();
    }
    for (;;) {
      const step = this.entries.next();
      if (step.done !== true) {
        this.key = step.value[0];
        this.value = step.value[1];
        return true;
      }
      if (++this.index >= this.maps.length) {
        this.index = this.maps.length;
        return false;
      }
      this.entries = this.maps[this.index]!.entries();
    }
  }
}

/** FNV-1a over up to 16 characters at each end of the key: enough to spread keys that differ anywhere typical. */
function shardOf(key: string): number {
  const length = key.length;
  let hash = 0x811c9dc5 ^ length;
  if (length <= 32) {
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 16; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    for (let i = length - 16; i < length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  }
  return (hash ^ (hash >>> 16)) & (SHARDS - 1);
}
