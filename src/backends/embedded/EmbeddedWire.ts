import type { SchedulerLike } from 'rxjs';

/**
 * What every embedded transport of one backend shares: the loop that delivers events and the shape of the
 * simulated network between the two ends.
 *
 * @internal
 */
export interface EmbeddedWire {
  /** Runs every delivery and timer. */
  readonly scheduler: SchedulerLike;
  /** Splits one write into the segments the reader will see; `undefined` keeps each write whole. */
  readonly fragment: ((chunk: Buffer) => Buffer[]) | undefined;
  /** Bytes a reader's queue holds before more count against the writer's `writableLength`. */
  readonly receiveWindow: number;
  /** The `writableLength` at which `write` starts returning `false`. */
  readonly highWaterMark: number;
  /** Called once by each transport when it closes, so the backend can count open transports. */
  released(): void;
}
