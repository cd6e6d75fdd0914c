import type { AddressInfo } from 'node:net';
import type { SocketAddress } from '../Backend.js';

/** The address fields Node reports, possibly incomplete (a socket that is not connected yet, or closed). */
interface PartialAddressInfo {
  readonly address?: string | undefined;
  readonly family?: string | number | undefined;
  readonly port?: number | undefined;
}

/**
 * Turns what Node reports for an address (`server.address()`, `socket.address()`, a `rinfo`, or a socket's
 * `localAddress`/`localFamily`/`localPort`) into a {@link SocketAddress}.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * nodeBackend().listen({ port: 0, host: '127.0.0.1' }, {
 *   listening: (address) => console.log(address), // { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: … }
 *   accepted: (transport) => transport.abort(),
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 *
 * @internal
 * @param info an `AddressInfo`-like object, a Unix socket path, or nothing
 * @returns the address, or `undefined` when Node does not know it (yet)
 */
export function toSocketAddress(info: PartialAddressInfo | AddressInfo | string | null | undefined): SocketAddress | undefined {
  if (typeof info === 'string') return { kind: 'unix', path: info };
  if (info === null || info === undefined || info.address === undefined || info.port === undefined) return undefined;
  // Node 18.0-18.3 reported the family as a number; later versions as 'IPv4' / 'IPv6'.
  const family = info.family === 'IPv6' || info.family === 6 ? 'IPv6' : 'IPv4';
  return { kind: 'inet', family, address: info.address, port: info.port };
}
