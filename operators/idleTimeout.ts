import { Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { invalid } from '../src/validate.js';

/**
 * Options for {@link idleTimeout}.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { idleTimeout, sendTo, type IdleTimeoutOptions } from 'rxloop/operators';
 *
 * // Close, rather than fail, a connection that stayed silent for five minutes.
 * const quietly: IdleTimeoutOptions = { action: 'close' };
 * export default function echo(connection: Connection) {
 *   return connection.data$.pipe(idleTimeout(connection, 300_000, quietly), sendTo(connection));
 * }
 * ```
 */
export interface IdleTimeoutOptions {
  /** The clock and timers (default: the connection's backend scheduler, so `embedded` time covers it). */
  readonly scheduler?: SchedulerLike;
  /** `'error'` (default) errors the stream with `ERR_TIMEOUT`; `'close'` closes the connection and completes. */
  readonly action?: 'error' | 'close';
}

/**
 * Ends a connection that was idle, with no bytes in either direction, for `ms` milliseconds. Activity is read
 * from the connection's byte counters when the timer fires, so traffic costs no timer or clock work per byte;
 * the price is resolution: the timeout fires after at least `ms` and at most `2 * ms` of silence (like the
 * coarse timers of nginx and memcached).
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, idleTimeout, sendTo } from 'rxloop/operators';
 *
 * // Echo, dropping connections idle for a minute.
 * listen({ port: 7010 }).pipe(
 *   handle((connection) => connection.data$.pipe(
 *     idleTimeout(connection, 60_000, { action: 'close' }),
 *     sendTo(connection),
 *   )),
 * ).subscribe();
 * ```
 *
 * @param connection whose traffic counts as activity
 * @param ms the longest idle time allowed, in milliseconds
 * @param options the scheduler and what to do on timeout
 * @returns an operator that passes values through
 */
export function idleTimeout<T>(
  connection: Connection,
  ms: number,
  options: IdleTimeoutOptions = {},
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      if (!(typeof ms === 'number' && ms > 0 && Number.isFinite(ms))) {
        subscriber.error(invalid('idleTimeout ms', 'a positive finite number', ms));
        return;
      }
      const scheduler = options.scheduler ?? connection.backend.scheduler;
      const action = options.action ?? 'error';
      let traffic = connection.bytesRead + connection.bytesWritten;
      let last = scheduler.now();
      const timer = scheduler.schedule(function check() {
        const now = scheduler.now();
        const seen = connection.bytesRead + connection.bytesWritten;
        if (seen !== traffic) {
          traffic = seen;
          last = now;
        }
        const idle = now - last;
        if (idle < ms) {
          this.schedule(undefined, ms - idle);
          return;
        }
        if (action === 'close') {
          connection.close();
          subscriber.complete();
        } else {
          subscriber.error(new RxloopError(ErrorCode.TIMEOUT,
            `idleTimeout expected traffic on connection ${connection.id} within ${ms} ms, but it was idle for ${idle} ms`));
        }
      }, ms);
      const inner = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        timer.unsubscribe();
        inner.unsubscribe();
      };
    });
}
