import { Observable, from, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { invalid } from '../src/validate.js';

/**
 * Options for {@link boundedConcatMap}.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { boundedConcatMap, lines, type BoundedConcatMapOptions } from 'rxloop/operators';
 *
 * // Count requests instead of bytes: stop reading while more than 100 lines wait for the database.
 * const options: BoundedConcatMapOptions<Buffer> = { highWaterMark: 100, weight: () => 1 };
 * function queries(connection: Connection, query: (line: Buffer) => Promise<string>) {
 *   return connection.data$.pipe(lines(), boundedConcatMap(connection, (line) => query(line), options));
 * }
 * ```
 */
export interface BoundedConcatMapOptions<T> {
  /**
   * Queued input, in bytes (or in `weight` units), above which the connection stops reading
   * (default 65536). Reading resumes when the queue falls to half of it.
   */
  readonly highWaterMark?: number;
  /** The size of one input (default: `length` of a Buffer, Uint8Array or string, otherwise 1). */
  readonly weight?: (value: T) => number;
}

/**
 * `concatMap` with demand: runs `project` for one value at a time, in order, like RxJS's `concatMap`, but when
 * the values waiting their turn add up to more than `highWaterMark` bytes, it holds the connection's reading
 * until the queue has drained to half of that. A slow asynchronous stage (a database call, a timer, a slow
 * peer) then slows the socket instead of growing memory. RxJS has no backpressure of its own; this is how an
 * rxloop pipeline carries demand back to the socket across an asynchronous step.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { boundedConcatMap, handle, lines, sendTo } from 'rxloop/operators';
 * import { timer, map } from 'rxjs';
 *
 * // Each line takes 10 ms to answer; a client that sends faster is slowed by TCP, not buffered.
 * listen({ port: 7012 }).pipe(
 *   handle((connection) => connection.data$.pipe(
 *     lines(),
 *     boundedConcatMap(connection, (line) => timer(10).pipe(map(() => Buffer.concat([line, Buffer.from('\n')])))),
 *     sendTo(connection),
 *   )),
 * ).subscribe();
 * ```
 *
 * @param connection whose reading is held while the queue is long
 * @param project maps a value to the Observable (or Promise, array, ...) of its results
 * @param options the queue's high-water mark and how to weigh values
 * @returns the operator
 */
export function boundedConcatMap<T, R>(
  connection: Connection,
  project: (value: T, index: number) => ObservableInput<R>,
  options: BoundedConcatMapOptions<T> = {},
): OperatorFunction<T, R> {
  const highWaterMark = options.highWaterMark ?? 65536;
  const weigh = options.weight ?? defaultWeight;
  return (source) =>
    new Observable<R>((subscriber) => {
      if (!(typeof highWaterMark === 'number' && highWaterMark > 0)) {
        subscriber.error(invalid('boundedConcatMap highWaterMark', 'a positive number', highWaterMark));
        return;
      }
      const queue: T[] = [];
      let queuedWeight = 0;
      let release: (() => void) | undefined;
      let active: Subscription | undefined;
      let index = 0;
      let sourceDone = false;

      const updateHold = (): void => {
        if (release === undefined && queuedWeight > highWaterMark) release = connection.hold();
        else if (release !== undefined && queuedWeight <= highWaterMark / 2) {
          const held = release;
          release = undefined;
          held();
        }
      };

      const runNext = (): void => {
        while (active === undefined && queue.length > 0 && !subscriber.closed) {
          const value = queue.shift()!;
          queuedWeight -= weigh(value);
          updateHold();
          let inner: Observable<R>;
          try {
            inner = from(project(value, index++));
          } catch (error) {
            subscriber.error(error);
            return;
          }
          let syncDone = false;
          const subscription = inner.subscribe({
            next: (result) => subscriber.next(result),
            error: (error) => subscriber.error(error),
            complete: () => {
              syncDone = true;
              if (active !== undefined) {
                active = undefined;
                runNext();
              }
            },
          });
          if (!syncDone) active = subscription;
        }
        if (active === undefined && queue.length === 0 && sourceDone) subscriber.complete();
      };

      const outer = source.subscribe({
        next: (value) => {
          queue.push(value);
          queuedWeight += weigh(value);
          updateHold();
          runNext();
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          runNext();
        },
      });

      return () => {
        outer.unsubscribe();
        active?.unsubscribe();
        queue.length = 0;
        release?.();
      };
    });
}

function defaultWeight(value: unknown): number {
  if (typeof value === 'string' || value instanceof Uint8Array) return value.length;
  return 1;
}
