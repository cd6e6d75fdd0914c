import { availableParallelism } from 'node:os';
import { Subject } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { loadHandler } from './loadHandler.js';
import { PoolTaskRunner } from './PoolTaskRunner.js';
import { ReactorScheduler } from './ReactorScheduler.js';
import { startReactorServer } from './startReactorServer.js';
import type { ServeOptions, Server, ServerEvent, Topology } from './Topology.js';

/**
 * Options for {@link pooledReactor}.
 *
 * ## Example
 * ```ts
 * import { pooledReactor, type PooledReactorOptions } from 'rxloop/schedulers';
 *
 * const options: PooledReactorOptions = { workers: 4, maxQueue: 256 };
 * const topology = pooledReactor(options);
 * ```
 */
export interface PooledReactorOptions {
  /** Worker threads for offloaded tasks (default: one per core but the reactor's, at least 1). */
  readonly workers?: number;
  /**
   * Tasks that may wait for a free worker, pool-wide (default 1024). Connections stop reading while every
   * worker is busy, so the queue only takes requests already read; past this bound a task fails with
   * `ERR_OVERLOADED` (which `offload`'s `onError` can answer).
   */
  readonly maxQueue?: number;
  /** Zero-delay tasks the reactor runs per turn of the event loop before yielding to I/O (default 1024). */
  readonly tasksPerTurn?: number;
}

/**
 * The pooled-reactor topology: one reactor does all the I/O, and the stages a handler marks with `offload`
 * run on a pool of worker threads, so a CPU-heavy request does not stall the other connections. It is also
 * an RxJS scheduler ({@link ReactorScheduler}) for the reactor's loop. Create it with {@link pooledReactor}.

`serve` resolves once the server listens and every worker has started (thread start-up takes from tens to
hundreds of milliseconds, which the first requests would otherwise wait for).
 *
 * `stats$` reports `tasksInFlight` (queued or running on the pool); `events$` reports `'worker-exit'` when a
 * worker thread dies (it is replaced, and the task it held fails with `ERR_WORKER_DIED`). The pool is closed
 * when the server has stopped.
 *
 * ## Example
 * ```ts
 * import { PooledReactor, serve } from 'rxloop/schedulers';
 *
 * const reactor = new PooledReactor({ workers: 2 });
 * const server = await serve('./handler.js', { port: 0, scheduler: reactor });
 * server.events$.subscribe((event) => console.log(event.type));
 * ```
 */
export class PooledReactor extends ReactorScheduler implements Topology {
  /** Always `'pooled'`. */
  readonly kind = 'pooled' as const;
  /** Worker threads per server. */
  readonly workers: number;
  /** Tasks that may wait for a worker, pool-wide. */
  readonly maxQueue: number;

  /**
   * @param options the pool size and queue bound, the per-turn task budget
   */
  constructor(options: PooledReactorOptions = {}) {
    super(options);
    const workers = options.workers ?? Math.max(1, availableParallelism() - 1);
    const maxQueue = options.maxQueue ?? 1024;
    if (!(Number.isInteger(workers) && workers > 0)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        `pooledReactor workers expected a positive integer, got ${String(workers)}`);
    }
    if (!((Number.isInteger(maxQueue) && maxQueue >= 0) || maxQueue === Infinity)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        `pooledReactor maxQueue expected a non-negative integer or Infinity, got ${String(maxQueue)}`);
    }
    this.workers = workers;
    this.maxQueue = maxQueue;
  }

  /** @internal */
  async start(handlerModule: string, options: ServeOptions): Promise<Server> {
    const handler = await loadHandler(handlerModule);
    const events = new Subject<ServerEvent>();
    const runner = new PoolTaskRunner({
      workers: this.workers,
      maxQueue: this.maxQueue,
      onWorkerExit: (message) => events.next({ type: 'worker-exit', reactor: 'main', message }),
    });
    // Boot the workers while binding, so the server is ready to offload when `serve` resolves.
    const warming = runner.warmUp().then(
      () => undefined,
      (error: unknown) => error ?? new Error('worker start failed'),
    );
    let server: Server;
    try {
      server = await startReactorServer({
        handler,
        scheduler: this,
        options,
        taskRunner: runner,
        extraStats: () => ({ tasksInFlight: runner.tasksInFlight }),
        onStopped: () => runner.close(),
        events,
      });
    } catch (error) {
      await runner.close();
      throw error;
    }
    const failed = await warming;
    if (failed !== undefined) {
      await server.stop({ deadline: 0 });
      throw new RxloopError(ErrorCode.WORKER_DIED,
        `pooledReactor expected ${this.workers} worker threads to start, but they failed`, { cause: failed });
    }
    return server;
  }
}

/**
 * The pooled-reactor topology: one event loop does all the I/O, and `offload` stages run on a pool of worker
 * threads (like a Netty event loop with a separate executor for blocking work). A request that needs 200 ms
 * of CPU no longer makes every other connection wait 200 ms. Requests of one connection still get their
 * answers in order. The handler module is the same one `singleReactor()` runs.
 *
 * ## Example
 * ```ts
 * import { pooledReactor, serve } from 'rxloop/schedulers';
 *
 * const server = await serve(new URL('./handler.js', import.meta.url), {
 *   host: '127.0.0.1',
 *   port: 7000,
 *   scheduler: pooledReactor({ workers: 4, maxQueue: 256 }),
 * });
 * server.stats$.subscribe((s) => console.log('tasks in flight', s.reactors[0]?.tasksInFlight));
 * ```
 *
 * @param options the pool size (`workers`), the queue bound (`maxQueue`), the reactor's per-turn task budget
 * @returns a new pooled reactor
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for a non-positive `workers` or a negative `maxQueue`
 */
export function pooledReactor(options: PooledReactorOptions = {}): PooledReactor {
  return new PooledReactor(options);
}
