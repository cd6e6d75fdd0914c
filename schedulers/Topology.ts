import type { Observable } from 'rxjs';
import type { SocketAddress } from '../src/backends/Backend.js';
import type { ListenOptions } from '../src/listen.js';

/**
 * Where and how {@link serve} listens: the options of `listen` without the ones `serve` owns.
 */
export type ServeListenOptions = Omit<ListenOptions, 'onListening' | 'shutdown'>;

/** Options for {@link serve}. */
export interface ServeOptions extends ServeListenOptions {
  /** The topology: `singleReactor()` (default), `pooledReactor(...)` or `multiReactor(...)`. */
  readonly scheduler?: Topology;
  /** Milliseconds between {@link Server.stats$} emissions (default 1000). */
  readonly statsInterval?: number;
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
  /** Handlers that ended with an error. */
  readonly handlerErrors: number;
  /** Offloaded tasks waiting or running on a worker pool (pooled reactor only). */
  readonly tasksInFlight?: number;
}

/** A snapshot of a whole server, one entry per reactor. */
export interface ServerStats {
  /** When the snapshot was taken (ms since the epoch). */
  readonly at: number;
  /** One entry per reactor. */
  readonly reactors: readonly ReactorStats[];
}

/** Something that happened to a server that a supervisor wants to know. */
export type ServerEvent =
  | { readonly type: 'handler-error'; readonly reactor: string; readonly code: string; readonly message: string }
  | { readonly type: 'reactor-exit'; readonly reactor: string; readonly exitCode: number | null; readonly signal: string | null }
  | { readonly type: 'reactor-restart'; readonly reactor: string }
  | { readonly type: 'worker-exit'; readonly reactor: string; readonly message: string };

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
  /** Per-reactor counters, every `statsInterval` ms while subscribed. */
  readonly stats$: Observable<ServerStats>;
  /** Handler errors, reactor exits and restarts. */
  readonly events$: Observable<ServerEvent>;
  /**
   * Stops gracefully: stops accepting, lets connections finish for `deadline` ms (default 5000), closes the
   * rest, and resolves when everything is closed.
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
