import { EMPTY, catchError, ignoreElements, takeUntil, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { Connection } from '../../src/Connection.js';

/**
 * Reads and drops a connection's input until the peer ends it or `ms` pass, then completes: the step between
 * ending our output and closing the socket (Apache's and nginx's "lingering close").
 *
 * Closing a socket whose receive buffer still holds unread bytes makes the kernel send a reset, and a reset
 * can destroy the response the peer has not read yet. A client still uploading a body we refused (413) or
 * pipelining behind a `Connection: close` request would see "connection reset" instead of our answer. So
 * output is ended first (the peer sees our FIN after the last response) and input is drained for a bounded
 * time; well-behaved clients close at once, and the caller then closes. A reset while draining is the end
 * we were waiting for, not an error.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { sendTo } from 'rxloop/operators';
 * import { concatWith, of } from 'rxjs';
 * import { lingeringClose } from './lingeringClose.js';
 *
 * // Refuse, then close without a reset racing the refusal.
 * function refuse(connection: Connection) {
 *   return of(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')).pipe(
 *     sendTo(connection, { onComplete: 'end' }),
 *     concatWith(lingeringClose(connection, 2000, connection.backend.scheduler)),
 *   );
 * }
 * ```
 *
 * @param connection the connection whose output is ended (or about to be)
 * @param ms the longest time to keep draining
 * @param scheduler the clock (the connection's backend scheduler, or a `TestScheduler`)
 * @returns an Observable that emits nothing and completes when the input ends or the time is up
 */
export function lingeringClose(connection: Connection, ms: number, scheduler: SchedulerLike): Observable<never> {
  return connection.data$.pipe(
    ignoreElements(),
    takeUntil(timer(ms, scheduler)),
    catchError(() => EMPTY),
  );
}
