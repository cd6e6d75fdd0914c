import type { SocketAddress } from '../src/backends/Backend.js';

/**
 * One TLV (type-length-value) field of a PROXY protocol v2 header: what the balancer adds about the client
 * (`0x01` ALPN, `0x02` authority, i.e. the TLS SNI host name, `0x05` unique id, `0x20` TLS details, ...).
 *
 * ## Example
 * ```ts
 * import type { ProxyHeaderTlv } from 'rxloop/operators';
 *
 * const authority = (tlvs: readonly ProxyHeaderTlv[]) => tlvs.find((tlv) => tlv.type === 0x02)?.value.toString('utf8');
 * ```
 */
export interface ProxyHeaderTlv {
  /** The field's type byte. */
  readonly type: number;
  /** Its value (a copy, the handler's to keep). */
  readonly value: Buffer;
}

/**
 * A decoded PROXY protocol header (HAProxy's protocol, versions 1 and 2): who the balancer's client was.
 *
 * - `command: 'proxy'`: the connection is relayed for the client at `source`, which connected to `destination`.
 * - `command: 'local'`: the balancer speaks for itself (its health checks): the connection keeps its own
 *   addresses. Version 1's `PROXY UNKNOWN` means the same.
 *
 * ## Example
 * ```ts
 * import type { ProxyHeader } from 'rxloop/operators';
 *
 * function client(header: ProxyHeader): string {
 *   if (header.command === 'local' || header.source === undefined) return 'the balancer itself';
 *   return header.source.kind === 'inet' ? `${header.source.address}:${header.source.port}` : header.source.path;
 * }
 * ```
 */
export interface ProxyHeader {
  /** The protocol version the header was written in. */
  readonly version: 1 | 2;
  /** `'proxy'` for a relayed connection, `'local'` for the balancer's own. */
  readonly command: 'proxy' | 'local';
  /** The client's address (absent for `'local'` and for address families the header does not name). */
  readonly source: SocketAddress | undefined;
  /** The address the client connected to (on the balancer). */
  readonly destination: SocketAddress | undefined;
  /** Version 2's TLV fields, in the order they came (empty for version 1). */
  readonly tlvs: readonly ProxyHeaderTlv[];
}
