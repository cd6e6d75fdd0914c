import { firstValueFrom, lastValueFrom, ReplaySubject, take, toArray, type Observable } from 'rxjs';
import { type Backend, type Connection, type ConnectOptions, connect, listen, type SocketAddress } from '../../src/index.js';

/** A server started for one test: its address, its accepted connections, and a stop function. */
export interface TestServer {
  readonly address: SocketAddress;
  readonly port: number;
  readonly accepted: Observable<Connection>;
  stop(): void;
}

/** Listens on 127.0.0.1 port 0 and resolves once bound. */
export function startServer(backend: Backend, options: { maxConnections?: number } = {}): Promise<TestServer> {
  return new Promise((resolve, reject) => {
    const accepted = new ReplaySubject<Connection>();
    const subscription = listen({
      host: '127.0.0.1',
      port: 0,
      backend,
      ...options,
      onListening: (info) =>
        resolve({
          address: info.address,
          port: info.address.kind === 'inet' ? info.address.port : 0,
          accepted,
          stop: () => subscription.unsubscribe(),
        }),
    }).subscribe({ next: (c) => accepted.next(c), error: reject });
  });
}

/**
 * Connects and resolves with the connection, keeping the subscription (unsubscribing from `connect` closes
 * the connection, so `firstValueFrom(connect(...))` would hand back a closing one).
 */
export function openConnection(options: ConnectOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    connect(options).subscribe({ next: resolve, error: reject });
  });
}

/** Connects to a test server and resolves with the client connection. */
export function dial(backend: Backend, port: number): Promise<Connection> {
  return openConnection({ host: '127.0.0.1', port, backend });
}

/** Collects everything a connection receives until its input ends. */
export async function readAll(connection: Connection): Promise<Buffer> {
  return Buffer.concat(await lastValueFrom(connection.data$.pipe(toArray())));
}

/** The next `n` connections a server accepts. */
export function nextAccepted(server: TestServer, n = 1): Promise<Connection[]> {
  return firstValueFrom(server.accepted.pipe(take(n), toArray()));
}
