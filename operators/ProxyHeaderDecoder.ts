import { isIPv4, isIPv6 } from 'node:net';
import type { SocketAddress } from '../src/backends/Backend.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { ProxyHeader, ProxyHeaderTlv } from './ProxyHeader.js';

/** Version 2's 12-byte signature: no text protocol starts with it. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_SIGNATURE = Buffer.from('PROXY ', 'latin1');
/** Version 1's longest line, CRLF included (the specification's bound). */
const V1_MAX = 107;
/** The shortest header of either version (`PROXY UNKNOWN\r\n`): reading this much never reads past one. */
const SHORTEST = 15;
const V2_FIXED = 16;
/** Address block sizes of version 2's families: INET, INET6, UNIX. */
const V2_BLOCK = [0, 12, 36, 216] as const;
const PORT = /^(?:0|[1-9]\d{0,4})$/;

/**
 * Decodes one PROXY protocol header (v1 text or v2 binary) from the first bytes of a connection, without ever
 * reading past it: {@link ProxyHeaderDecoder.wanted} says how many bytes may be read next, so that the bytes
 * after the header stay in the socket for the protocol. Bounded by `maxLength`; fails fast with
 * `ERR_PROXY_PROTOCOL` as soon as the bytes cannot begin a header.
 *
 * ## Example
 * ```ts
 * import { ProxyHeaderDecoder } from 'rxloop/operators';
 *
 * const decoder = new ProxyHeaderDecoder();
 * const header = decoder.push(Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\n'));
 * console.log(header?.source); // { kind: 'inet', family: 'IPv4', address: '203.0.113.7', port: 51234 }
 * ```
 */
export class ProxyHeaderDecoder {
  private readonly maxLength: number;
  private bytes = Buffer.alloc(0);
  private done = false;

  /**
   * @param maxLength the longest header accepted, in bytes (default 2048; at least 232, the longest v2 header
   *   without TLVs; at most 65551, the longest v2 header)
   */
  constructor(maxLength = 2048) {
    if (!Number.isInteger(maxLength) || maxLength < V2_FIXED + V2_BLOCK[3] || maxLength > V2_FIXED + 0xffff) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        `ProxyHeaderDecoder maxLength expected an integer from 232 to 65551, got ${String(maxLength)}`);
    }
    this.maxLength = maxLength;
  }

  /** How many more bytes may be read now without reading past the header (0 once it is decoded). */
  wanted(): number {
    if (this.done) return 0;
    const have = this.bytes.length;
    if (have < SHORTEST) return SHORTEST - have;
    if (this.isV2()) {
      if (have < V2_FIXED) return V2_FIXED - have;
      return V2_FIXED + this.bytes.readUInt16BE(14) - have;
    }
    // Version 1 ends at CRLF: two more bytes can always be read, one when the last was CR.
    return Math.max(1, Math.min(this.bytes[have - 1] === 0x0d ? 1 : 2, V1_MAX - have));
  }

  /**
   * Takes the next bytes (at most {@link ProxyHeaderDecoder.wanted} of them).
   *
   * @param chunk bytes read from the connection
   * @returns the header once it is complete, `undefined` while more bytes are needed
   * @throws RxloopError `ERR_PROXY_PROTOCOL` when the bytes are not a header, or one over `maxLength`
   */
  push(chunk: Uint8Array): ProxyHeader | undefined {
    if (this.done) throw fail('expected no bytes after the header was decoded, got more');
    this.bytes = this.bytes.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.bytes, chunk]);
    const bytes = this.bytes;
    const prefix = Math.min(bytes.length, V2_SIGNATURE.length);
    const v2 = bytes.subarray(0, prefix).equals(V2_SIGNATURE.subarray(0, prefix));
    const v1 = bytes.subarray(0, Math.min(bytes.length, 6)).equals(V1_SIGNATURE.subarray(0, Math.min(bytes.length, 6)));
    if (!v1 && !v2) throw fail(`expected a PROXY protocol header, got ${show(bytes.subarray(0, 16))}`);
    if (v1) return this.v1();
    return this.v2();
  }

  private isV2(): boolean {
    return this.bytes[0] === 0x0d;
  }

  private v1(): ProxyHeader | undefined {
    const bytes = this.bytes;
    const end = bytes.indexOf('\r\n', 0, 'latin1');
    if (end < 0) {
      if (bytes.length >= V1_MAX) throw fail(`expected a version 1 line of at most ${V1_MAX} bytes with CRLF, got ${bytes.length} bytes without`);
      if (bytes.subarray(0, -1).includes(0x0d) || bytes.includes(0x0a)) throw fail(`expected CRLF to end the version 1 line, got ${show(bytes)}`);
      return undefined;
    }
    if (end + 2 !== bytes.length) throw fail('expected the version 1 line to end at CRLF, got bytes after it');
    this.done = true;
    const fields = bytes.toString('latin1', 6, end).split(' ');
    const family = fields[0];
    if (family === 'UNKNOWN') return { version: 1, command: 'local', source: undefined, destination: undefined, tlvs: [] };
    if ((family !== 'TCP4' && family !== 'TCP6') || fields.length !== 5) {
      throw fail(`expected "TCP4|TCP6 SRC DST SPORT DPORT" or "UNKNOWN" in version 1, got ${show(bytes.subarray(0, end))}`);
    }
    const [, source, destination, sourcePort, destinationPort] = fields as [string, string, string, string, string];
    const valid = family === 'TCP4' ? isIPv4 : isIPv6;
    if (!valid(source) || !valid(destination) || !isPort(sourcePort) || !isPort(destinationPort)) {
      throw fail(`expected ${family} addresses and ports from 0 to 65535 in version 1, got ${show(bytes.subarray(0, end))}`);
    }
    const ip = family === 'TCP4' ? 'IPv4' : 'IPv6';
    return {
      version: 1,
      command: 'proxy',
      source: { kind: 'inet', family: ip, address: source, port: Number(sourcePort) },
      destination: { kind: 'inet', family: ip, address: destination, port: Number(destinationPort) },
      tlvs: [],
    };
  }

  private v2(): ProxyHeader | undefined {
    const bytes = this.bytes;
    if (bytes.length < V2_FIXED) return undefined;
    const length = V2_FIXED + bytes.readUInt16BE(14);
    if (length > this.maxLength) throw fail(`expected a header of at most ${this.maxLength} bytes, got one of ${length}`);
    const versionCommand = bytes[12]!;
    if (versionCommand >> 4 !== 2) throw fail(`expected version 2 in the version 2 header, got ${versionCommand >> 4}`);
    const command = versionCommand & 0x0f;
    if (command > 1) throw fail(`expected the LOCAL (0) or PROXY (1) command, got ${command}`);
    const family = bytes[13]! >> 4;
    const transport = bytes[13]! & 0x0f;
    if (family > 3 || transport > 2) throw fail(`expected a known address family and transport, got 0x${bytes[13]!.toString(16)}`);
    if (bytes.length < length) return undefined;
    if (bytes.length > length) throw fail('expected no bytes past the header length, got more');
    this.done = true;
    // LOCAL: the balancer's own connection (a health check); what follows is to be skipped, not read.
    if (command === 0 || family === 0) return { version: 2, command: 'local', source: undefined, destination: undefined, tlvs: [] };
    const block = V2_BLOCK[family as 1 | 2 | 3];
    if (length - V2_FIXED < block) throw fail(`expected at least ${block} address bytes for family ${family}, got ${length - V2_FIXED}`);
    const at = V2_FIXED;
    let source: SocketAddress;
    let destination: SocketAddress;
    if (family === 1) {
      source = { kind: 'inet', family: 'IPv4', address: ipv4(bytes, at), port: bytes.readUInt16BE(at + 8) };
      destination = { kind: 'inet', family: 'IPv4', address: ipv4(bytes, at + 4), port: bytes.readUInt16BE(at + 10) };
    } else if (family === 2) {
      source = { kind: 'inet', family: 'IPv6', address: ipv6(bytes, at), port: bytes.readUInt16BE(at + 32) };
      destination = { kind: 'inet', family: 'IPv6', address: ipv6(bytes, at + 16), port: bytes.readUInt16BE(at + 34) };
    } else {
      source = { kind: 'unix', path: unixPath(bytes, at) };
      destination = { kind: 'unix', path: unixPath(bytes, at + 108) };
    }
    return { version: 2, command: 'proxy', source, destination, tlvs: tlvs(bytes, at + block, length) };
  }
}

function tlvs(bytes: Buffer, from: number, to: number): ProxyHeaderTlv[] {
  const fields: ProxyHeaderTlv[] = [];
  let at = from;
  while (at < to) {
    if (to - at < 3) throw fail(`expected a 3-byte TLV header, got ${to - at} bytes`);
    const length = bytes.readUInt16BE(at + 1);
    if (at + 3 + length > to) throw fail(`expected a TLV of ${length} bytes inside the header, got ${to - at - 3}`);
    fields.push({ type: bytes[at]!, value: Buffer.from(bytes.subarray(at + 3, at + 3 + length)) });
    at += 3 + length;
  }
  return fields;
}

function ipv4(bytes: Buffer, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

function ipv6(bytes: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(at + 2 * i).toString(16));
  // The shortest form, as Node reports addresses: the longest run of zero groups (two or more) becomes '::'.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

function unixPath(bytes: Buffer, at: number): string {
  const end = bytes.indexOf(0, at);
  return bytes.toString('utf8', at, end < 0 || end > at + 108 ? at + 108 : end);
}

function isPort(text: string): boolean {
  return PORT.test(text) && Number(text) <= 65535;
}

function show(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('latin1')).replace(/[\u0080-\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function fail(message: string): RxloopError {
  return new RxloopError(ErrorCode.PROXY_PROTOCOL, `PROXY protocol: ${message}`);
}
