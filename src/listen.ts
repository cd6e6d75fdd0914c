import { Observable } from 'rxjs';
import type { TlsOptions } from 'node:tls';
import type { Backend, SocketAddress, Transport } from './backends/Backend.js';
import { defaultBackend } from './backends/defaultBackend.js';
import { Connection, type ConnectionOptions } from './Connection.js';
import { checkCount, checkEndpoint, invalid } from './validate.js';
import { outputLimitProblem } from './connection/outputLimits.js';
import type { RxloopError } from './errors.js';
import { diagnostics } from './diagnostics/channels.js';

/**
 * What a listening server tells its caller once it is bound, through {@link ListenOptions.onListening}.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 *
 * listen({ port: 0, onListening: (server) => console.log('listening on port', server.port) }).subscribe();
 * ```
 */
export interface ListeningServer {
  /** Where the server listens (with the real port when 0 was asked). */
  readonly address: SocketAddress;
  /** The TCP port it listens on (the real one when 0 was asked); `undefined` on a Unix socket. */
  readonly port: number | undefined;
  /** Connections open now. */
  readonly connections: number;
  /** Connections accepted since the server started. */
  readonly accepted: number;
  /** Connections refused because `maxConnections` were open. */
  readonly refused: number;
  /** Accepts that failed without stopping the server (EMFILE, ENFILE, ECONNABORTED). */
  readonly acceptErrors: number;
  /** The last such failure, for logs. */
  readonly lastAcceptError: RxloopError | undefined;
}

/**
 * Options for {@link listen}. Give `port` (TCP, 0 picks a free port) or `path` (Unix socket).
 *
 * ## Example
 * ```ts
 * import { listen, type ListenOptions } from 'rxloop';
 *
 * const stop = new AbortController();
 * const options: ListenOptions = { host: '127.0.0.1', port: 0, maxConnections: 1000, shutdown: stop.signal };
 * listen(options).subscribe((connection) => connection.write('hello\n'));
 * process.once('SIGTERM', () => stop.abort());
 * ```
 */
export interface ListenOptions extends ConnectionOptions {
  /** The address to bind (default: all interfaces, as Node does). Use `'127.0.0.1'` for loopback only. */
  readonly host?: string;
  /** The TCP port; 0 lets the operating system choose. */
  readonly port?: number;
  /** A Unix socket path. */
  readonly path?: string;
  /** The length of the kernel's queue of connections not yet accepted. */
  readonly backlog?: number;
  /** TLS server options (`key`, `cert`, ...). The connections are then TLS with the same API. */
  readonly tls?: TlsOptions;
  /**
   * Share the port with other listeners that ask for it too (SO_REUSEPORT): several threads or processes each
   * listen, and the kernel spreads connections between them. Fails with `ERR_UNSUPPORTED` where the backend or
   * Node.js cannot (the node backend needs Node 22.12 or later; Node 20 would silently ignore it).
   */
  readonly reusePort?: boolean;
  /** The event source (default: the shared `node` backend). */
  readonly backend?: Backend;
  /** Open connections allowed at once; further ones are closed as soon as they are accepted (default Infinity). */
  readonly maxConnections?: number;
  /** Called once the server is bound, with its address. */
  readonly onListening?: (server: ListeningServer) => void;
  /**
   * Starts a graceful shutdown when aborted: stop accepting, drain every open connection (see
   * `Connection.draining$`: it stops reading new input, unless its handler drains it itself), let them finish
   * for `gracePeriod` milliseconds, reset those still open, then complete. Unsubscribing instead stops at once.
   */
  readonly shutdown?: AbortSignal;
  /** Milliseconds open connections get to finish after `shutdown` (default 5000; `Infinity` waits for them). */
  readonly gracePeriod?: number;
}

/**
 * A server socket as an Observable: subscribing binds and starts accepting; each accepted connection is
 * emitted as a {@link Connection}; unsubscribing stops accepting and closes every connection it accepted.
 *
 * Errors (address in use, access denied, bad options) go to `error` with a stable code. For a graceful stop,
 * abort the `shutdown` signal: the Observable completes once every connection has closed or the grace period
 * is over, and because it completes (rather than being unsubscribed) a `mergeMap` downstream lets running
 * handlers finish. Unsubscription in RxJS tears the whole chain down at once, so it cannot wait.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle } from 'rxloop/operators';
 *
 * const stop = new AbortController();
 * listen({ host: '127.0.0.1', port: 0, shutdown: stop.signal, onListening: (s) => console.log(s.address) })
 *   .pipe(handle((connection) => {
 *     connection.data$.subscribe({ next: (chunk) => connection.write(chunk), complete: () => connection.close() });
 *     return connection.closed$;
 *   }))
 *   .subscribe({ complete: () => console.log('all connections done') });
 * process.once('SIGTERM', () => stop.abort());
 * ```
 *
 * @param options where to listen and how
 * @returns an Observable of accepted connections
 */
export function listen(options: ListenOptions): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    const problem =
      checkEndpoint('listen', options ?? {}, true) ??
      checkCount('listen backlog', options.backlog, { min: 1 }) ??
      checkCount('listen maxConnections', options.maxConnections, { min: 1, infinite: true }) ??
      checkCount('listen gracePeriod', options.gracePeriod, { infinite: true }) ??
      outputLimitProblem(options) ??
      (options.onListening !== undefined && typeof options.onListening !== 'function'
        ? invalid('listen onListening', 'a function', options.onListening)
        : undefined);
    if (problem !== undefined) {
      subscriber.error(problem);
      return;
    }
    const backend = options.backend ?? defaultBackend();
    const maxConnections = options.maxConnections ?? Infinity;
    const gracePeriod = options.gracePeriod ?? 5000;
    const open = new Set<Connection>();
    const stats: { accepted: number; refused: number; acceptErrors: number; lastAcceptError: RxloopError | undefined } =
      { accepted: 0, refused: 0, acceptErrors: 0, lastAcceptError: undefined };
    let draining = false;
    let done = false;
    const timers: { unsubscribe(): void }[] = [];

    const finishIfDrained = (): void => {
      if (draining && open.size === 0 && !done) {
        done = true;
        subscriber.complete();
      }
    };

    const acceptor = backend.listen(
      {
        host: options.host,
        port: options.port,
        path: options.path,
        backlog: options.backlog,
        tls: options.tls,
        reusePort: options.reusePort,
      },
      {
        listening: (address) => {
          options.onListening?.({
            address,
            port: address.kind === 'inet' ? address.port : undefined,
            get connections() {
              return open.size;
            },
            get accepted() {
              return stats.accepted;
            },
            get refused() {
              return stats.refused;
            },
            get acceptErrors() {
              return stats.acceptErrors;
            },
            get lastAcceptError() {
              return stats.lastAcceptError;
            },
          });
        },
        accepted: (transport: Transport) => {
          if (transport.features.secure && diagnostics.tlsHandshake.hasSubscribers) {
            diagnostics.tlsHandshake.publish({ remoteAddress: transport.remoteAddress });
          }
          if (draining || done || open.size >= maxConnections) {
            stats.refused++;
            if (diagnostics.serverReject.hasSubscribers) diagnostics.serverReject.publish({ reason: draining || done ? 'draining' : 'max-connections' });
            transport.attach(ignoringSink);
            transport.close();
            return;
          }
          stats.accepted++;
          const connection = new Connection(transport, backend, options);
          open.add(connection);
          connection.onClosed(() => {
            open.delete(connection);
            finishIfDrained();
          });
          subscriber.next(connection);
        },
        failed: (error) => {
          done = true;
          subscriber.error(error);
        },
        acceptFailed: (error) => {
          stats.acceptErrors++;
          stats.lastAcceptError = error;
          if (diagnostics.acceptError.hasSubscribers) diagnostics.acceptError.publish({ error });
        },
        handshakeFailed: (error, remoteAddress) => {
          if (diagnostics.tlsHandshakeError.hasSubscribers) diagnostics.tlsHandshakeError.publish({ error, remoteAddress });
        },
      },
    );

    const beginShutdown = (): void => {
      if (draining || done) return;
      draining = true;
      acceptor.close();
      // Each connection is told (see Connection.draining$); one whose handler does not listen stops reading.
      for (const connection of [...open]) connection.drain();
      finishIfDrained();
      if (done || gracePeriod === Infinity) return;
      // What is still open at the end of the grace period is cut off with a reset, never a FIN that would look
      // like a complete reply.
      timers.push(backend.scheduler.schedule(() => {
        for (const connection of [...open]) connection.abort();
      }, gracePeriod));
    };
    const signal = options.shutdown;
    if (signal !== undefined) {
      if (signal.aborted) beginShutdown();
      else signal.addEventListener('abort', beginShutdown, { once: true });
    }

    return () => {
      signal?.removeEventListener('abort', beginShutdown);
      for (const timer of timers) timer.unsubscribe();
      if (!draining) acceptor.close();
      // A peer that never reads must not keep a closing connection (and this process) alive for ever.
      for (const connection of open) connection.close({ linger: 2000 });
      open.clear();
    };
  });
}

const ignoringSink = {
  readable: () => undefined,
  completed: () => undefined,
  writable: () => undefined,
  ended: () => undefined,
  closed: () => undefined,
};
