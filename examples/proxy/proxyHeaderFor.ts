import type { SocketAddress } from '../../src/backends/Backend.js';
import type { Connection } from '../../src/Connection.js';
import { encodeProxyHeader } from '../../operators/encodeProxyHeader.js';

/**
 * The PROXY protocol v2 header a proxy sends its target before relaying `client`'s bytes, as HAProxy's
 * `send-proxy-v2` does: the source is the client's address (the original client's when the proxy itself sits
 * behind a balancer and read a PROXY header), the destination the address the client connected to. When the
 * two are not IP addresses of one family (a Unix socket, an address not known), the header is a `LOCAL` one:
 * the target then uses the connection's own addresses.
 *
 * ## Example
 * ```ts
 * import { connect, listen } from 'rxloop';
 * import { proxyHeaderFor } from './proxyHeaderFor.js';
 *
 * listen({ host: '127.0.0.1', port: 7001 }).subscribe((client) => {
 *   connect({ host: '127.0.0.1', port: 6380 }).subscribe((target) => {
 *     target.write(proxyHeaderFor(client)); // first, then the client's own bytes
 *   });
 * });
 * ```
 *
 * @param client the accepted connection being relayed
 * @returns the header's bytes
 */
export function proxyHeaderFor(client: Connection): Buffer {
  const source = unmapped(client.remoteAddress);
  const destination = unmapped(client.localAddress);
  if (source?.kind !== 'inet' || destination?.kind !== 'inet' || source.family !== destination.family) {
    return encodeProxyHeader({ version: 2, command: 'local' });
  }
  return encodeProxyHeader({ version: 2, command: 'proxy', source, destination });
}

/** `::ffff:192.0.2.1` (an IPv4 client of a server listening on `::`) as the IPv4 address it is. */
function unmapped(address: SocketAddress | undefined): SocketAddress | undefined {
  if (address?.kind !== 'inet' || address.family !== 'IPv6') return address;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address.address);
  return v4 === null ? address : { kind: 'inet', family: 'IPv4', address: v4[1]!, port: address.port };
}
