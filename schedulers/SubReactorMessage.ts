import type { ProxyProtocolOptions } from '../operators/readProxyHeader.js';
import type { Socket } from 'node:net';
import type { SocketAddress } from '../src/backends/Backend.js';
import type { ReactorStats, ServerEvent } from './Topology.js';

/**
 * What a sub-reactor is told at start: a process as JSON in its first argument (it travels in `argv` rather
 * than as a message because IPC messages that arrive before the child's module has attached its `'message'`
 * listener are dropped), a thread as its `workerData`.
 *
 * @internal
 */
export interface SubReactorConfig {
  /** The reactor's name in stats and events (`'sub-0'`, `'sub-1'`, ...). */
  readonly reactor: string;
  /** The handler module, as an absolute URL. */
  readonly handlerModule: string;
  /** Connections this sub-reactor keeps open at most (`null`: no limit). */
  readonly maxConnections: number | null;
  /** Passed to every adopted `Connection`. */
  readonly pauseReadingOnWriteBacklog: boolean | undefined;
  /** The backend's name, resolved in the sub-reactor (absent: the default backend). */
  readonly backend?: 'node' | 'uring' | 'auto';
  /** The Unix socket of the server's service (the handler module's `service` export), if it has one. */
  readonly servicePath?: string;
  /** `serve`'s `proxyProtocol` (a `timeout` of `Infinity` travels as `null`). */
  readonly proxyProtocol?: ProxyProtocolOptions;
  /**
   * Where to listen itself, with `reusePort`, beside the other sub-reactors (a thread in shared-accept mode);
   * absent when the main side hands it sockets or a listening socket.
   */
  readonly listen?: { readonly host?: string; readonly port: number; readonly backlog?: number };
}

/**
 * The environment variable through which a sub-reactor's handler finds its server's service (see
 * `multiReactorService`). The sub-reactor sets it before it loads the handler module.
 *
 * @internal
 */
export const SERVICE_PATH_VARIABLE = 'RXLOOP_MULTI_REACTOR_SERVICE';

/**
 * Messages from the main side to a sub-reactor. To a process, `connection` and `server` carry a handle (the
 * accepted socket, the shared listening socket) as the second argument of `send`; to a thread, `connection`
 * carries the socket in `socket`, moved with the message.
 *
 * @internal
 */
export type ToSubReactor =
  | {
      readonly type: 'connection';
      readonly socket?: Socket;
      /**
       * Instead of `socket`, to a thread on a backend that adopts descriptors: the accepted socket's duplicate.
       * It stays the main thread's: the thread adopts a duplicate of its own (or refuses) and acknowledges the
       * number in its next `load` report, and the main thread closes it then, or when the thread has exited.
       */
      readonly descriptor?: number;
      /** Whether `descriptor` is a Unix socket. */
      readonly unix?: boolean;
    }
  | { readonly type: 'server' }
  | { readonly type: 'lend-server' }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'stop'; readonly deadline: number };

/**
 * Messages from a sub-reactor to the main process. `server` carries the listening socket back (when the main
 * process needs a copy to give a replacement sub-reactor), or no handle when this sub-reactor has none.
 * `service-link` (threads only) carries the memory of a new link to the service (see `serviceLink`).
 *
 * @internal
 */
export type FromSubReactor =
  | { readonly type: 'ready'; readonly address?: SocketAddress }
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  | {
      readonly type: 'load';
      readonly connections: number;
      readonly adopted: number;
      /**
       * The descriptors of `connection` messages (see `ToSubReactor`) handled since the last report, adopted as a
       * duplicate or refused: the main thread owns each one until it reads it here, then closes it (absent: none).
       */
      readonly descriptors?: readonly number[];
    }
  | { readonly type: 'stats'; readonly id: number; readonly stats: ReactorStats }
  | { readonly type: 'event'; readonly event: ServerEvent }
  | { readonly type: 'server' }
  | { readonly type: 'service-link'; readonly toService: SharedArrayBuffer; readonly fromService: SharedArrayBuffer };
