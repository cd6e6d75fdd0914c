import type { TaskRunner } from '../src/HandlerContext.js';
import { loadTask } from '../operators/loadTask.js';
import { loadHandler } from './loadHandler.js';
import { ReactorScheduler, type ReactorSchedulerOptions } from './ReactorScheduler.js';
import { startReactorServer } from './startReactorServer.js';
import type { ServeOptions, Server, Topology } from './Topology.js';

/**
 * The single-reactor topology (like Redis): accepting, reading, processing and writing all happen on one
 * event loop. It is also an RxJS scheduler ({@link ReactorScheduler}) for that loop. Create it with
 * {@link singleReactor}.
 *
 * ## Example
 * ```ts
 * import { SingleReactor, serve } from 'rxloop/schedulers';
 *
 * const reactor = new SingleReactor();
 * await serve('./echo.js', { port: 0, scheduler: reactor });
 * ```
 */
export class SingleReactor extends ReactorScheduler implements Topology {
  /** Always `'single'`. */
  readonly kind = 'single' as const;

  /**
   * @param options the per-turn task budget
   */
  constructor(options: ReactorSchedulerOptions = {}) {
    super(options);
  }

  /** @internal */
  async start(handlerModule: string, options: ServeOptions): Promise<Server> {
    const handler = await loadHandler(handlerModule);
    return startReactorServer({ handler, scheduler: this, options, taskRunner: inlineTaskRunner });
  }
}

/**
 * Runs offloaded tasks on the calling thread: what `offload` does on a single reactor and inside a
 * sub-reactor.
 *
 * @internal
 */
export const inlineTaskRunner: TaskRunner = {
  inline: true,
  // `offload` calls loaded task functions directly when the runner is inline; this path shares its loader (and its
  // per-thread module cache and error messages) rather than importing the module again on every call.
  async run(task, input) {
    return (await loadTask(task))(input);
  },
};

/**
 * The single-reactor topology: everything on one event loop, like Redis. The default of `serve`. The returned
 * object is also an RxJS scheduler whose zero-delay work runs on macrotasks with a per-turn budget, so it
 * never starves the loop's I/O.
 *
 * ## Example
 * ```ts
 * import { serve, singleReactor } from 'rxloop/schedulers';
 *
 * const server = await serve('./dist/examples/echo/handler.js', { port: 7000, scheduler: singleReactor() });
 * console.log('listening on', server.address);
 * ```
 *
 * @param options the per-turn task budget
 * @returns a new single reactor
 */
export function singleReactor(options: ReactorSchedulerOptions = {}): SingleReactor {
  return new SingleReactor(options);
}
