import type { Connection } from './Connection.js';

/**
 * A reactor's per-turn budget of bytes read and written, shared by its connections (see {@link Connection.setMeter}):
 * a connection that goes over it in a turn is reported, and yields (`Connection.shouldYield`) until the next.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 *
 * // Pause a connection that read more than 64 KiB in one turn until the next turn.
 * const held: (() => void)[] = [];
 * const meter = {
 *   turn: 0,
 *   budget: 64 * 1024,
 *   dispatched: 0,
 *   turnStarted: () => undefined,
 *   exceeded: (connection: Connection) => held.push(connection.hold()),
 * };
 * setInterval(() => { meter.turn++; held.splice(0).forEach((release) => release()); }, 1);
 * const watch = (connection: Connection): void => connection.setMeter(meter);
 * ```
 *
 * @internal
 */
export interface ReadMeter {
  /** The current turn; a connection's byte count restarts when it changes. */
  readonly turn: number;
  /** The bytes one connection may read and write per turn before `exceeded` is called. */
  readonly budget: number;
  /** Reads dispatched, counted by the connections. */
  dispatched: number;
  /** Called by a connection's first read in a turn (the reactor schedules the turn's end). */
  turnStarted(): void;
  /** Called once per turn for a connection that went over the budget. */
  exceeded(connection: Connection): void;
}
