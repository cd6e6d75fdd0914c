import { Observable, from, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { checkCount } from '../src/validate.js';
import { containError } from './containError.js';

/**
 * A protocol handler: it gets one connection and returns the pipeline that serves it. The same function is the
 * default export of a handler module for `serve()`, so one handler runs under {@link handle} and under every
 * topology.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { sendTo, type Handler } from 'rxloop/operators';
 *
 * const echo: Handler = (connection: Connection) => connection.data$.pipe(sendTo(connection));
 * export default echo;
 * ```
 */
export type Handler = (connection: Connection) => ObservableInput<unknown>;

/**
 * Options for {@link handle}.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, sendTo, type HandleOptions } from 'rxloop/operators';
 *
 * // A finished connection whose peer does not read its last bytes is reset after 5 s instead of 30.
 * const options: HandleOptions = { linger: 5000 };
 * listen({ port: 7000 }).pipe(handle((c) => c.data$.pipe(sendTo(c)), options)).subscribe();
 * ```
 */
export interface HandleOptions {
  /**
   * Milliseconds a connection whose pipeline has finished may take to flush its last bytes before it is reset
   * (default 30000): a peer that never reads must not hold a finished connection, and its memory, for ever.
   */
  readonly linger?: number;
}

/**
 * What {@link handle} reports about the connections it serves.
 *
 * - `'handler-error'`: a pipeline failed (a frame over its limit, a timeout, a bug in the handler). Only that
 *   connection was closed: in order (its queued output flushed, so an error reply still reaches the peer) for
 *   errors about the peer's input or pace, with a reset for anything else, so that the peer never mistakes a
 *   failure for a normal end.
 * - `'peer-reset'`: the peer reset the connection (or vanished while we wrote). An ordinary event, not a fault:
 *   count it, do not log it.
 *
 * ## Example
 * ```ts
 * import type { HandleEvent } from 'rxloop/operators';
 *
 * const resets = { count: 0 };
 * function onEvent(event: HandleEvent): void {
 *   if (event.type === 'peer-reset') resets.count++;
 *   else console.error(`connection ${event.connection.id}: ${event.code} ${event.message}`);
 * }
 * ```
 */
export type HandleEvent =
  | {
      readonly type: 'handler-error';
      /** The connection whose pipeline failed (closed by now, or closing). */
      readonly connection: Connection;
      /** The error's stable `code`; `'ERR_TASK_FAILED'` for an error that is not an `RxloopError`. */
      readonly code: string;
      /** The error's message. */
      readonly message: string;
      /** What the pipeline errored with. */
      readonly error: unknown;
    }
  | {
      readonly type: 'peer-reset';
      /** The connection the peer reset. */
      readonly connection: Connection;
    };

/**
 * Serves every connection from the source with `handler`, so that one connection never takes the others down:
 * the safe way to write a server with `listen`.
 *
 * For each connection it subscribes `handler(connection)` and then:
 * - when the pipeline **completes**, closes the connection once its queued writes are flushed (bounded by
 *   `linger`);
 * - when it **errors**, closes that connection alone (see {@link HandleEvent} for how) and reports the error on
 *   the stream this operator returns, which keeps going: a peer that resets, a hostile frame, a handler that
 *   throws cost their own connection and nothing else;
 * - when the returned stream is **unsubscribed**, stops every pipeline and closes every connection.
 *
 * The returned stream emits {@link HandleEvent}s, errors only when the source does (the server could not
 * listen), and completes when the source has completed and every pipeline has finished (so a graceful
 * `listen` shutdown waits for the handlers).
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, sendTo } from 'rxloop/operators';
 *
 * // An echo server no client can kill: a reset or a bad frame closes that client's connection only.
 * listen({ host: '127.0.0.1', port: 7000 })
 *   .pipe(handle((connection) => connection.data$.pipe(sendTo(connection))))
 *   .subscribe({
 *     next: (event) => { if (event.type === 'handler-error') console.error(event.code, event.message); },
 *     error: (error) => console.error('cannot listen:', error.code),
 *   });
 * ```
 *
 * @param handler builds the pipeline for one connection
 * @param options how long a finished connection may linger
 * @returns an operator from connections to what happened to them
 */
export function handle(handler: Handler, options: HandleOptions = {}): OperatorFunction<Connection, HandleEvent> {
  const problem = checkCount('handle linger', options.linger);
  if (problem !== undefined) throw problem;
  if (typeof handler !== 'function') {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `handle expected a handler function, got ${typeof handler}`);
  }
  const linger = options.linger ?? DEFAULT_LINGER;
  return (connections) =>
    serveEach<HandleEvent>(connections, (connection, report, done) =>
      serveConnection(connection, () => handler(connection), linger, report, done));
}

/**
 * Subscribes the source and starts `serve` for each connection it emits, keeping every running pipeline: the
 * returned Observable emits what the pipelines report, completes once the source has completed and every
 * pipeline has called `done`, and unsubscribing stops them all. The loop under {@link handle} and `serve()`.
 *
 * @internal
 */
export function serveEach<E>(
  connections: Observable<Connection>,
  serve: (connection: Connection, report: (event: E) => void, done: () => void) => Subscription,
): Observable<E> {
  return new Observable<E>((subscriber) => {
    const running = new Set<Subscription>();
    let sourceDone = false;
    const finishIfIdle = (): void => {
      if (sourceDone && running.size === 0) subscriber.complete();
    };
    const report = (event: E): void => subscriber.next(event);
    const source = connections.subscribe({
      next: (connection) => {
        let subscription: Subscription | undefined;
        let ended = false;
        subscription = serve(connection, report, () => {
          ended = true;
          if (subscription !== undefined) running.delete(subscription);
          finishIfIdle();
        });
        if (!ended) running.add(subscription);
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        sourceDone = true;
        finishIfIdle();
      },
    });
    return () => {
      source.unsubscribe();
      for (const subscription of running) subscription.unsubscribe();
      running.clear();
    };
  });
}

/** The default of {@link HandleOptions.linger}. */
const DEFAULT_LINGER = 30_000;

/**
 * Runs one connection's pipeline with the rules of {@link handle}; `serve()` and every topology use it too.
 * `run` calls the handler (a topology wraps that call in its handler context); `report` gets the events; `done`
 * is called once the pipeline has finished, whichever way.
 *
 * @internal
 */
export function serveConnection(
  connection: Connection,
  run: () => ObservableInput<unknown>,
  linger: number,
  report: (event: HandleEvent) => void,
  done: () => void,
): Subscription {
  let pipeline: Observable<unknown>;
  try {
    pipeline = from(run());
  } catch (error) {
    pipeline = new Observable((subscriber) => subscriber.error(error));
  }
  let finished = false;
  const subscription = pipeline.subscribe({
    error: (error) => {
      finished = true;
      contain(connection, error, linger, report);
      done();
    },
    complete: () => {
      finished = true;
      connection.close({ linger });
      done();
    },
  });
  subscription.add(() => {
    if (!finished) connection.close({ linger });
  });
  return subscription;
}

/** Ends `connection` the way `error` demands and reports it. */
function contain(connection: Connection, error: unknown, linger: number, report: (event: HandleEvent) => void): void {
  const outcome = containError(connection, error, linger);
  // A drain ends the input where it is: a frame cut short by it is the stop's doing, not the peer's or ours.
  if (connection.isDraining && error instanceof RxloopError && error.code === ErrorCode.FRAME_TRUNCATED) return;
  if (outcome === 'peer-reset') {
    report({ type: 'peer-reset', connection });
    return;
  }
  report({
    type: 'handler-error',
    connection,
    code: error instanceof RxloopError ? error.code : ErrorCode.TASK_FAILED,
    message: error instanceof Error ? error.message : String(error),
    error,
  });
}
