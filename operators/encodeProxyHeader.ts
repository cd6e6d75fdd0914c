import { isIPv4, isIPv6 } from 'node:net';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { ProxyHeader } from './ProxyHeader.js';

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/**
 * Writes a PROXY protocol header, what a balancer sends before relaying a client's bytes: version 2 (binary,
 * with TLVs) or version 1 (text). The `'local'` command (a balancer's own connection) needs no addresses.
 * Both addresses must be of one family: IPv4, IPv6, or (version 2 only) Unix paths of at most 107 bytes.
 *
 * ## Example
 * ```ts
 * import { connect } from 'rxloop';
 * import { encodeProxyHeader } from 'rxloop/operators';
 *
 * // Relay for a client at 203.0.113.7:51234 that connected to 198.51.100.1:6379.
 * connect({ host: '127.0.0.1', port: 6380 }).subscribe((upstream) => {
 *   upstream.write(encodeProxyHeader({
 *     version: 2,
 *     command: 'proxy',
 *     source: { kind: 'inet', family: 'IPv4', address: '203.0.113.7', port: 51234 },
 *     destination: { kind: 'inet', family: 'IPv4', address: '198.51.100.1', port: 6379 },
 *   }));
 *   upstream.write('PING\r\n');
 * });
 * ```
 *
 * @param header the command, the addresses, and (version 2) the TLVs
 * @returns the header's bytes
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for addresses of different families or that the version cannot carry
 */
export function encodeProxyHeader(
  header: Pick<ProxyHeader, 'version' | 'command'> & Partial<Pick<ProxyHeader, 'source' | 'destination' | 'tlvs'>>,
): Buffer {
  const { source, destination } = header;
  const proxied = header.command === 'proxy' && source !== undefined && destination !== undefined;
  if (header.command === 'proxy' && !proxied) throw invalid('a source and a destination for the proxy command');
  if (header.version === 1) {
    if (!proxied) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    if (source.kind !== 'inet' || destination.kind !== 'inet' || ipFamily(source) !== ipFamily(destination)) {
      throw invalid('two IPv4 or two IPv6 addresses for version 1');
    }
    const family = ipFamily(source) === 4 ? 'TCP4' : 'TCP6';
    return Buffer.from(`PROXY ${family} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`, 'latin1');
  }
  let block: Buffer = Buffer.alloc(0);
  let familyByte = 0x00;
  if (proxied) {
    if (source.kind === 'unix' && destination.kind === 'unix') {
      block = Buffer.alloc(216);
      for (const [at, path] of [[0, source.path], [108, destination.path]] as const) {
        if (Buffer.byteLength(path) > 107) throw invalid('Unix paths of at most 107 bytes');
        block.write(path, at, 'utf8');
      }
      familyByte = 0x31;
    } else if (source.kind === 'inet' && destination.kind === 'inet' && ipFamily(source) === ipFamily(destination)) {
      const v4 = ipFamily(source) === 4;
      const size = v4 ? 4 : 16;
      block = Buffer.alloc(2 * size + 4);
      ipBytes(source.address, v4).copy(block, 0);
      ipBytes(destination.address, v4).copy(block, size);
      block.writeUInt16BE(source.port, 2 * size);
      block.writeUInt16BE(destination.port, 2 * size + 2);
      familyByte = v4 ? 0x11 : 0x21;
    } else {
      throw invalid('a source and a destination of one family');
    }
  }
  const tlvs = (header.tlvs ?? []).map((tlv) => {
    const field = Buffer.alloc(3 + tlv.value.length);
    field[0] = tlv.type;
    field.writeUInt16BE(tlv.value.length, 1);
    Buffer.from(tlv.value).copy(field, 3);
    return field;
  });
  const body = Buffer.concat([block, ...tlvs]);
  if (body.length > 0xffff) throw invalid('a header of at most 65535 bytes after its first 16');
  const fixed = Buffer.alloc(16);
  V2_SIGNATURE.copy(fixed);
  fixed[12] = header.command === 'proxy' ? 0x21 : 0x20;
  fixed[13] = familyByte;
  fixed.writeUInt16BE(body.length, 14);
  return Buffer.concat([fixed, body]);
}

function ipFamily(address: { readonly address: string }): 4 | 6 {
  if (isIPv4(address.address)) return 4;
  if (isIPv6(address.address)) return 6;
  throw invalid(`IP addresses, got ${JSON.stringify(address.address)}`);
}

function ipBytes(address: string, v4: boolean): Buffer {
  if (v4) return Buffer.from(address.split('.').map(Number));
  const bytes = Buffer.alloc(16);
  ipv6Groups(address).forEach((group, i) => bytes.writeUInt16BE(group, 2 * i));
  return bytes;
}

/** The eight groups of an IPv6 address already checked by `isIPv6` (with `::` and a dotted IPv4 tail). */
function ipv6Groups(text: string): number[] {
  let head = text.replace(/%.*$/, '');
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(head);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    head = head.slice(0, dotted.index);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const gap = head.indexOf('::');
  if (gap < 0) return [...groups(head), ...tail];
  const left = groups(head.slice(0, gap));
  const right = groups(head.slice(gap + 2));
  return [...left, ...new Array<number>(8 - tail.length - left.length - right.length).fill(0), ...right, ...tail];
}

function invalid(expected: string): RxloopError {
  return new RxloopError(ErrorCode.INVALID_ARGUMENT, `encodeProxyHeader expected ${expected}`);
}

