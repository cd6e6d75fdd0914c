import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { checkCount } from '../src/validate.js';

/**
 * Options for {@link pacedBy}.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { lines, pacedBy, sendTo, type PacedByOptions } from 'rxloop/operators';
 *
 * const options: PacedByOptions = { bytesPerTurn: 64 * 1024 };
 * const serve = (connection: Connection) => connection.data$.pipe(lines(), pacedBy(connection, options), sendTo(connection));
 * ```
 */
export interface PacedByOptions {
  /**
   * Outside a reactor (`serve` gives every connection the reactor's per-turn budget), the bytes the connection
   * may write in one turn of the event loop before the stage yields to the others (default 256 KiB).
   */
  readonly bytesPerTurn?: number;
}

/**
 * Passes values on only as fast as `connection`'s output takes what they cause: put it after the decoder of a
 * request/response pipeline, before the stage that answers. One read can hold thousands of pipelined requests
 * and each can ask for a large reply (2,000 x `GET` of a 1 MB value in one 18 KB read); without it, every
 * reply to that read is built at once, in one turn, whatever the peer reads. With it, the stage stops
 * consuming the requests it has already read while the connection's write buffer is over its high-water mark
 * or the connection has had its share of this turn (`Connection.shouldYield`), holds the connection's reading
 * meanwhile, and goes on when the peer has taken the output (or at the next turn). Memory stays within the
 * write buffer, and other connections' round trips within a few turns.
 *
 * Values, completion and errors keep their order: a completion or an error waits for the values before it.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { encodeLines, handle, lines, pacedBy, sendTo } from 'rxloop/operators';
 * import { map } from 'rxjs';
 *
 * // 'big' asks for 1 MB: a client that pipelines 2,000 of them gets them as fast as it reads, no faster.
 * const big = 'x'.repeat(1_000_000);
 * listen({ port: 0 }).pipe(handle((connection) => connection.data$.pipe(
 *   lines(),
 *   pacedBy(connection),
 *   map((line) => (line.toString() === 'big' ? big : 'ok')),
 *   encodeLines(),
 *   sendTo(connection),
 * ))).subscribe();
 * ```
 *
 * @param connection the connection whose output paces the stage
 * @param options the per-turn output budget outside a reactor
 * @returns an operator that passes the values on, in order, at the output's pace
 */
export function pacedBy<T>(connection: Connection, options: PacedByOptions = {}): MonoTypeOperatorFunction<T> {
  const problem = checkCount('pacedBy bytesPerTurn', options.bytesPerTurn, { min: 1 });
  if (problem !== undefined) throw problem;
  const bytesPerTurn = options.bytesPerTurn ?? 256 * 1024;
  return (source) =>
    new Observable<T>((subscriber) => {
      const queue: T[] = [];
      /** What ends the source, waiting for the queue: `true` for completion, `{ error }` for an error. */
      let ending: true | { error: unknown } | undefined;
      let release: (() => void) | undefined;
      let cancelWait: (() => void) | undefined;
      // Outside a reactor the stage keeps its own count of one turn's output.
      let turnMark = -1;
      let turnTimer: ReturnType<typeof setImmediate> | undefined;
      const output = (): number => connection.bytesWritten + connection.writableLength;

      const mustYield = (): boolean => {
        if (connection.shouldYield) return true;
        if (connection.isMetered) return false;
        if (turnMark < 0) {
          turnMark = output();
          turnTimer = setImmediate(() => {
            turnTimer = undefined;
            turnMark = -1;
          });
          return false;
        }
        return output() - turnMark > bytesPerTurn;
      };

      const wait = (): void => {
        // No more input while the stage is behind: the queue holds what one read brought, no more.
        release ??= connection.hold();
        const resume = (): void => {
          cancelWait = undefined;
          drain();
        };
        if (connection.shouldYield) cancelWait = connection.whenReady(resume);
        else {
          const timer = setImmediate(resume);
          cancelWait = () => clearImmediate(timer);
        }
      };

      const drain = (): void => {
        while (queue.length > 0) {
          if (!connection.isOpen) {
            queue.length = 0;
            break;
          }
          if (mustYield()) {
            wait();
            return;
          }
          subscriber.next(queue.shift()!);
          if (subscriber.closed) return;
        }
        release?.();
        release = undefined;
        if (ending === true) subscriber.complete();
        else if (ending !== undefined) subscriber.error(ending.error);
      };

      const upstream = source.subscribe({
        next: (value) => {
          if (queue.length === 0 && release === undefined && !mustYield()) {
            subscriber.next(value);
            return;
          }
          queue.push(value);
          if (release === undefined) wait();
        },
        error: (error) => {
          ending = { error };
          if (queue.length === 0) subscriber.error(error);
        },
        complete: () => {
          ending = true;
          if (queue.length === 0) subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        cancelWait?.();
        if (turnTimer !== undefined) clearImmediate(turnTimer);
        release?.();
        queue.length = 0;
      };
    });
}
