import type { BufferSource, Transport } from '../../../src/backends/Backend.js';
import { TransportRecorder } from './TransportRecorder.js';

/**
 * A `BufferSource` over a fixed set of `count` buffers of `size` bytes, leased in order (the first buffer
 * first). Counts the `null`s it returned (no credit) and checks that every view handed back lies inside one of
 * its own buffers, which proves the backend read into the leases and not into memory of its own. With
 * {@link resumes} set, the release that ends a shortage calls `setReading(true)` on it, as a reader does.
 */
export class LeasePool implements BufferSource {
  readonly buffers: Buffer[];
  private readonly free: Buffer[];
  /** How many times `lease()` returned null. */
  nulls = 0;
  /** How many buffers were leased. */
  leases = 0;
  /** The transport to resume when a release ends a shortage. */
  resumes: Transport | undefined;
  private starved = false;

  constructor(count: number, size: number) {
    this.buffers = Array.from({ length: count }, () => Buffer.alloc(size));
    this.free = [...this.buffers].reverse();
  }

  /** Buffers not leased now. */
  get available(): number {
    return this.free.length;
  }

  lease(): Buffer | null {
    const buffer = this.free.pop();
    if (buffer === undefined) {
      this.nulls++;
      this.starved = true;
      return null;
    }
    this.leases++;
    return buffer;
  }

  /** The pool buffer `view` lies in, or undefined. */
  ownerOf(view: Buffer): Buffer | undefined {
    return this.buffers.find(
      (buffer) =>
        buffer.buffer === view.buffer &&
        view.byteOffset >= buffer.byteOffset &&
        view.byteOffset + view.length <= buffer.byteOffset + buffer.length,
    );
  }

  /** Gives back the buffer `view` lies in; throws for a view of no buffer or of one that is free. */
  release(view: Buffer): void {
    const owner = this.ownerOf(view);
    if (owner === undefined) throw new Error('released a view that is not inside any pool buffer');
    if (this.free.includes(owner)) throw new Error('released a pool buffer twice');
    this.free.push(owner);
    if (this.starved) {
      this.starved = false;
      this.resumes?.setReading(true);
    }
  }

  /** Like `release`, but a buffer that is already free is left as it is (after `reclaimAll`). */
  releaseQuietly(view: Buffer): void {
    const owner = this.ownerOf(view);
    if (owner !== undefined && !this.free.includes(owner)) this.free.push(owner);
  }

  /** Takes back every buffer, including any the transport abandoned (posted, never completed). */
  reclaimAll(): void {
    this.free.length = 0;
    this.free.push(...[...this.buffers].reverse());
  }
}

/**
 * Makes a recorder read in `'leased'` mode from `pool`, keeping each view until `later` runs (the next turn of
 * the loop, so credit runs out under load) and then releasing it and asking for more. Counts views that were not
 * inside a pool buffer, and views whose bytes changed while the reader still held them (the backend read into a
 * buffer it had handed over).
 *
 * @param later runs a callback on a later turn (default `setImmediate`; pass the virtual clock's for embedded)
 */
export function leaseReader(
  transport: Transport,
  pool: LeasePool,
  later: (callback: () => void) => void = setImmediate,
): { recorder: TransportRecorder; foreign: () => number; overwritten: () => number } {
  let foreign = 0;
  let overwritten = 0;
  const held: Array<{ view: Buffer; copy: Buffer }> = [];
  let scheduled = false;
  const recorder = new TransportRecorder(transport, { mode: 'leased', source: pool });
  recorder.onCompleted = (chunks) => {
    for (const view of chunks) {
      if (pool.ownerOf(view) === undefined) foreign++;
      else held.push({ view, copy: Buffer.from(view) });
    }
    if (scheduled) return;
    scheduled = true;
    later(() => {
      scheduled = false;
      for (const { view, copy } of held.splice(0)) {
        if (!view.equals(copy)) overwritten++;
        pool.release(view);
      }
      if (!recorder.isClosed) transport.setReading(true);
    });
  };
  return { recorder, foreign: () => foreign, overwritten: () => overwritten };
}
