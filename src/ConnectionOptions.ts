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
  /**
   * How much output a connection may queue for a peer that does not read it, like Redis's
   * `client-output-buffer-limit`: past `hard` bytes, or past `soft` bytes for `softSeconds` in a row, the
   * connection is reset and fails with `ERR_OUTPUT_LIMIT`, so a slow or stalled peer cannot fill the server's
   * memory. Default on: `{ hard: 64 MiB, soft: 16 MiB, softSeconds: 30 }`; `false` turns it off. The queue is
   * what `writableLength` reports (bytes the operating system has not taken yet). Producers that wait for the
   * socket (`sendTo`, `pull`, `pacedBy`) stay far below it; it is the bound for code that does not.
   */
  readonly outputLimit?: OutputLimit | false;
}

/**
 * The output limit of a connection (see {@link ConnectionOptions.outputLimit}). Absent fields take their
 * defaults.
 *
 * ## Example
 * ```ts
 * import { listen, type OutputLimit } from 'rxloop';
 *
 * // A pub/sub server: subscribers that fall 8 MiB behind for a minute, or 32 MiB at once, are cut off.
 * const limit: OutputLimit = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
 * listen({ port: 0, outputLimit: limit }).subscribe();
 * ```
 */
export interface OutputLimit {
  /** Bytes queued for the peer past which the connection is reset at once (default 64 MiB). */
  readonly hard?: number;
  /** Bytes queued for the peer that may not be exceeded for longer than `softSeconds` (default 16 MiB). */
  readonly soft?: number;
  /** Seconds the queue may stay above `soft` (default 30). */
  readonly softSeconds?: number;
}
