import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * A buffer the backend filled, on loan from a {@link LeasePool}. Read {@link Lease.buffer} (a view of exactly the
 * filled bytes) and call {@link Lease.release} when done; until then the pool cannot reuse the memory, and
 * while every buffer of the pool is out the connection stops reading (the outstanding leases are the read
 * credit).
 *
 * Using a lease after releasing it throws `ERR_LEASE_RELEASED`; with the pool's `poison` option, released
 * memory is also overwritten so a view kept by mistake shows garbage in tests instead of passing by luck.
 *
 * ## Example
 * ```ts
 * import { connect } from 'rxloop';
 * import { proactor } from 'rxloop/operators';
 *
 * connect({ port: 7007, host: '127.0.0.1' }).pipe(proactor({ bufferSize: 16384 })).subscribe((lease) => {
 *   console.log('read', lease.length, 'bytes');
 *   lease.release();
 * });
 * ```
 */
export class Lease {
  /** @internal the whole pooled buffer */
  readonly memory: Buffer;
  /** @internal `memory.buffer` and `memory.byteOffset`, kept so checking a completion reads no typed-array getter */
  readonly slab: ArrayBufferLike;
  /** @internal */
  readonly offset: number;
  /** @internal bytes filled so far */
  filled = 0;
  /** @internal */
  released = true;
  private view: Buffer | undefined;
  private readonly onRelease: (lease: Lease) => void;

  /** @internal */
  constructor(memory: Buffer, onRelease: (lease: Lease) => void) {
    this.memory = memory;
    this.slab = memory.buffer;
    this.offset = memory.byteOffset;
    this.onRelease = onRelease;
  }

  /** The filled bytes. Valid until {@link Lease.release}. */
  get buffer(): Buffer {
    if (this.released) throw this.useAfterRelease('read');
    const view = this.view;
    if (view !== undefined && view.length === this.filled) return view;
    return (this.view = this.memory.subarray(0, this.filled));
  }

  /** How many bytes were filled. */
  get length(): number {
    if (this.released) throw this.useAfterRelease('read');
    return this.filled;
  }

  /**
   * Gives the buffer back to its pool. Releasing twice throws `ERR_LEASE_RELEASED` (a double release is the
   * ownership bug that corrupts data later, so it is reported where it happens).
   */
  release(): void {
    if (this.released) throw this.useAfterRelease('release');
    this.released = true;
    this.view = undefined;
    this.onRelease(this);
  }

  /**
   * @internal records that the backend filled `chunk`, the next bytes of this lease; returns the bytes filled now.
   * A chunk that starts at the first byte is the very view {@link Lease.buffer} would build, so it is kept: a
   * consumer reading `buffer` then builds no second view per read.
   */
  fill(chunk: Buffer): number {
    const filled = this.filled + chunk.length;
    this.filled = filled;
    this.view = filled === chunk.length ? chunk : undefined;
    return filled;
  }

  /**
   * @internal whether `chunk` is the next part of this lease's memory, that is where the backend was lent to read
   */
  continuedBy(chunk: Buffer): boolean {
    // The common case first: a full read into the whole lease hands back the very buffer that was lent.
    if (chunk === this.memory) return this.filled === 0;
    return chunk.byteOffset === this.offset + this.filled && chunk.buffer === this.slab &&
      this.filled + chunk.length <= this.memory.length;
  }

  /** @internal prepares the lease for a new fill */
  reset(): void {
    this.released = false;
    this.filled = 0;
    this.view = undefined;
  }

  private useAfterRelease(action: string): RxloopError {
    return new RxloopError(
      ErrorCode.LEASE_RELEASED,
      `${action} expected a lease that is still held, but this lease was already released`,
    );
  }
}
