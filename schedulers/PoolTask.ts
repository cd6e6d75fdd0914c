/** What the reactor posts to a pool worker for one offloaded task. @internal */
export interface PoolTask {
  /** The task module's URL. */
  readonly module: string;
  /** The exported function's name. */
  readonly name: string;
  /** The task's input (bytes arrive as a `Uint8Array` that owns its buffer). */
  readonly input: unknown;
}

/**
 * What a pool worker throws when the task itself failed, as opposed to the worker dying: Piscina rejects
 * with whatever the worker threw, and this plain object (which survives structured cloning, unlike an
 * `Error`'s class and extra properties) is how the reactor tells the two apart.
 *
 * @internal
 */
export interface PoolTaskFailure {
  /** `'threw'`: the function threw; `'load'`: its module did not load or lacks the export. */
  readonly rxloopTaskFailure: 'threw' | 'load';
  /** What was thrown (an `Error` keeps its message, stack and standard name across threads). */
  readonly error: unknown;
  /** The thrown error's `code`, which structured cloning would drop. */
  readonly code: string | undefined;
}

/** Whether a rejection from the pool is a {@link PoolTaskFailure}. @internal */
export function isPoolTaskFailure(reason: unknown): reason is PoolTaskFailure {
  return typeof reason === 'object' && reason !== null && 'rxloopTaskFailure' in reason;
}
