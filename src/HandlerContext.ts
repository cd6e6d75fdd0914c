import type { Connection } from './Connection.js';

/**
 * A reference to a function that worker threads can load: a module specifier (file URL) and an export name.
 *
 * ## Example
 * ```ts
 * import type { Connection, TaskRef } from 'rxloop';
 * import { encodeLines, lines, offload, sendTo } from 'rxloop/operators';
 *
 * const hashPassword: TaskRef = { module: new URL('./tasks.js', import.meta.url).href, name: 'hashPassword' };
 * export default function handler(connection: Connection) {
 *   return connection.data$.pipe(lines(), offload<Buffer, string>(hashPassword), encodeLines(), sendTo(connection));
 * }
 * ```
 */
export interface TaskRef {
  /** The module, as an absolute file URL or path. */
  readonly module: string;
  /** The exported function's name (default `'default'`). */
  readonly name?: string;
}

/**
 * Runs offloaded tasks: inline on the reactor, or on a worker pool. Installed by the topology that runs a
 * handler, found by the `offload` operator.
 *
 * @internal
 */
export interface TaskRunner {
  /** Whether tasks run on the calling thread (then `offload` needs no reordering). */
  readonly inline: boolean;
  /** Runs `task` on `input`; `transferList` names buffers that may move instead of being copied. */
  run(
    task: TaskRef,
    input: unknown,
    options: { signal: AbortSignal; transferList?: ArrayBuffer[]; connection?: Connection },
  ): Promise<unknown>;
}

/**
 * What a handler runs inside: the connection it serves and the task runner of its topology. Set by `serve`
 * while it calls the handler, so that operators created by the handler (`offload`) find them without the
 * handler having to pass them around.
 *
 * @internal
 */
export interface HandlerContext {
  readonly connection?: Connection;
  readonly taskRunner?: TaskRunner;
}

let current: HandlerContext = {};

/**
 * Calls `fn` with `context` as the current handler context, restoring the previous one afterwards.
 *
 * @internal
 */
export function runInHandlerContext<T>(context: HandlerContext, fn: () => T): T {
  const previous = current;
  current = context;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/**
 * The handler context of the code running now (empty outside a handler call).
 *
 * @internal
 */
export function handlerContext(): HandlerContext {
  return current;
}
