import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode } from '../../src/errors.js';
import { Lease } from '../../operators/Lease.js';
import type { HttpHandler } from './HttpHandler.js';
import { HttpSession, type HttpSessionOptions } from './HttpSession.js';
import { HttpTimeouts } from './HttpTimeouts.js';

/** Options for {@link httpResponses}. */
export interface HttpResponsesOptions {
  /** Answers each request, usually `router.handle`. */
  readonly handler: HttpHandler;
  /** Milliseconds a request head may take to arrive whole, counted from its first byte (or from the accept). */
  readonly headerTimeout: number;
  /** Milliseconds a connection may stay silent between requests or inside a body. */
  readonly idleTimeout: number;
  /** The clock and timers (default: the connection's backend scheduler, so `embedded` time drives them). */
  readonly scheduler?: SchedulerLike;
  /** Parser limits and the Date source of the session. */
  readonly session?: HttpSessionOptions;
}

/**
 * Serves HTTP/1.1 on a connection's reads: one {@link HttpSession} per subscription turns each read into one
 * buffer holding the responses to every request it completed (pipelining). Each is emitted as a batch of one
 * (`[buffer]`), which `sendTo` writes at once as one write, instead of corking single values until the end of
 * the turn: a read's responses are already together, so waiting would only add latency and work.
 *
 * The reads are chunks (`connection.data$`) or leases (`proactor()`, which reads into a reused buffer instead
 * of one allocated per read). A lease's bytes are only used during the call that receives them: the session
 * copies what it keeps, so the lease may be released as soon as `next` returns (`autoRelease`).
 *
 * Completes, after emitting the last bytes, when the connection must close: the session is closing (a
 * `Connection: close` request, or a rejected one answered 400, 413, 431, 501 or 505), a timeout expired (a
 * partial request gets 408, an idle connection nothing; see {@link HttpTimeouts}), or the input ended (every
 * complete request has been answered by then), or the server is stopping (at once when idle, after the response
 * in progress otherwise). Errors with `ERR_TASK_FAILED`, after emitting the 500, when a
 * route handler failed: that is a server bug, which the topology reports. Either way only this connection
 * is affected.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, sendTo } from 'rxloop/operators';
 * import { appRouter } from './appRouter.js';
 * import { httpResponses } from './httpResponses.js';
 *
 * const router = appRouter();
 * listen({ host: '127.0.0.1', port: 8080 }).pipe(
 *   handle((connection) => connection.data$.pipe(
 *     httpResponses(connection, { handler: router.handle, headerTimeout: 10_000, idleTimeout: 60_000 }),
 *     sendTo(connection),
 *   )),
 * ).subscribe();
 * ```
 *
 * @param connection the connection whose reads the source emits (its traffic counts as activity)
 * @param options the route handler, the timeouts, the scheduler, the session's limits
 * @returns an operator from reads to batches of response bytes
 */
export function httpResponses(
  connection: Connection,
  options: HttpResponsesOptions,
): OperatorFunction<Buffer | Lease, readonly Buffer[]> {
  return (source) =>
    new Observable<readonly Buffer[]>((subscriber) => {
      const session = new HttpSession(options.handler, options.session);
      const finish = (): void => {
        timeouts.stop();
        const error = session.error;
        if (error !== undefined && error.code === ErrorCode.TASK_FAILED) {
          // The 500 was the last word: ending our output first tells sendTo and handle() that the peer has its
          // answer, so the connection is closed in order (the 500 arrives) rather than reset as faults are.
          connection.end();
          subscriber.error(error);
        } else {
          subscriber.complete();
        }
      };
      const timeouts = new HttpTimeouts(
        connection,
        options.scheduler ?? connection.backend.scheduler,
        options.headerTimeout,
        options.idleTimeout,
        () => {
          const last = session.timeout();
          if (last !== null) subscriber.next([last]);
          finish();
        },
      );
      // The server is stopping (this takes the drain over, see Connection.draining$): an idle keep-alive
      // connection closes at once, one with a request under way answers it with `Connection: close`.
      const draining = connection.draining$.subscribe(() => {
        if (session.drain()) finish();
      });
      const reads = source.subscribe({
        next: (read) => {
          const out = session.receive(read instanceof Lease ? read.buffer : read);
          if (out !== null) {
            subscriber.next([out]);
            // The write can fail (the peer is gone), which tears this subscription down: arm no timer then.
            if (subscriber.closed) return;
          }
          const progress = session.progress;
          if (progress === 'closed') finish();
          else timeouts.afterRead(progress, out !== null);
        },
        error: (error) => subscriber.error(error),
        complete: () => finish(),
      });
      return () => {
        timeouts.stop();
        draining.unsubscribe();
        reads.unsubscribe();
      };
    });
}
