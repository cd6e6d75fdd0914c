import { Channels } from './Channels.js';
import { Keyspace } from './Keyspace.js';
import type { RespSession } from './RespSession.js';

/** Keys one database looks at per step of active expiry. */
const EXPIRY_STEP = 64;

/** Options of a {@link ServerState}. */
export interface ServerStateOptions {
  /** How many databases SELECT can choose from; default 16, as Redis. */
  databases?: number;
  /** The clock of every database, in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Entries a key map holds before it spreads over many (see `LargeMap`); tests pass less. */
  spreadAt?: number;
}

/**
 * What every connection of a RESP server shares: the databases (16, as in Redis, chosen per connection with
 * SELECT), and the number the next client gets (CLIENT ID). One per server: under `singleReactor` and
 * `pooledReactor` the process's (`processState`), under `multiReactor` the keyspace service's.
 *
 * {@link ServerState.activeExpireCycle} is Redis's adaptive active expiry: it walks the keys that have a TTL,
 * database by database, and goes on while more than 10% of what it looked at had expired, within a time
 * budget; the caller runs it again soon while it reports that keys are still going stale faster than that.
 *
 * ## Example
 * ```ts
 * import { ServerState } from './ServerState.js';
 *
 * const state = new ServerState();
 * state.databases[0]!.set('k', 'v', Date.now() + 100);
 * const behind = state.activeExpireCycle(2); // true would mean: keys go stale fast, run it again in a few ms
 * console.log(state.databases.length, behind); // 16 false
 * ```
 */
export class ServerState {
  /** The databases, by index. */
  readonly databases: readonly Keyspace[];
  /** The channel space of PUBLISH and SUBSCRIBE. */
  readonly channels = new Channels();
  /** Every open session, by client id (CLIENT LIST). */
  readonly clients = new Map<number, RespSession>();
  /**
   * A coarse clock (Date.now()), refreshed by {@link ServerState.tick} and by every active expiry cycle: what
   * sessions stamp their last command with, since a Date.now() per read costs as much as a small command.
   */
  clock = Date.now();
  private lastClientId = 0;
  private expiryStart = 0;

  /**
   * @param options the number of databases and their clock
   */
  constructor(options: ServerStateOptions = {}) {
    const databases: Keyspace[] = [];
    const keyspace = { now: options.now, spreadAt: options.spreadAt };
    for (let i = 0; i < (options.databases ?? 16); i++) databases.push(new Keyspace(keyspace));
    this.databases = databases;
  }

  /**
   * A server of one database, `keyspace` (for tests and small embeddings: SELECT then knows only 0).
   *
   * @param keyspace the database
   */
  static of(keyspace: Keyspace): ServerState {
    const state = new ServerState({ databases: 0 });
    (state as { databases: readonly Keyspace[] }).databases = [keyspace];
    return state;
  }

  /** Refreshes {@link ServerState.clock}. @returns the time now */
  tick(): number {
    return (this.clock = Date.now());
  }

  /** A new client's id: 1, 2, 3, ... (never reused). */
  nextClientId(): number {
    return ++this.lastClientId;
  }

  /**
   * Active expiry for up to `budgetMs` milliseconds: steps of 64 keys with a TTL in each database in turn, for as
   * long as some database had over 10% of its step expired (Redis's ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE).
   *
   * @param budgetMs the most time to spend
   * @returns true when the budget ran out with keys still going stale: call again soon
   */
  activeExpireCycle(budgetMs: number): boolean {
    const databases = this.databases;
    this.tick();
    const deadline = performance.now() + budgetMs;
    for (;;) {
      let stale = false;
      for (let n = 0; n < databases.length; n++) {
        const db = databases[(this.expiryStart + n) % databases.length]!;
        if (db.expiringSize === 0) continue;
        const removed = db.activeExpire(EXPIRY_STEP);
        if (removed * 10 > db.lastVisited) stale = true;
      }
      this.expiryStart = (this.expiryStart + 1) % databases.length;
      if (!stale) return false;
      if (performance.now() >= deadline) return true;
    }
  }
}
