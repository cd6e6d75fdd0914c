import { ErrorCode, RxloopError } from '../src/errors.js';
import type { TaskRef } from '../src/HandlerContext.js';

/** An offloaded function: one input in, one result (or a promise of it) out. @internal */
export type TaskFunction = (input: unknown) => unknown;

// Per thread: the reactor's inline `offload` and each pool worker keep their own. A function once loaded is
// stored as itself (not as a settled promise), so every later call is synchronous.
const loaded = new Map<string, TaskFunction | Promise<TaskFunction>>();

/**
 * Imports a task's module once per thread and returns its function: the function itself once loaded, a
 * promise of it on first use. A failed load is forgotten, so a later call tries again.
 *
 * @internal
 * @param task the module URL and export name
 * @returns the function, or a promise of it; rejects with `ERR_INVALID_ARGUMENT` when the module does not load
 *   or has no such function export
 */
export function loadTask(task: TaskRef): TaskFunction | Promise<TaskFunction> {
  const name = task.name ?? 'default';
  const key = `${task.module}#${name}`;
  const known = loaded.get(key);
  if (known !== undefined) return known;
  const loading = import(task.module).then(
    (module: Record<string, unknown>) => {
      const fn = module[name];
      if (typeof fn !== 'function') {
        loaded.delete(key);
        throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
          `offload expected ${task.module} to export a function named '${name}', got ${typeof fn}`);
      }
      loaded.set(key, fn as TaskFunction);
      return fn as TaskFunction;
    },
    (error: unknown) => {
      loaded.delete(key);
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        `offload expected an importable task module, but ${task.module} failed to load`, { cause: error });
    },
  );
  loaded.set(key, loading);
  return loading;
}
