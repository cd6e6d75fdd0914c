import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { SocketAddress } from '../src/backends/Backend.js';
import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * The addresses allowed to send a PROXY protocol header: single addresses and CIDR ranges, IPv4 and IPv6
 * (`'10.0.0.0/8'`, `'192.0.2.10'`, `'fd00::/8'`). An IPv4 peer seen on a dual-stack socket (`::ffff:10.1.2.3`)
 * matches the IPv4 ranges. Unix socket peers are local processes and always trusted.
 *
 * @internal
 */
export class TrustedPeers {
  private readonly list: BlockList | undefined;

  /**
   * @param ranges the trusted addresses; `undefined` trusts every peer
   * @throws RxloopError `ERR_INVALID_ARGUMENT` for an entry that is not an address or a CIDR range
   */
  constructor(ranges: readonly string[] | undefined) {
    if (ranges === undefined) return;
    if (!Array.isArray(ranges)) throw invalidRange(ranges);
    const list = new BlockList();
    for (const range of ranges) {
      const [address, prefix, ...rest] = typeof range === 'string' ? range.trim().split('/') : [];
      const type = address !== undefined && isIPv4(address) ? 'ipv4' : address !== undefined && isIPv6(address) ? 'ipv6' : undefined;
      const bits = prefix === undefined ? (type === 'ipv4' ? 32 : 128) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (type === undefined || rest.length > 0 || !(bits >= 0 && bits <= (type === 'ipv4' ? 32 : 128))) throw invalidRange(range);
      list.addSubnet(address!, bits, type);
    }
    this.list = list;
  }

  /** Whether a peer at `address` may send a header. */
  trusts(address: SocketAddress | undefined): boolean {
    if (this.list === undefined) return true;
    if (address === undefined) return false;
    if (address.kind === 'unix') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address.address);
    if (mapped !== null) return this.list.check(mapped[1]!, 'ipv4');
    return this.list.check(address.address, address.family === 'IPv4' ? 'ipv4' : 'ipv6');
  }
}

function invalidRange(range: unknown): RxloopError {
  return new RxloopError(ErrorCode.INVALID_ARGUMENT,
    `proxyProtocol trusted expected addresses or CIDR ranges ('10.0.0.0/8', '::1'), got ${JSON.stringify(range)}`);
}
