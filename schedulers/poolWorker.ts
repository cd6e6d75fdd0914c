import { move } from 'piscina';
import { loadTask, type TaskFunction } from '../operators/loadTask.js';
import { ownedBytes } from '../operators/ownedBytes.js';
import type { PoolTask, PoolTaskFailure } from './PoolTask.js';

/**
 * The body of every `pooledReactor` worker thread: loads the task's module by URL (once per worker), calls
 * the named export on the input, and sends the result back, moving result bytes instead of cloning them.
 * A function that throws is reported as a {@link PoolTaskFailure}, so the reactor can tell a failed task from
 * a dead worker.
 *
 * @internal
 * @param task the module, export name and input
 * @returns the task's result
 */
export default async function poolWorker(task: PoolTask): Promise<unknown> {
  let fn: TaskFunction | Promise<TaskFunction> = loadTask(task);
  if (typeof fn !== 'function') {
    try {
      fn = await fn;
    } catch (error) {
      throw failure('load', error);
    }
  }
  // Bytes arrive as a plain Uint8Array (cloning drops the Buffer prototype); tasks get the Buffer they would
  // get inline, as a view of the same memory.
  const input = task.input instanceof Uint8Array
    ? Buffer.from(task.input.buffer, task.input.byteOffset, task.input.byteLength)
    : task.input;
  let result: unknown;
  try {
    result = await fn(input);
  } catch (error) {
    throw failure('threw', error);
  }
  if (result instanceof Uint8Array) return move(ownedBytes(result));
  return result;
}

function failure(kind: PoolTaskFailure['rxloopTaskFailure'], error: unknown): PoolTaskFailure {
  const code = (error as { code?: unknown } | null)?.code;
  return { rxloopTaskFailure: kind, error: cloneable(error), code: typeof code === 'string' ? code : undefined };
}

/**
 * What was thrown, in a form `postMessage` can clone: a thrown function, or an error whose `cause` holds one,
 * would make the reply itself fail and take the worker down.
 */
function cloneable(error: unknown): unknown {
  try {
    structuredClone(error);
    return error;
  } catch {
    return error instanceof Error ? new Error(error.message) : String(error);
  }
}
