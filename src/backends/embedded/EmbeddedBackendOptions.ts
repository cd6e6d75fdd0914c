import type { SchedulerLike } from 'rxjs';

/**
 * How an {@link EmbeddedBackend} simulates the network.
 *
 * ## Example
 * ```ts
 * import { embeddedBackend, type EmbeddedBackendOptions } from 'rxloop';
 * import { VirtualTimeScheduler } from 'rxjs';
 *
 * const options: EmbeddedBackendOptions = {
 *   scheduler: new VirtualTimeScheduler(),
 *   // Deliver every write one byte at a time, the worst case for a decoder.
 *   fragment: (chunk) => Array.from({ length: chunk.length }, (_, i) => chunk.subarray(i, i + 1)),
 *   receiveWindow: 1024,
 *   highWaterMark: 256,
 * };
 * const backend = embeddedBackend(options);
 * ```
 */
export interface EmbeddedBackendOptions {
  /**
   * Runs every delivery and timer (default rxjs `asapScheduler`). Pass a `TestScheduler` (inside `run`) or a
   * `VirtualTimeScheduler` (then `flush()`) for virtual, deterministic time. It must run work asynchronously:
   * `queueScheduler` would call sinks re-entrantly.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Splits each write into the segments the reader receives, to test reassembly (default: each write arrives
   * whole). The returned buffers must together hold exactly the chunk's bytes, in order.
   */
  readonly fragment?: (chunk: Buffer) => Buffer[];
  /** Bytes a reader's queue holds before more count against the writer's `writableLength` (default 65536). */
  readonly receiveWindow?: number;
  /** The `writableLength` at which `write` returns `false` (default 16384). */
  readonly highWaterMark?: number;
}
