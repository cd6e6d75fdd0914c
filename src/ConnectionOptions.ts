/**
 * Options for a {@link Connection}, given to `listen` and `connect`.
 *
 * ## Example
 * ```ts
 * import { listen, type ConnectionOptions } from 'rxloop';
 *
 * // A server that only pushes: reading a client may pause while our output to it is backed up.
 * const flow: ConnectionOptions = { pauseReadingOnWriteBacklog: true };
 * listen({ port: 0, ...flow }).subscribe((connection) => connection.write('welcome\n'));
 * ```
 */
export interface ConnectionOptions {
  /**
   * Stop reading whenever the write buffer is over its high-water mark, and resume on drain (default `false`).
   * `sendTo` already does this for the connections whose input feeds what it writes (an echo, a
   * request/response handler, a proxy), which is where it is right. Turning it on for every write would
   * deadlock two peers that both write more than the socket buffers hold before reading (a client uploading a
   * large request while the server streams its answer).
   */
  readonly pauseReadingOnWriteBacklog?: boolean;
}
