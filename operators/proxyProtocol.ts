import type { OperatorFunction } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { serveEach } from './handle.js';
import { readProxyHeaderWith, settle, type ProxyProtocolOptions } from './readProxyHeader.js';

/**
 * PROXY protocol (HAProxy's, v1 and v2) in front of a `listen` pipeline: each connection is emitted once its
 * header has been read, with `remoteAddress` replaced by the original client's, and before the protocol has
 * seen a byte. A connection whose header is missing, malformed, too long, too slow or from an untrusted address
 * is closed and never emitted (the `rxloop:proxy:reject` diagnostics channel reports it); the others go on.
 * Connections leave in the order their headers complete. Under `serve`, give `proxyProtocol` in the options
 * instead: it runs {@link readProxyHeader} before the handler on every topology.
 *
 * TLS: the header comes before the TLS handshake, so a TLS listener cannot read it; let the balancer terminate
 * TLS, or listen without `tls`.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, proxyProtocol, sendTo } from 'rxloop/operators';
 *
 * // Behind HAProxy (`server s1 10.0.0.5:7000 send-proxy-v2`): every client is seen by its own address.
 * listen({ port: 7000 }).pipe(
 *   proxyProtocol({ trusted: ['10.0.0.0/8'] }),
 *   handle((connection) => {
 *     console.log('client', connection.remoteAddress);
 *     return connection.data$.pipe(sendTo(connection));
 *   }),
 * ).subscribe();
 * ```
 *
 * @param options who may send a header (default: anyone), what untrusted peers get, the time and size bounds
 * @returns an operator from accepted connections to connections whose header has been read
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for bad options
 */
export function proxyProtocol(options: ProxyProtocolOptions = {}): OperatorFunction<Connection, Connection> {
  const settings = settle(options);
  return (connections) =>
    serveEach<Connection>(connections, (connection, emit, done) => {
      let settled = false;
      const reading = readProxyHeaderWith(connection, settings).subscribe({
        complete: () => {
          settled = true;
          emit(connection);
          done();
        },
        error: () => {
          settled = true;
          connection.abort();
          done();
        },
      });
      // Unsubscribed while the header is still on its way: the connection is nobody's.
      reading.add(() => {
        if (!settled) connection.close();
      });
      return reading;
    });
}
