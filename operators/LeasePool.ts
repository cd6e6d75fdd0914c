import { Lease } from './Lease.js';
import { invalid } from '../src/validate.js';

/**
 * Options for a {@link LeasePool}.
 *
 * ## Example
 * ```ts
 * import { LeasePool, type LeasePoolOptions } from 'rxloop/operators';
 *
 * // In tests: released buffers are overwritten, so a use after release reads 0xDD instead of stale bytes.
 * const options: LeasePoolOptions = { bufferSize: 1024, buffers: 2, poison: true };
 * const pool = new LeasePool(options);
 * ```
 */
export interface LeasePoolOptions {
  /** Bytes per buffer (default 65536). */
  readonly bufferSize?: number;
  /** Buffers in the pool, that is the most leases out at once (default 4). */
  readonly buffers?: number;
  /** Overwrite released buffers with 0xDD so use-after-release shows up in tests (default false). */
  readonly poison?: boolean;
}

/**
 * A fixed set of buffers lent out as {@link Lease}s. Allocated once; in steady state reading allocates no new
 * memory. When every buffer is out, {@link LeasePool.take} returns `null`, and a reader stops until one is
 * released; the pool wakes that reader on the next release.
 *
 * ## Example
 * ```ts
 * import { LeasePool } from 'rxloop/operators';
 *
 * const pool = new LeasePool({ bufferSize: 4096, buffers: 2 });
 * const lease = pool.take();
 * console.log(pool.available); // 1
 * lease?.release();
 * ```
 */
export class LeasePool {
  /** Bytes per buffer. */
  readonly bufferSize: number;
  /** Buffers in the pool. */
  readonly size: number;
  private readonly poison: boolean;
  private readonly free: Lease[] = [];
  private waiter: (() => void) | undefined;

  /**
   * Allocates the pool's memory once.
   *
   * @param options buffer size, count and debug poisoning
   */
  constructor(options: LeasePoolOptions = {}) {
    const bufferSize = options.bufferSize ?? 65536;
    const buffers = options.buffers ?? 4;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw invalid('LeasePool bufferSize', 'a positive integer', bufferSize);
    }
    if (!Number.isInteger(buffers) || buffers < 1) throw invalid('LeasePool buffers', 'a positive integer', buffers);
    this.bufferSize = bufferSize;
    this.size = buffers;
    this.poison = options.poison ?? false;
    // One slab for all buffers: one allocation, and neighbouring leases share cache-friendly memory.
    const slab = Buffer.allocUnsafeSlow(bufferSize * buffers);
    const onRelease = (lease: Lease): void => this.giveBack(lease);
    for (let i = 0; i < buffers; i++) {
      this.free.push(new Lease(slab.subarray(i * bufferSize, (i + 1) * bufferSize), onRelease));
    }
  }

  /** Leases not out now. */
  get available(): number {
    return this.free.length;
  }

  /**
   * Takes a free lease (empty, `length` 0), or returns `null` when all are out.
   *
   * @returns the lease, or `null`
   */
  take(): Lease | null {
    const lease = this.free.pop();
    if (lease === undefined) return null;
    lease.reset();
    return lease;
  }

  /**
   * Calls `callback` once, the next time a lease is released (replacing an earlier callback).
   *
   * @internal
   */
  whenAvailable(callback: (() => void) | undefined): void {
    this.waiter = callback;
  }

  private giveBack(lease: Lease): void {
    if (this.poison) lease.memory.fill(0xdd);
    this.free.push(lease);
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter();
    }
  }
}
