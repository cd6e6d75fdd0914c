import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, asyncScheduler } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { invalid } from '../src/validate.js';

/**
 * Options for {@link readTimeout}.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { readTimeout, type ReadTimeoutOptions } from 'rxloop/operators';
 *
 * // Time silence on the connection's own clock, so the embedded backend's virtual time drives it in tests.
 * function input(connection: Connection) {
 *   const options: ReadTimeoutOptions = { scheduler: connection.backend.scheduler };
 *   return connection.data$.pipe(readTimeout(30_000, options));
 * }
 * ```
 */
export interface ReadTimeoutOptions {
  /** The clock and timers (default `asyncScheduler`; pass `connection.backend.scheduler` or a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Errors with `ERR_TIMEOUT` when the source emits nothing for `ms` milliseconds (counted from subscription and
 * from each value). Put it on a connection's input to cut off peers that stop sending mid-request; the error
 * then reaches `sendTo`, which closes the connection.
 *
 * One timer per subscription is re-armed lazily (it checks the time of the last value when it fires), so a
 * busy stream costs no timer work per value.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, lines, readTimeout, sendTo } from 'rxloop/operators';
 *
 * listen({ port: 7009 }).pipe(
 *   handle((connection) => connection.data$.pipe(
 *     readTimeout(10_000, { scheduler: connection.backend.scheduler }),
 *     lines(),
 *     sendTo(connection),
 *   )),
 * ).subscribe();
 * ```
 *
 * @param ms the longest silence allowed, in milliseconds
 * @param options the scheduler
 * @returns an operator that passes values through
 */
export function readTimeout<T>(ms: number, options: ReadTimeoutOptions = {}): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      if (!(typeof ms === 'number' && ms > 0 && Number.isFinite(ms))) {
        subscriber.error(invalid('readTimeout ms', 'a positive finite number', ms));
        return;
      }
      const scheduler = options.scheduler ?? asyncScheduler;
      let last = scheduler.now();
      const inner = source.subscribe({
        next: (value) => {
          last = scheduler.now();
          subscriber.next(value);
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      // Armed after subscribing so that a value and the deadline at the same instant count the value first.
      const timer = scheduler.schedule(function check() {
        const idle = scheduler.now() - last;
        if (idle >= ms) {
          subscriber.error(new RxloopError(ErrorCode.TIMEOUT, `readTimeout expected a value within ${ms} ms, but none came for ${idle} ms`));
          return;
        }
        this.schedule(undefined, ms - idle);
      }, ms);
      return () => {
        timer.unsubscribe();
        inner.unsubscribe();
      };
    });
}
