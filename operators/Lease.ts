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
  /** @internal bytes filled so far */
  filled = 0;
  /** @internal */
  released = true;
  private view: Buffer | undefined;
  private readonly onRelease: (lease: Lease) => void;

  /** @internal */
  constructor(memory: Buffer, onRelease: (lease: Lease) => void) {
    this.memory = memory;
    this.onRelease = onRelease;
  }

  /** The filled bytes. Valid until {@link Lease.release}. */
  get buffer(): Buffer {
    if (this.released) throw this.useAfterRelease('read');
    this.view ??= this.memory.subarray(0, this.filled);
    return this.view;
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
