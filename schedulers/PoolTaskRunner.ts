import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { TaskRef, TaskRunner } from '../src/HandlerContext.js';
import { isPoolTaskFailure, type PoolTask } from './PoolTask.js';

// Any cheap built-in export will do: warming up must not depend on a user's module.
const warmUpTask: TaskRef = { module: 'node:os', name: 'availableParallelism' };

/** Options for a {@link PoolTaskRunner}. @internal */
export interface PoolTaskRunnerOptions {
  /** Worker threads, all started at once and replaced when one dies. */
  readonly workers: number;
  /** Tasks that may wait for a free worker, pool-wide; beyond it a task fails with `ERR_OVERLOADED`. */
  readonly maxQueue: number;
  /** Told when a worker thread died (it is replaced; its task failed with `ERR_WORKER_DIED`). */
  readonly onWorkerExit?: (message: string) => void;
}

/** What `offload` passes to {@link TaskRunner.run}, plus the connection that submits. @internal */
export interface PoolRunOptions {
  readonly signal: AbortSignal;
  readonly transferList?: ArrayBuffer[];
  /** The connection the task serves: held (not read) while every worker is busy. */
  readonly connection?: Connection;
}

/**
 * Runs offloaded tasks on a Piscina pool of worker threads: the task runner of `pooledReactor`.
 *
 * Backpressure: while every worker is busy (Piscina's `needsDrain` condition, tracked here synchronously from
 * our own count), each connection that submits a task is held, so it stops reading and its peer feels TCP
 * backpressure; the holds are released as soon as a worker is free again. The queue is thus fed only by
 * requests already read, and `maxQueue` caps it (counted here, see `run`).
 *
 * @internal
 */
export class PoolTaskRunner implements TaskRunner {
  /** Tasks run on worker threads, never inline. */
  readonly inline = false;
  private readonly pool: Piscina;
  private readonly options: PoolTaskRunnerOptions;
  private readonly held = new Map<Connection, () => void>();
  private inFlight = 0;
  private closing = false;

  constructor(options: PoolTaskRunnerOptions) {
    this.options = options;
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('./poolWorker.js', import.meta.url)),
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
    });
    // A worker that fails while it holds no task is reported here; unhandled, the event would crash us.
    this.pool.on('error', (error: unknown) => {
      if (!this.closing) this.options.onWorkerExit?.(error instanceof Error ? error.message : String(error));
    });
  }

  /** Tasks submitted and not yet settled (queued or running). */
  get tasksInFlight(): number {
    return this.inFlight;
  }

  /** Runs `task` on a worker; rejects with an `RxloopError` (`ERR_TASK_FAILED`, `ERR_WORKER_DIED`, ...). */
  run(task: TaskRef, input: unknown, options: PoolRunOptions): Promise<unknown> {
    const message: PoolTask = { module: task.module, name: task.name ?? 'default', input };
    const connection = options.connection;
    if (connection !== undefined && this.inFlight + 1 >= this.options.workers && !this.held.has(connection)) {
      this.held.set(connection, connection.hold());
    }
    // Piscina's own maxQueue does not bound tasks that carry an AbortSignal (they wait in its unbounded skip
    // queue), and ours always do: count waiting tasks here (one task per worker, so waiting = in flight - workers).
    if (this.inFlight - this.options.workers >= this.options.maxQueue) {
      return Promise.reject(new RxloopError(ErrorCode.OVERLOADED,
        `offloaded task ${describe(message)} expected room in the worker pool's queue ` +
          `(maxQueue ${this.options.maxQueue}), but it was full`));
    }
    this.inFlight++;
    return this.pool.run(message, { signal: options.signal, transferList: options.transferList }).then(
      (result: unknown) => {
        this.settled();
        return result;
      },
      (reason: unknown) => {
        this.settled();
        throw this.toTaskError(reason, message);
      },
    );
  }

  /**
   * Resolves once every worker has booted and run a task, so the first requests do not pay for thread start-up
   * (hundreds of milliseconds on a small machine). Rejects when workers fail to start.
   */
  async warmUp(): Promise<void> {
    const signal = new AbortController().signal;
    const tasks: Promise<unknown>[] = [];
    // Piscina gives each idle worker one task, so `workers` concurrent tasks reach every worker.
    for (let i = 0; i < this.options.workers; i++) tasks.push(this.run(warmUpTask, undefined, { signal }));
    await Promise.all(tasks);
  }

  /** Stops the workers; tasks still queued or running fail with `ERR_CANCELLED`. */
  async close(): Promise<void> {
    this.closing = true;
    this.releaseHolds();
    await this.pool.destroy();
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight < this.options.workers) this.releaseHolds();
  }

  private releaseHolds(): void {
    if (this.held.size === 0) return;
    for (const release of this.held.values()) release();
    this.held.clear();
  }

  private toTaskError(reason: unknown, task: PoolTask): RxloopError {
    const described = describe(task);
    if (isPoolTaskFailure(reason)) {
      const cause = reason.error;
      if (reason.code !== undefined && typeof cause === 'object' && cause !== null) {
        (cause as { code?: string }).code = reason.code;
      }
      const detail = cause instanceof Error ? cause.message : String(cause);
      if (reason.rxloopTaskFailure === 'load') return new RxloopError(ErrorCode.INVALID_ARGUMENT, detail, { cause });
      return new RxloopError(ErrorCode.TASK_FAILED,
        `offloaded task ${described} expected to return, but it threw: ${detail}`, { cause });
    }
    const detail = reason instanceof Error ? reason.message : String(reason);
    if ((reason as Error | undefined)?.name === 'AbortError' || this.closing) {
      return new RxloopError(ErrorCode.CANCELLED, `offloaded task ${described} was cancelled before it finished`,
        { cause: reason });
    }
    this.options.onWorkerExit?.(detail);
    return new RxloopError(ErrorCode.WORKER_DIED,
      `offloaded task ${described} expected a result, but its worker thread died: ${detail}`, { cause: reason });
  }
}

function describe(task: PoolTask): string {
  return `'${task.name}' of ${task.module}`;
}
