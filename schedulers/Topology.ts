import type { Observable } from 'rxjs';
import type { SocketAddress } from '../src/backends/Backend.js';
import type { BackendChoice } from '../src/backends/selectBackend.js';
import type { ReactorMetrics } from '../src/diagnostics/ProcessMetrics.js';
import type { ListenOptions } from '../src/listen.js';
import type { ProxyProtocolOptions } from '../operators/readProxyHeader.js';

/**
 * Where and how {@link serve} listens: the options of `listen` without the ones `serve` owns.
 *
 * ## Example
 * ```ts
 * import { serve, singleReactor, type ServeListenOptions } from 'rxloop/schedulers';
 *
 * // One place for where to listen, shared by the tests and the production start-up.
 * const where: ServeListenOptions = { host: '127.0.0.1', port: 0, backlog: 1024, maxConnections: 10_000 };
 * const server = await serve('./handler.js', { ...where, scheduler: singleReactor() });
 * ```
 */
export type ServeListenOptions = Omit<ListenOptions, 'onListening' | 'shutdown' | 'backend'>;

/**
 * Options for {@link serve}.
 *
 * ## Example
 * ```ts
 * import { pooledReactor, serve, type ServeOptions } from 'rxloop/schedulers';
 *
 * const options: ServeOptions = { port: 7000, scheduler: pooledReactor({ workers: 4 }), statsInterval: 5000 };
 * const server = await serve(new URL('./handler.js', import.meta.url), options);
 * server.stats$.subscribe((stats) => console.log(stats.reactors.map((reactor) => reactor.connections)));
 * ```
 */
export interface ServeOptions extends ServeListenOptions {
  /** The topology: `singleReactor()` (default), `pooledReactor(...)` or `multiReactor(...)`. */
  readonly scheduler?: Topology;
  /**
   * The event source (default: the shared node backend): a `Backend`, or the name of one (`'node'`, `'uring'`,
   * `'auto'`, see `selectBackend`). A multi-reactor needs the name: a backend object cannot travel to its
   * sub-reactors, which each resolve the name to a backend of their own; it refuses an object with
   * `ERR_INVALID_ARGUMENT`.
   */
  readonly backend?: BackendChoice;
  /** Milliseconds between {@link Server.stats$} emissions (default 1000). */
  readonly statsInterval?: number;
  /**
   * Read a PROXY protocol header (v1 or v2) from every connection before its handler runs, so that
   * `connection.remoteAddress` is the balancer's client (see `proxyProtocol` in `rxloop/operators`). Not with `tls`.
   */
  readonly proxyProtocol?: ProxyProtocolOptions;
}

/**
 * One reactor's counters, as {@link Server.stats$} reports them.
 *
 * ## Example
 * ```ts
 * import type { ReactorStats } from 'rxloop/schedulers';
 *
 * const line = (r: ReactorStats) => `${r.reactor}: ${r.connections} open, ${r.bytesIn} B in, ${r.bytesOut} B out`;
 * ```
 */
export interface ReactorStats {
  /** The reactor's name: `'main'` for a single reactor, `'sub-0'`, `'sub-1'`, ... for sub-reactors. */
  readonly reactor: string;
  /** Connections open now. */
  readonly connections: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Bytes received on all its connections. */
  readonly bytesIn: number;
  /** Bytes sent on all its connections. */
  readonly bytesOut: number;
  /** Events dispatched to handlers (read completions and scheduled tasks). */
  readonly events: number;
  /** Handlers that ended with an error (a fault: a bad frame, a timeout, a bug). */
  readonly handlerErrors: number;
  /** Connections the peer reset: ordinary events, counted here and never reported as handler errors. */
  readonly peerResets: number;
  /** Offloaded tasks waiting or running on a worker pool (pooled reactor only). */
  readonly tasksInFlight?: number;
  /** Gauges, errors by code, durations and the event loop, from the reactor's own process (see `ReactorMetrics`). */
  readonly metrics?: ReactorMetrics;
}

/**
 * A snapshot of a whole server, one entry per reactor.
 *
 * ## Example
 * ```ts
 * import { serve, type ServerStats } from 'rxloop/schedulers';
 *
 * const open = (stats: ServerStats) => stats.reactors.reduce((sum, reactor) => sum + reactor.connections, 0);
 * const server = await serve('./handler.js', { port: 0, statsInterval: 5000 });
 * server.stats$.subscribe((stats) => console.log(new Date(stats.at).toISOString(), open(stats), 'connections open'));
 * ```
 */
export interface ServerStats {
  /** When the snapshot was taken (ms since the epoch). */
  readonly at: number;
  /** One entry per reactor. */
  readonly reactors: readonly ReactorStats[];
}

/**
 * Something that happened to a server that a supervisor wants to know.
 *
 * ## Example
 * ```ts
 * import { serve, type ServerEvent } from 'rxloop/schedulers';
 *
 * function explain(event: ServerEvent): string {
 *   switch (event.type) {
 *     case 'handler-error': return `${event.reactor}: a handler failed with ${event.code}: ${event.message}`;
 *     case 'reactor-exit': return `${event.reactor} exited (code ${event.exitCode}, signal ${event.signal})`;
 *     case 'reactor-restart': return `${event.reactor} restarted`;
 *     case 'worker-exit': return `${event.reactor}: a worker thread died: ${event.message}`;
 *   }
 * }
 * const server = await serve('./handler.js', { port: 0 });
 * server.events$.subscribe((event) => console.warn(explain(event)));
 * ```
 */
export type ServerEvent =
  | {
      /** A handler's pipeline errored; its connection was closed and the others go on. */
      readonly type: 'handler-error';
      /** The reactor the handler ran on. */
      readonly reactor: string;
      /** The error's stable `code`; `'ERR_TASK_FAILED'` for an error that is not an `RxloopError`. */
      readonly code: string;
      /** The error's message. */
      readonly message: string;
    }
  | {
      /** A sub-reactor process exited (multi-reactor only). */
      readonly type: 'reactor-exit';
      /** The reactor that exited. */
      readonly reactor: string;
      /** Its exit code, or `null` when a signal ended it. */
      readonly exitCode: number | null;
      /** The signal that ended it (`'SIGKILL'`), or `null` when it exited by itself. */
      readonly signal: string | null;
    }
  | {
      /** A sub-reactor process that had exited was started again and serves again (multi-reactor only). */
      readonly type: 'reactor-restart';
      /** The reactor that was restarted. */
      readonly reactor: string;
    }
  | {
      /** A worker thread of the pool died (pooled reactor); it is replaced, its task fails with `ERR_WORKER_DIED`. */
      readonly type: 'worker-exit';
      /** The reactor whose pool the worker belonged to. */
      readonly reactor: string;
      /** What ended the worker. */
      readonly message: string;
    };

/**
 * A running server, returned by {@link serve}.
 *
 * ## Example
 * ```ts
 * import { serve, singleReactor } from 'rxloop/schedulers';
 *
 * const server = await serve(new URL('./echo.js', import.meta.url), { port: 0, scheduler: singleReactor() });
 * server.stats$.subscribe((s) => console.log(s.reactors));
 * await server.stop({ deadline: 5000 });
 * ```
 */
export interface Server {
  /** Where the server listens. */
  readonly address: SocketAddress;
  /** The TCP port it listens on (the real one when 0 was asked); `undefined` on a Unix socket. */
  readonly port: number | undefined;
  /** Per-reactor counters, every `statsInterval` ms while subscribed. */
  readonly stats$: Observable<ServerStats>;
  /** Handler errors, reactor exits and restarts. */
  readonly events$: Observable<ServerEvent>;
  /**
   * Stops gracefully: stops accepting, drains every connection (see `Connection.draining$`: a handler that does
   * not drain itself stops reading at once and answers what it has read), resets what is still open after
   * `deadline` ms (default 5000), and resolves as soon as everything is closed.
   */
  stop(options?: { readonly deadline?: number }): Promise<void>;
}

/**
 * A topology {@link serve} can run a handler module on. Implemented by `singleReactor`, `pooledReactor` and
 * `multiReactor`; swapping one for another changes where the handler runs and nothing else.
 *
 * ## Example
 * ```ts
 * import { serve, type Topology, singleReactor } from 'rxloop/schedulers';
 *
 * const topology: Topology = singleReactor();
 * await serve('./handler.js', { port: 0, scheduler: topology });
 * ```
 */
export interface Topology {
  /** `'single'`, `'pooled'` or `'multi'`. */
  readonly kind: 'single' | 'pooled' | 'multi';
  /**
   * Starts serving. Called by {@link serve}, which has validated the options and resolved the module.
   *
   * @internal
   */
  start(handlerModule: string, options: ServeOptions): Promise<Server>;
}
