import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { invalid } from '../src/validate.js';
import type { Lease } from './Lease.js';
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
   */
  readonly exactly?: number;
  /** Lease from this pool instead of one the operator makes (share a pool across connections to cap memory). */
  readonly pool?: LeasePool;
  /** Release each lease as soon as the downstream `next` returns (default false: the consumer releases). */
  readonly autoRelease?: boolean;
}

/**
 * The completion side of the reactor: for each connection from the source, emits {@link Lease}s of buffers the
 * backend filled. The leases come from a fixed {@link LeasePool}, so steady-state reading allocates no memory,
 * and the pool is the read credit: while every lease is out, the connection stops reading and its peer is
 * slowed; releasing a lease resumes it.
 *
 * On the `node` backend the bytes are read straight into the leased memory where Node allows it (see
 * `Connection.zeroCopyLeasedReads`; accepted sockets need a feature-checked private path) and copied into it
 * otherwise (TLS, or when the check fails). The stream completes at the end of input; a partial `exactly`
 * read at that point errors with `ERR_FRAME_TRUNCATED`.
 *
 * ## Example
 * ```ts
 * import { connect } from 'rxloop';
 * import { proactor } from 'rxloop/operators';
 *
 * // Read fixed 16-byte records from a server, no allocation per read.
 * connect({ host: '127.0.0.1', port: 9000 })
 *   .pipe(proactor({ exactly: 16, buffers: 8 }))
 *   .subscribe((lease) => {
 *     console.log(lease.buffer.readUInt32BE(0));
 *     lease.release();
 *   });
 * ```
 *
 * @param options buffer size and count, exact reads, a shared pool, automatic release
 * @returns an operator from connections to leases
 */
export function proactor(options: ProactorOptions = {}): OperatorFunction<Connection, Lease> {
  return (connections) =>
    new Observable<Lease>((subscriber) => {
      const exactly = options.exactly;
      if (exactly !== undefined && !(Number.isInteger(exactly) && exactly > 0)) {
        subscriber.error(invalid('proactor exactly', 'a positive integer', exactly));
        return;
      }
      if (exactly !== undefined && options.pool !== undefined && options.pool.bufferSize < exactly) {
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
          let pool: LeasePool;
          try {
            pool = options.pool ?? new LeasePool({ ...options, bufferSize: exactly ?? options.bufferSize });
          } catch (error) {
            subscriber.error(error);
            return;
          }
          active++;
          readers.push(readConnection(connection, pool, exactly, options.autoRelease ?? false, subscriber, readerDone));
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

/**
 * Runs one connection's leased reads; returns the function that stops them and gives unemitted leases back.
 * This is the per-read hot path: it allocates nothing, and emits straight to `subscriber`.
 */
function readConnection(
  connection: Connection,
  pool: LeasePool,
  exactly: number | undefined,
  autoRelease: boolean,
  subscriber: Subscriber<Lease>,
  done: () => void,
): () => void {
  // Buffers handed to the backend and not yet completed. A lease can appear more than once in exact mode (its
  // remaining tail is posted again after a short read).
  const posted: Lease[] = [];
  let filling: Lease | null = null;
  let finished = false;
  const resume = (): void => connection.resumeLeased();

  const source = {
    lease: (): Buffer | null => {
      if (finished) return null;
      // Whole-buffer mode takes a fresh lease per read; exact mode keeps filling one lease until it is full.
      const lease = exactly !== undefined && filling !== null ? filling : pool.take();
      if (lease === null) {
        pool.whenAvailable(resume);
        return null;
      }
      posted.push(lease);
      if (exactly === undefined) return lease.memory;
      filling = lease;
      return lease.memory.subarray(lease.filled, exactly);
    },
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
      if (exactly !== undefined) {
        if (filled !== exactly) continue;
        if (filling === lease) filling = null;
      }
      subscriber.next(lease);
      if (autoRelease && !lease.released) lease.release();
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
  try {
    stopReading = connection.readLeased(source, onChunks, (error) => {
      if (finished) return;
      if (error !== undefined) {
        fail(error);
        return;
      }
      const partial = filling?.filled ?? 0;
      if (exactly !== undefined && partial > 0) {
        fail(new RxloopError(ErrorCode.FRAME_TRUNCATED,
          `proactor expected ${exactly} bytes, but the input ended after ${partial}`));
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
