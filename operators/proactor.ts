import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { invalid } from '../src/validate.js';
import { Lease } from './Lease.js';
import { LeasePool, type LeasePoolOptions } from './LeasePool.js';

/**
 * Options for {@link proactor}.
 *
 * ## Example
 * ```ts
 * import { connect } from 'rxloop';
 * import { LeasePool, proactor, type ProactorOptions } from 'rxloop/operators';
 *
 * // Connections share one pool of 16 x 16 KiB, so all their reads together never hold more than 256 KiB.
 * const options: ProactorOptions = { pool: new LeasePool({ bufferSize: 16384, buffers: 16 }), autoRelease: true };
 * connect({ port: 9000 }).pipe(proactor(options)).subscribe((lease) => console.log(lease.length, 'bytes'));
 * ```
 */
export interface ProactorOptions extends LeasePoolOptions {
  /**
   * Emit a lease only when exactly this many bytes are filled, across any fragmentation ("read 10 bytes into
   * my buffer and tell me when done"). Without it, each lease holds whatever one read brought, up to
   * `bufferSize`.
   *
   * A function makes every read a request of its own size: it is called with `undefined` for the first read,
   * and then with each lease once the downstream `next` for it has returned (before `autoRelease` gives it
   * back), and returns the size of the next read: a header, then a body of the length the header announced.
   * 0 is allowed (an empty lease is emitted at once); a size over `bufferSize` (the pool's, default 65536)
   * errors with `ERR_FRAME_TOO_LONG`, which bounds what a peer can make the reader buffer.
   */
  readonly exactly?: number | ((previous: Lease | undefined) => number);
  /** Lease from this pool instead of one the operator makes (share a pool across connections to cap memory). */
  readonly pool?: LeasePool;
  /** Release each lease as soon as the downstream `next` returns (default false: the consumer releases). */
  readonly autoRelease?: boolean;
  /**
   * Lease the backend's own receive buffers where it has them (default true): on the uring backend, the
   * kernel receives into its provided buffer ring, picking a buffer as bytes arrive with several reads in
   * flight, each lease is a view of one ring buffer (no copy anywhere), and releasing the lease gives the
   * buffer back to the ring. Used only without `exactly` and `pool`, and where the backend's buffers are at
   * most `bufferSize` bytes (16 KiB on uring by default), so a lease never holds more than `bufferSize`. The
   * read credit stays `buffers` x `bufferSize` bytes, counted in the backend's buffers. `false` reads into this
   * operator's own pool everywhere.
   */
  readonly backendBuffers?: boolean;
}

/**
 * The completion side of the reactor: for each connection from the source, emits {@link Lease}s of buffers the
 * backend filled. The leases come from a fixed {@link LeasePool}, so steady-state reading allocates no memory,
 * and the pool is the read credit: while every lease is out, the connection stops reading and its peer is
 * slowed; releasing a lease resumes it.
 *
 * On the `node` backend the bytes are read straight into the leased memory where Node allows it (see
 * `Connection.zeroCopyLeasedReads`; accepted sockets need a feature-checked private path) and copied into it
 * otherwise (TLS, or when the check fails). On the `uring` backend without `exactly` or `pool`, the leases
 * are views of the kernel's provided buffer ring (see `backendBuffers`); with them, the kernel reads
 * straight into the pool's memory. The stream completes at the end of input; a partial `exactly`
 * read at that point errors with `ERR_FRAME_TRUNCATED`.
 *
 * Reads are requests, served in order: a `proactor()` subscribed while another reader reads the same
 * connection (even from inside that reader's last emission) waits its turn and gets the bytes that follow, and
 * `exactly` as a function sizes each read from the one before, as a header announces a body.
 *
 * ## Example
 * ```ts
 * import { connect, type Connection } from 'rxloop';
 * import { proactor } from 'rxloop/operators';
 * import { of } from 'rxjs';
 *
 * // Read fixed 16-byte records from a server, no allocation per read.
 * connect({ host: '127.0.0.1', port: 9000 })
 *   .pipe(proactor({ exactly: 16, buffers: 8 }))
 *   .subscribe((lease) => {
 *     console.log(lease.buffer.readUInt32BE(0));
 *     lease.release();
 *   });
 *
 * // A 4-byte length, then a body of that length, for ever: each read is a request of its own size. The
 * // function serves every connection of its source, so make the operator per connection when it keeps state.
 * const frames = (connection: Connection) => {
 *   let inBody = false;
 *   return of(connection).pipe(proactor({
 *     exactly: (previous) => {
 *       if (previous === undefined || inBody) return ((inBody = false), 4);
 *       inBody = true;
 *       return previous.buffer.readUInt32BE(0);
 *     },
 *     autoRelease: true,
 *   }));
 * };
 * ```
 *
 * @param options buffer size and count, exact reads, a shared pool, automatic release
 * @returns an operator from connections to leases
 */
export function proactor(options: ProactorOptions = {}): OperatorFunction<Connection, Lease> {
  return (connections) =>
    new Observable<Lease>((subscriber) => {
      const exactly = options.exactly;
      const sized = typeof exactly === 'function';
      if (exactly !== undefined && !sized && !(Number.isInteger(exactly) && exactly > 0)) {
        subscriber.error(invalid('proactor exactly', 'a positive integer or a function', exactly));
        return;
      }
      if (typeof exactly === 'number' && options.pool !== undefined && options.pool.bufferSize < exactly) {
        subscriber.error(invalid('proactor pool bufferSize', `at least exactly (${exactly})`, options.pool.bufferSize));
        return;
      }
      const readers: (() => void)[] = [];
      let sourceDone = false;
      let active = 0;
      const finishIfIdle = (): void => {
        if (sourceDone && active === 0) subscriber.complete();
      };
      const readerDone = (): void => {
        active--;
        finishIfIdle();
      };
      const outer = connections.subscribe({
        next: (connection) => {
          const ringSize = connection.providedBufferSize;
          // Invalid sizes go the pool's way, which reports them.
          if (ringSize !== undefined && exactly === undefined && options.pool === undefined && options.backendBuffers !== false &&
              positive(options.buffers ?? DEFAULT_BUFFERS) && positive(options.bufferSize ?? DEFAULT_BUFFER_SIZE) &&
              ringSize <= (options.bufferSize ?? DEFAULT_BUFFER_SIZE)) {
            const bytes = (options.buffers ?? DEFAULT_BUFFERS) * (options.bufferSize ?? DEFAULT_BUFFER_SIZE);
            const credit = Math.max(1, Math.ceil(bytes / ringSize));
            active++;
            readers.push(readProvided(connection, credit, options.poison ?? false, options.autoRelease ?? false, subscriber, readerDone));
            return;
          }
          let pool: LeasePool;
          try {
            pool = options.pool ?? new LeasePool({ ...options, bufferSize: typeof exactly === 'number' ? exactly : options.bufferSize });
          } catch (error) {
            subscriber.error(error);
            return;
          }
          active++;
          const size = typeof exactly === 'function' ? exactly : exactly === undefined ? undefined : () => exactly;
          readers.push(readConnection(connection, pool, size, options.autoRelease ?? false, subscriber, readerDone));
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          finishIfIdle();
        },
      });
      return () => {
        outer.unsubscribe();
        for (const stop of readers) stop();
      };
    });
}

/** LeasePool's defaults, which size the credit of reads into the backend's buffers too. */
const DEFAULT_BUFFER_SIZE = 65536;
const DEFAULT_BUFFERS = 4;
const positive = (value: number): boolean => Number.isInteger(value) && value >= 1;

/**
 * Runs one connection's reads into the backend's own buffers: each view the backend lends becomes a lease whose
 * release gives the buffer back. Returns the function that stops them.
 */
function readProvided(
  connection: Connection,
  credit: number,
  poison: boolean,
  autoRelease: boolean,
  subscriber: Subscriber<Lease>,
  done: () => void,
): () => void {
  let finished = false;
  const giveBack = (lease: Lease): void => {
    if (poison) lease.memory.fill(0xdd);
    connection.releaseProvided(lease.memory);
  };
  const onChunks = (chunks: readonly Buffer[]): void => {
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (finished) {
        // Stopped inside this batch: what it did not emit goes straight back.
        connection.releaseProvided(chunk);
        continue;
      }
      const lease = new Lease(chunk, giveBack);
      lease.reset();
      lease.fill(chunk);
      subscriber.next(lease);
      if (autoRelease && !lease.released) lease.release();
    }
  };
  let stop: () => void = () => undefined;
  try {
    stop = connection.readProvided({ credit }, onChunks, (error) => {
      if (finished) return;
      finished = true;
      if (error !== undefined) subscriber.error(error);
      else done();
    });
  } catch (error) {
    finished = true;
    subscriber.error(error);
  }
  return () => {
    if (finished) return;
    finished = true;
    stop();
  };
}

/** A zero-byte read completes at once with an empty lease that belongs to no pool. */
const EMPTY_MEMORY = Buffer.alloc(0);
const emptyLease = (): Lease => {
  const lease = new Lease(EMPTY_MEMORY, () => undefined);
  lease.reset();
  return lease;
};

/**
 * Runs one connection's leased reads; returns the function that stops them and gives unemitted leases back.
 * This is the per-read hot path: it allocates nothing, and emits straight to `subscriber`.
 *
 * @param sizeOf `undefined`: each lease holds what one read brought; otherwise the size of the next read, given
 *   the lease before it
 */
function readConnection(
  connection: Connection,
  pool: LeasePool,
  sizeOf: ((previous: Lease | undefined) => number) | undefined,
  autoRelease: boolean,
  subscriber: Subscriber<Lease>,
  done: () => void,
): () => void {
  // Buffers handed to the backend and not yet completed. A lease can appear more than once in exact mode (its
  // remaining tail is posted again after a short read).
  const posted: Lease[] = [];
  let filling: Lease | null = null;
  let finished = false;
  /** The size of the read in progress (exact mode). */
  let want = 0;
  const resume = (): void => connection.resumeLeased();

  const source = {
    lease: (): Buffer | null => {
      if (finished) return null;
      // Whole-buffer mode takes a fresh lease per read; exact mode keeps filling one lease until it is full.
      const lease = sizeOf !== undefined && filling !== null ? filling : pool.take();
      if (lease === null) {
        pool.whenAvailable(resume);
        return null;
      }
      posted.push(lease);
      if (sizeOf === undefined) return lease.memory;
      filling = lease;
      return lease.memory.subarray(lease.filled, want);
    },
  };

  /** Emits `lease`; in exact mode, asks for the next size (emitting empty reads at once). `false`: stopped. */
  const emit = (lease: Lease): boolean => {
    subscriber.next(lease);
    // The next size is asked for once the downstream `next` has returned, and before the lease goes back.
    const sized = sizeOf === undefined || finished || nextSize(lease);
    if (autoRelease && !lease.released) lease.release();
    if (!sized || finished) return false;
    while (sizeOf !== undefined && want === 0) {
      const empty = emptyLease();
      subscriber.next(empty);
      if (finished || !nextSize(empty)) return false;
    }
    return true;
  };

  /** Asks `sizeOf` for the size of the read after `previous`; fails the reader for a bad answer. */
  const nextSize = (previous: Lease | undefined): boolean => {
    let size: number;
    try {
      size = sizeOf!(previous);
    } catch (error) {
      fail(error);
      return false;
    }
    if (!Number.isInteger(size) || size < 0) {
      fail(invalid('proactor exactly()', 'an integer >= 0', size));
      return false;
    }
    if (size > pool.bufferSize) {
      fail(new RxloopError(ErrorCode.FRAME_TOO_LONG,
        `proactor expected a read of at most ${pool.bufferSize} bytes (the buffer size), got a request for ${size}`));
      return false;
    }
    want = size;
    return true;
  };

  const onChunks = (chunks: readonly Buffer[]): void => {
    for (let i = 0; i < chunks.length; i++) {
      if (finished) return;
      const chunk = chunks[i]!;
      const lease = posted.shift();
      if (lease === undefined || !lease.continuedBy(chunk)) {
        fail(new RxloopError(ErrorCode.SOCKET, 'proactor expected the backend to fill the buffer it was lent, ' +
          'but a completion arrived for another buffer (a backend bug)'));
        return;
      }
      const filled = lease.fill(chunk);
      if (sizeOf !== undefined) {
        if (filled !== want) continue;
        if (filling === lease) filling = null;
      }
      if (!emit(lease)) return;
    }
  };

  const giveBack = (): void => {
    pool.whenAvailable(undefined);
    const unemitted = new Set(posted);
    if (filling !== null) unemitted.add(filling);
    posted.length = 0;
    filling = null;
    for (const lease of unemitted) if (!lease.released) lease.release();
  };

  const fail = (error: unknown): void => {
    if (finished) return;
    finished = true;
    stopReading();
    giveBack();
    subscriber.error(error);
  };

  let stopReading: () => void = () => undefined;
  if (sizeOf !== undefined) {
    // The first read's size; zero-byte reads before it complete at once.
    if (!nextSize(undefined)) return () => undefined;
    while (want === 0) {
      const empty = emptyLease();
      subscriber.next(empty);
      if (finished || subscriber.closed) return () => undefined;
      if (!nextSize(empty)) return () => undefined;
    }
  }
  try {
    stopReading = connection.readLeased(source, onChunks, (error) => {
      if (finished) return;
      if (error !== undefined) {
        fail(error);
        return;
      }
      const partial = filling?.filled ?? 0;
      if (sizeOf !== undefined && partial > 0) {
        fail(new RxloopError(ErrorCode.FRAME_TRUNCATED,
          `proactor expected ${want} bytes, but the input ended after ${partial}`));
        return;
      }
      finished = true;
      giveBack();
      done();
    });
  } catch (error) {
    fail(error);
  }

  return () => {
    if (finished) return;
    finished = true;
    stopReading();
    giveBack();
  };
}
