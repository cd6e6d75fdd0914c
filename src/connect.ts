import { Observable } from 'rxjs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Backend } from './backends/Backend.js';
import { defaultBackend } from './backends/defaultBackend.js';
import { Connection, type ConnectionOptions } from './Connection.js';
import { checkCount, checkEndpoint } from './validate.js';
import { outputLimitProblem } from './connection/outputLimits.js';

/**
 * Options for {@link connect}. Give `port` (TCP) or `path` (Unix socket).
 *
 * ## Example
 * ```ts
 * import { connect, type ConnectOptions } from 'rxloop';
 *
 * const options: ConnectOptions = {
 *   host: 'cache.example.com',
 *   port: 6380,
 *   timeout: 2000,
 *   tls: { servername: 'cache.example.com' },
 * };
 * connect(options).subscribe((connection) => connection.write('PING\r\n'));
 * ```
 */
export interface ConnectOptions extends ConnectionOptions {
  /** The host to connect to (default `'localhost'`). */
  readonly host?: string;
  /** The TCP port. */
  readonly port?: number;
  /** A Unix socket path. */
  readonly path?: string;
  /** Milliseconds to wait for the connection (and TLS handshake); then `ERR_CONNECT_TIMEOUT`. */
  readonly timeout?: number;
  /** Disable Nagle's algorithm (default `true`; rxloop batches writes itself). */
  readonly noDelay?: boolean;
  /** TLS options (`ca`, `servername`, ...). The connection is then TLS with the same API. */
  readonly tls?: TlsConnectionOptions;
  /** The event source (default: the shared `node` backend). */
  readonly backend?: Backend;
}

/**
 * A client connection as an Observable: subscribing connects; the {@link Connection} is emitted once
 * established; the Observable completes when the connection closes in order and errors when it fails.
 * Unsubscribing cancels the attempt or closes the connection.
 *
 * Failures to connect carry stable codes (`ERR_CONNECT_REFUSED`, `ERR_CONNECT_TIMEOUT`,
 * `ERR_HOST_NOT_FOUND`), so retrying is ordinary RxJS.
 *
 * ## Example
 * ```ts
 * import { connect } from 'rxloop';
 * import { retry, switchMap, take } from 'rxjs';
 *
 * connect({ host: '127.0.0.1', port: 6380, timeout: 1000 }).pipe(
 *   retry({ count: 5, delay: 200 }),
 *   switchMap((connection) => {
 *     connection.write('PING\r\n');
 *     return connection.data$.pipe(take(1));
 *   }),
 * ).subscribe((reply) => console.log(reply.toString())); // +PONG
 * ```
 *
 * @param options where to connect and how
 * @returns an Observable of the one connection
 */
export function connect(options: ConnectOptions): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    const problem =
      checkEndpoint('connect', options ?? {}, false) ?? checkCount('connect timeout', options.timeout, { min: 1 }) ??
      outputLimitProblem(options);
    if (problem !== undefined) {
      subscriber.error(problem);
      return;
    }
    const backend = options.backend ?? defaultBackend();
    let connection: Connection | undefined;
    const attempt = backend.connect(
      {
        host: options.host ?? (options.port !== undefined ? 'localhost' : undefined),
        port: options.port,
        path: options.path,
        timeout: options.timeout,
        noDelay: options.noDelay ?? true,
        tls: options.tls,
      },
      {
        connected: (transport) => {
          const opened = new Connection(transport, backend, options);
          connection = opened;
          opened.closed$.subscribe(({ error }) => {
            if (error !== undefined) subscriber.error(error);
            else subscriber.complete();
          });
          subscriber.next(opened);
        },
        failed: (error) => subscriber.error(error),
      },
    );
    return () => {
      if (connection !== undefined) connection.close({ linger: 2000 });
      else attempt.cancel();
    };
  });
}
