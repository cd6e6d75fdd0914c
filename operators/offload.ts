import { setMaxListeners } from 'node:events';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Observable, type OperatorFunction } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { handlerContext, type TaskRef, type TaskRunner } from '../src/HandlerContext.js';
import { loadTask, type TaskFunction } from './loadTask.js';
import { ownedBytes } from './ownedBytes.js';
import { TaskWindow } from './TaskWindow.js';

/**
 * Options for {@link offload}.
 *
 * ## Example
 * ```ts
 * import type { OffloadOptions } from 'rxloop/operators';
 *
 * // Answer a failed request with an error line, keep serving the connection, and let 4 run at once.
 * const options: OffloadOptions<Buffer, string> = { concurrency: 4, onError: (error) => `ERR ${error.code}` };
 * ```
 */
export interface OffloadOptions<T, R> {
  /**
   * Values of one subscription that may be started and not yet emitted (default 8). When the bound is
   * reached the connection stops reading until a result goes out.
   */
  readonly concurrency?: number;
  /**
   * Turns one failed request (`ERR_TASK_FAILED`, `ERR_WORKER_DIED`, `ERR_OVERLOADED`) into the value emitted
   * in its place, so one bad request affects only itself. Without it such a failure errors the stream. If it
   * throws, the stream errors with what it threw.
   */
  readonly onError?: (error: RxloopError, input: T) => R;
}

/**
 * Runs a CPU-heavy stage off the reactor: maps each value through an exported function of a task module, on
 * the topology's worker pool under `pooledReactor`, and inline (essentially `map`) under `singleReactor` or
 * inside a sub-reactor. The handler is written once; the topology decides where the work runs.
 *
 * - **Order**: results are emitted in request order, whatever order the workers finish in.
 * - **Bound**: at most `concurrency` values are started and not yet emitted; at the bound the connection the
 *   handler serves stops reading (TCP backpressure), and it also stops while every pool worker is busy.
 * - **Failures**: a task that throws errors the stream with `ERR_TASK_FAILED` (its `cause` is what was thrown),
 *   a worker that dies with `ERR_WORKER_DIED`; give `onError` to answer that one request instead.
 * - **Cancellation**: unsubscribing aborts the queued and running tasks (a running task's worker is replaced).
 * - **Bytes**: a Buffer or Uint8Array input that owns its whole memory is moved to the worker, not copied,
 *   so it reads as empty afterwards; any other view (a slice, a small pooled Buffer) is copied once. Results
 *   that are bytes come back as Buffers. Other values are structured-cloned.
 *
 * The task module is referenced by URL (`'file:///abs/tasks.js#hash'`, a `URL` with the export name as its
 * hash, or `{ module, name }`), because worker threads load it themselves; the default export is used when no
 * name is given. Create the operator inside the handler: it finds the pool through the handler context.
 *
 * ## Example
 * ```ts
 * // handler.ts, run with serve('./handler.js', { port: 7000, scheduler: pooledReactor({ workers: 4 }) })
 * import type { Connection } from 'rxloop';
 * import { lines, encodeLines, offload, sendTo } from 'rxloop/operators';
 *
 * export default function handler(connection: Connection) {
 *   return connection.data$.pipe(
 *     lines(),
 *     offload<Buffer, string>(new URL('./tasks.js#hashPassword', import.meta.url), {
 *       onError: (error) => `ERR ${error.code}`,
 *     }),
 *     encodeLines(),
 *     sendTo(connection),
 *   );
 * }
 * ```
 *
 * @param task the task module's URL with the export name as its hash, or a `{ module, name }` reference
 * @param options the per-subscription bound and the per-request error mapper
 * @returns an operator that emits each value's task result, in order
 */
export function offload<T, R>(
  task: TaskRef | string | URL,
  options: OffloadOptions<T, R> = {},
): OperatorFunction<T, R> {
  const { connection, taskRunner } = handlerContext();
  const ref = toTaskRef(task);
  const concurrency = options.concurrency ?? 8;
  const onError = options.onError;
  return (source) =>
    new Observable<R>((subscriber) => {
      if (ref instanceof RxloopError) {
        subscriber.error(ref);
        return;
      }
      if (!(Number.isInteger(concurrency) && concurrency > 0)) {
        subscriber.error(new RxloopError(ErrorCode.INVALID_ARGUMENT,
          `offload concurrency expected a positive integer, got ${String(concurrency)}`));
        return;
      }
      if (onError !== undefined && typeof onError !== 'function') {
        subscriber.error(new RxloopError(ErrorCode.INVALID_ARGUMENT,
          `offload onError expected a function, got ${typeof onError}`));
        return;
      }
      let abort: AbortController | undefined;
      let run: (input: T) => R | PromiseLike<R>;
      if (taskRunner !== undefined && !taskRunner.inline) {
        abort = new AbortController();
        // Piscina adds one abort listener per task on the signal: allow as many as may be in flight.
        setMaxListeners(concurrency + 1, abort.signal);
        run = pooled<T, R>(taskRunner, ref, abort.signal, connection);
      } else {
        run = inline<T, R>(ref);
      }
      const window = new TaskWindow<T, R>(subscriber, run, { concurrency, onError, connection });
      const upstream = source.subscribe({
        next: (value) => window.push(value),
        error: (error) => subscriber.error(error),
        complete: () => window.end(),
      });
      return () => {
        upstream.unsubscribe();
        window.close();
        abort?.abort();
      };
    });
}

/** Runs tasks on this thread: loads the module once, then calls the function synchronously per value. */
function inline<T, R>(task: TaskRef): (input: T) => R | PromiseLike<R> {
  let fn: TaskFunction | undefined;
  const call = (loaded: TaskFunction, input: T): R | PromiseLike<R> => {
    let result: unknown;
    try {
      result = loaded(input);
    } catch (error) {
      throw taskFailed(task, error);
    }
    if (typeof (result as PromiseLike<R> | null)?.then === 'function') {
      return (result as PromiseLike<R>).then(undefined, (error: unknown) => {
        throw taskFailed(task, error);
      });
    }
    return result as R;
  };
  return (input) => {
    if (fn !== undefined) return call(fn, input);
    const loading = loadTask(task);
    if (typeof loading === 'function') {
      fn = loading;
      return call(fn, input);
    }
    // The first values wait for the import; the window keeps them in order.
    return loading.then((loaded) => {
      fn = loaded;
      return call(loaded, input);
    });
  };
}

/** Runs tasks on the topology's pool, moving (or copying once) byte inputs. */
function pooled<T, R>(
  runner: TaskRunner,
  task: TaskRef,
  signal: AbortSignal,
  connection: Connection | undefined,
): (input: T) => PromiseLike<R> {
  return (input) => {
    let payload: unknown = input;
    let transferList: ArrayBuffer[] | undefined;
    if (input instanceof Uint8Array) {
      const owned = ownedBytes(input);
      payload = owned;
      transferList = [owned.buffer];
    }
    // `connection` lets the pool hold this connection while every worker is busy.
    const runOptions = { signal, transferList, connection };
    return runner.run(task, payload, runOptions).then(
      (result) => result as R,
      (error: unknown) => {
        throw error instanceof RxloopError ? error : taskFailed(task, error);
      },
    );
  };
}

function taskFailed(task: TaskRef, error: unknown): RxloopError {
  const detail = error instanceof Error ? error.message : String(error);
  return new RxloopError(ErrorCode.TASK_FAILED,
    `offloaded task '${task.name ?? 'default'}' of ${task.module} expected to return, but it threw: ${detail}`,
    { cause: error });
}

/** Parses `'file:///abs/tasks.js#name'`, a URL, or a `{ module, name }` into an absolute module URL and a name. */
function toTaskRef(task: TaskRef | string | URL): TaskRef | RxloopError {
  let module: unknown;
  let name: unknown;
  const text = task instanceof URL ? task.href : task;
  if (typeof text === 'string') {
    const hash = text.lastIndexOf('#');
    module = hash === -1 ? text : text.slice(0, hash);
    name = hash === -1 || hash === text.length - 1 ? 'default' : text.slice(hash + 1);
  } else if (typeof text === 'object' && text !== null) {
    module = text.module;
    name = text.name ?? 'default';
  }
  if (typeof module !== 'string' || module.length === 0 || typeof name !== 'string' || name.length === 0) {
    return new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `offload expected a task module URL ('file:///abs/tasks.js#name') or { module, name }, got ${describe(task)}`);
  }
  if (isAbsolute(module)) return { module: pathToFileURL(module).href, name };
  if (!/^[a-z][a-z0-9+.-]*:/i.test(module)) {
    return new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `offload expected an absolute file URL or path for the task module (worker threads resolve it), got '${module}'`);
  }
  return { module, name };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : value === null ? 'null' : typeof value;
}
