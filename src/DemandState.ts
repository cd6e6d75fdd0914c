/**
 * A snapshot of a connection's flow control, as {@link Connection.demand$} reports it.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 *
 * function watch(connection: Connection): void {
 *   connection.demand$.subscribe((d) => {
 *     if (!d.reading) console.log(`paused: ${d.holds} holds, ${d.writableLength} bytes waiting to be sent`);
 *   });
 * }
 * ```
 */
export interface DemandState {
  /** Whether the connection is taking bytes from the operating system right now. */
  readonly reading: boolean;
  /** How many readers (subscriptions to `data$`, `readable$` or a leased reader) want data. */
  readonly readers: number;
  /** How many holds (from {@link Connection.hold}, `sendTo`, `offload`, or a write backlog) stop reading. */
  readonly holds: number;
  /** Whether writes are below the high-water mark (`write` would return `true`). */
  readonly writable: boolean;
  /** Bytes received and not yet handed to a reader. */
  readonly readableLength: number;
  /** Bytes written and not yet handed to the operating system. */
  readonly writableLength: number;
}
