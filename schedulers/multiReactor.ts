import { availableParallelism } from 'node:os';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { describe } from '../src/validate.js';
import { MultiReactorServer } from './MultiReactorServer.js';
import type { MultiReactorOptions } from './MultiReactorOptions.js';
import { SERVICE_PATH_VARIABLE } from './SubReactorMessage.js';
import type { ServeOptions, Server, Topology } from './Topology.js';

/**
 * The multi-reactor topology (like nginx or Netty's boss/worker groups): N sub-reactors, each a child process
 * with its own event loop that runs the whole pipeline (read, handler, write) for the connections it owns.
 * Processes rather than worker threads, because Node 20 cannot move a socket into a worker thread. Create it
 * with {@link multiReactor}.
 *
 * Each sub-reactor loads the handler module itself and runs it on a single reactor; `offload` runs inline
 * there. A sub-reactor that dies takes only its own connections with it: `events$` reports `reactor-exit`,
 * and with `restart` a replacement is started and reported as `reactor-restart`. Sub-reactors exit when the
 * main process dies, so none is left behind.
 *
 * Sub-reactors share nothing. State that every connection must see (a store) can live in a **service**: when
 * the handler module exports `service` (the URL or absolute path of another handler module), the main
 * process serves that module on a private Unix socket before it starts the sub-reactors, and each
 * sub-reactor's handler finds the socket with {@link multiReactorService}. The other topologies ignore the
 * export: there the handler shares state in its own process. To read the export the main process imports
 * the handler module (as `singleReactor` does), without calling it. Handler errors of the service are
 * reported with reactor `'service'`.
 *
 * ## Example
 * ```ts
 * import { MultiReactor, serve } from 'rxloop/schedulers';
 *
 * const topology = new MultiReactor({ reactors: 4, accept: 'shared' });
 * const server = await serve('./dist/examples/echo/handler.js', { port: 7000, scheduler: topology });
 * server.events$.subscribe((event) => console.log(event.type, event.reactor));
 * ```
 */
export class MultiReactor implements Topology {
  /** Always `'multi'`. */
  readonly kind = 'multi' as const;
  /** The options, with the defaults applied. */
  readonly settings: Required<MultiReactorOptions>;
  private readonly running = new Set<MultiReactorServer>();

  /**
   * @param options how many sub-reactors, who accepts, how to balance, whether to restart
   * @throws RxloopError `ERR_INVALID_ARGUMENT` when an option is out of range
   */
  constructor(options: MultiReactorOptions = {}) {
    this.settings = settle(options ?? {});
  }

  /** @internal */
  async start(handlerModule: string, options: ServeOptions): Promise<Server> {
    let server: MultiReactorServer | undefined;
    server = await MultiReactorServer.start(handlerModule, options, this.settings, () => {
      if (server !== undefined) this.running.delete(server);
    });
    this.running.add(server);
    return server;
  }

  /**
   * The running sub-reactors of every server started on this topology, with their process ids (for tests
   * and supervisors that want to signal one) and, for threads, their thread ids (the process id is then this
   * process's).
   *
   * @internal
   */
  subReactors(): { reactor: string; pid: number; threadId?: number }[] {
    return [...this.running].flatMap((server) => server.subReactors());
  }
}

/**
 * The multi-reactor topology: N sub-reactor processes, each serving its connections on its own event loop.
 * With `accept: 'acceptor'` (default) the main process accepts and hands sockets over; with
 * `accept: 'shared'` every sub-reactor accepts on the shared listening socket itself. The handler module runs
 * unchanged; only the scheduler given to `serve` differs.
 *
 * ## Example
 * ```ts
 * import { multiReactor, serve } from 'rxloop/schedulers';
 *
 * const server = await serve(new URL('./handler.js', import.meta.url), {
 *   host: '127.0.0.1',
 *   port: 0,
 *   scheduler: multiReactor({ reactors: 2, balance: 'least-connections' }),
 * });
 * server.stats$.subscribe(({ reactors }) => console.log(reactors.map((r) => `${r.reactor}: ${r.connections}`)));
 * process.once('SIGTERM', () => void server.stop({ deadline: 5000 }));
 * ```
 *
 * @param options how many sub-reactors, who accepts, how to balance, whether to restart
 * @returns a new multi-reactor topology
 * @throws RxloopError `ERR_INVALID_ARGUMENT` when an option is out of range
 */
export function multiReactor(options: MultiReactorOptions = {}): MultiReactor {
  return new MultiReactor(options);
}

/**
 * Inside a multi-reactor's sub-reactor, the Unix socket path of the server's service (the handler module's
 * `service` export, served by the main process; see {@link MultiReactor}); `undefined` anywhere else, and
 * when the handler module declares no service. The handler links to it with `serviceLink(path)` (over shared
 * memory rings from a sub-reactor thread, over the socket from a process) or `connect({ path })` (the socket
 * always), and it may read it as its module loads.
 *
 * ## Example
 * ```ts
 * // handler.ts: one counter for the whole server, whatever the topology.
 * import { connect, type Connection } from 'rxloop';
 * import { multiReactorService } from 'rxloop/schedulers';
 *
 * export const service = new URL('./counterService.js', import.meta.url);
 * const servicePath = multiReactorService();
 *
 * export default function handler(connection: Connection) {
 *   // In a sub-reactor, talk to the counter over connect({ path: servicePath }); elsewhere keep it here.
 *   return servicePath === undefined ? connection.data$ : connect({ path: servicePath });
 * }
 * ```
 *
 * @returns the service's socket path, or `undefined`
 */
export function multiReactorService(): string | undefined {
  const path = process.env[SERVICE_PATH_VARIABLE];
  return path === undefined || path === '' ? undefined : path;
}

function settle(options: MultiReactorOptions): Required<MultiReactorOptions> {
  const reactors = options.reactors ?? Math.max(1, availableParallelism());
  if (!Number.isInteger(reactors) || reactors < 1) fail('reactors', 'an integer >= 1', reactors);
  const accept = options.accept ?? 'acceptor';
  if (accept !== 'acceptor' && accept !== 'shared') fail('accept', "'acceptor' or 'shared'", accept);
  const balance = options.balance ?? 'round-robin';
  if (balance !== 'round-robin' && balance !== 'least-connections') {
    fail('balance', "'round-robin' or 'least-connections'", balance);
  }
  const restart = options.restart ?? true;
  if (typeof restart !== 'boolean') fail('restart', 'a boolean', restart);
  const threads = options.threads ?? false;
  if (typeof threads !== 'boolean') fail('threads', 'a boolean', threads);
  return { reactors, accept, balance, restart, threads };
}

function fail(option: string, expected: string, got: unknown): never {
  throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `multiReactor ${option} expected ${expected}, got ${describe(got)}`);
}
