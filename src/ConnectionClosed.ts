import type { RxloopError } from './errors.js';

/**
 * Why and how a {@link Connection} closed, as {@link Connection.closed$} reports it.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 *
 * function logClose(connection: Connection): void {
 *   connection.closed$.subscribe(({ error }) => console.log(connection.id, error ? error.code : 'closed'));
 * }
 * ```
 */
export interface ConnectionClosed {
  /** Set when the connection did not close in order (a reset, a socket error). */
  readonly error: RxloopError | undefined;
}
