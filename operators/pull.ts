import { Observable } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { invalid } from '../src/validate.js';
import { offeredDemand, whenWritable, type Demand } from './demandContext.js';

/**
 * Options for {@link pull}.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, pull, sendTo, type PullOptions } from 'rxloop/operators';
 * import { concatMap, take } from 'rxjs';
 *
 * // Inside concatMap, pull is subscribed later than sendTo: name the connection whose output paces it.
 * listen({ port: 0 }).pipe(handle((connection) => {
 *   const options: PullOptions = { pace: connection };
 *   return connection.data$.pipe(take(1), concatMap(() => pull(['a', 'b', 'c'], options)), sendTo(connection));
 * })).subscribe();
 * ```
 */
export interface PullOptions {
  /**
   * Take the next chunk only while this connection's output is writable (below its high-water mark). Needed
   * where `pull` is not subscribed by the `sendTo` it feeds, directly or through operators that subscribe at
   * once (`map`, `filter`, `tap`): inside `concatMap`, `mergeMap` or `switchMap`, for example.
   */
  readonly pace?: Connection;
}

/** What {@link pull} reads from: an iterable, an async iterable, or a Node `Readable` (which is async iterable). */
export type PullSource<T> = Iterable<T> | AsyncIterable<T>;

/** Chunks one turn of the loop may take from a synchronous source before yielding to other work. */
const CHUNKS_PER_TURN = 64;

/**
 * A producer paced by the socket: an Observable over an iterable, an async iterable (an async generator, a
 * database cursor) or a Node `Readable` (a file), that takes the next chunk only when downstream demand allows.
 * RxJS pushes without backpressure, so `range(0, 512).pipe(map(chunk), sendTo(connection))` queues everything
 * in memory at once against a peer that does not read; `pull(chunks()).pipe(sendTo(connection))` keeps at most
 * the connection's write buffer (its high-water mark plus one chunk) in memory, and resumes when the peer reads.
 *
 * Demand comes from the `sendTo` that `pull` feeds (while its connection is writable), found when `pull` is
 * subscribed by it directly or through operators that subscribe at once (`map`, `filter`, `tap`, `take`);
 * elsewhere (inside `concatMap` and the like) give `pace`. Without either, `pull` takes one chunk per turn
 * of the event loop, which never stalls the loop but does not bound memory. A synchronous source also yields to
 * the loop every 64 chunks, so one producer cannot starve the others.
 *
 * Unsubscribing stops the source: an iterator is closed (`return()`), so a generator runs its `finally` and a
 * `Readable` is destroyed. An error thrown by the source errors the Observable.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, pull, sendTo } from 'rxloop/operators';
 * import { createReadStream } from 'node:fs';
 *
 * // Every client gets the file, read only as fast as that client takes it.
 * listen({ port: 0 })
 *   .pipe(handle((connection) => pull(createReadStream('/etc/services')).pipe(sendTo(connection))))
 *   .subscribe();
 *
 * // A computed stream: 32 MiB, of which only what the socket takes is ever built.
 * function* blocks(): Generator<Buffer> {
 *   for (let i = 0; i < 512; i++) yield Buffer.alloc(64 * 1024, i);
 * }
 * listen({ port: 0 }).pipe(handle((connection) => pull(blocks()).pipe(sendTo(connection)))).subscribe();
 * ```
 *
 * @param source the chunks
 * @param options the connection whose output paces the source, where `sendTo` cannot be found
 * @returns an Observable of the source's chunks, taken on demand
 */
export function pull<T>(source: PullSource<T>, options: PullOptions = {}): Observable<T> {
  return new Observable<T>((subscriber) => {
    const asynchronous = typeof (source as Iterable<T>)[Symbol.iterator] !== 'function';
    if (asynchronous && typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] !== 'function') {
      subscriber.error(invalid('pull source', 'an iterable, an async iterable or a Readable', source));
      return;
    }
    const demand = options.pace !== undefined ? connectionDemand(options.pace) : offeredDemand();
    let stopped = false;
    let cancelWait: (() => void) | undefined;
    let timer: ReturnType<typeof setImmediate> | undefined;
    /** Waits for demand; `false` when the consumer wants more now. */
    const mustWait = (resume: () => void): boolean => {
      if (demand === undefined || demand.wanted) return false;
      cancelWait = demand.whenWanted(() => {
        cancelWait = undefined;
        if (!stopped) resume();
      });
      return true;
    };
    const later = (resume: () => void): void => {
      timer = setImmediate(() => {
        timer = undefined;
        if (!stopped) resume();
      });
    };

    let iterator: Iterator<T> | AsyncIterator<T>;
    try {
      iterator = asynchronous ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
    } catch (error) {
      subscriber.error(error);
      return;
    }

    const stepSync = (): void => {
      const chunks = iterator as Iterator<T>;
      for (let taken = 0; !stopped; taken++) {
        if (mustWait(stepSync)) return;
        if (taken === CHUNKS_PER_TURN || (demand === undefined && taken === 1)) {
          later(stepSync);
          return;
        }
        let result: IteratorResult<T>;
        try {
          result = chunks.next();
        } catch (error) {
          stopped = true;
          subscriber.error(error);
          return;
        }
        if (result.done === true) {
          stopped = true;
          subscriber.complete();
          return;
        }
        subscriber.next(result.value);
      }
    };

    const stepAsync = async (): Promise<void> => {
      const chunks = iterator as AsyncIterator<T>;
      while (!stopped) {
        if (mustWait(() => void stepAsync())) return;
        let result: IteratorResult<T>;
        try {
          result = await chunks.next();
        } catch (error) {
          if (stopped) return;
          stopped = true;
          subscriber.error(error);
          return;
        }
        if (stopped) return;
        if (result.done === true) {
          stopped = true;
          subscriber.complete();
          return;
        }
        subscriber.next(result.value);
        if (demand === undefined) {
          later(() => void stepAsync());
          return;
        }
      }
    };

    if (asynchronous) void stepAsync();
    else stepSync();

    return () => {
      const finishedByItself = stopped;
      stopped = true;
      cancelWait?.();
      if (timer !== undefined) clearImmediate(timer);
      if (finishedByItself) return;
      // Closes the source: a generator runs its finally blocks, a Readable is destroyed.
      try {
        const closing = iterator.return?.();
        if (closing instanceof Promise) closing.catch(() => undefined);
      } catch {
        // A source that fails to close has nothing more to give us.
      }
    };
  });
}

/** Demand from a connection's writability: wanted while its output is open and below the high-water mark. */
function connectionDemand(connection: Connection): Demand {
  return {
    get wanted() {
      return connection.isWritable;
    },
    whenWanted: (callback) => whenWritable(connection, callback),
  };
}
