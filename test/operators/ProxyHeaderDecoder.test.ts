import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ErrorCode, type SocketAddress } from '../../src/index.js';
import { failure } from '../support/collect.js';
import { ProxyHeaderDecoder, encodeProxyHeader, type ProxyHeader } from '../../operators/index.js';

/** Feeds `bytes` the way a reader would: never more than `wanted()` at a time, in pieces of at most `step`. */
function decode(bytes: Buffer, step = Infinity, maxLength?: number): { header: ProxyHeader | undefined; used: number } {
  const decoder = new ProxyHeaderDecoder(maxLength);
  let at = 0;
  while (at < bytes.length) {
    const wanted = decoder.wanted();
    assert.ok(wanted > 0, 'wanted() is positive until the header is decoded');
    const piece = bytes.subarray(at, at + Math.min(wanted, step));
    at += piece.length;
    const header = decoder.push(piece);
    if (header !== undefined) {
      assert.is(decoder.wanted(), 0);
      return { header, used: at };
    }
  }
  return { header: undefined, used: at };
}

const v4 = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: 'IPv4', address, port });
const v6 = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: 'IPv6', address, port });

test('v1: TCP4, TCP6 and UNKNOWN lines as the specification writes them', () => {
  const tcp4 = decode(Buffer.from('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n'));
  assert.equal(tcp4.header, { version: 1, command: 'proxy', source: v4('192.168.0.1', 56324), destination: v4('192.168.0.11', 443), tlvs: [] });
  assert.is(tcp4.used, 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'.length, 'not one byte of the request is read');
  const tcp6 = decode(Buffer.from('PROXY TCP6 2001:db8::1 ::1 65535 0\r\n'));
  assert.equal(tcp6.header?.source, v6('2001:db8::1', 65535));
  const unknown = decode(Buffer.from('PROXY UNKNOWN\r\nPING\r\n'));
  assert.equal(unknown, { header: { version: 1, command: 'local', source: undefined, destination: undefined, tlvs: [] }, used: 15 });
  assert.is(decode(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n')).header?.command, 'local');
});

test('v2: IPv4, IPv6 and Unix addresses with TLVs, LOCAL, read without passing the header', () => {
  const cases: ProxyHeader[] = [
    { version: 2, command: 'proxy', source: v4('203.0.113.7', 51234), destination: v4('10.0.0.1', 6379), tlvs: [] },
    { version: 2, command: 'proxy', source: v6('2001:db8::7', 1), destination: v6('::1', 2), tlvs: [{ type: 0x02, value: Buffer.from('example.com') }] },
    { version: 2, command: 'proxy', source: v6('::ffff:1.2.3.4', 9), destination: v6('fe80::1:2:3:4', 10), tlvs: [] },
    { version: 2, command: 'proxy', source: { kind: 'unix', path: '/run/client.sock' }, destination: { kind: 'unix', path: '/run/lb.sock' }, tlvs: [{ type: 0x05, value: Buffer.alloc(0) }, { type: 0xe0, value: Buffer.from([1, 2, 3]) }] },
  ];
  for (const header of cases) {
    const bytes = encodeProxyHeader(header);
    for (const step of [1, 3, Infinity]) {
      const decoded = decode(Buffer.concat([bytes, Buffer.from('after')]), step);
      assert.is(decoded.used, bytes.length);
      const expected = header.source?.kind === 'inet' && header.source.address.startsWith('::ffff:')
        ? { ...header, source: v6('::ffff:102:304', 9) } // as Node prints it
        : header;
      assert.equal(decoded.header, expected);
    }
  }
  const local = encodeProxyHeader({ version: 2, command: 'local' });
  assert.is(local.length, 16);
  assert.equal(decode(local).header, { version: 2, command: 'local', source: undefined, destination: undefined, tlvs: [] });
});

test('any fragmentation of any valid header decodes to the same header, using exactly its bytes', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const ip4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
  const port = fc.integer({ min: 0, max: 65535 });
  const tlv = fc.tuple(octet, fc.uint8Array({ maxLength: 40 })).map(([type, bytes]) => ({ type, value: Buffer.from(bytes) }));
  fc.assert(fc.property(ip4, ip4, port, port, fc.array(tlv, { maxLength: 4 }), fc.integer({ min: 1, max: 20 }), fc.boolean(),
    (a, b, pa, pb, tlvs, step, one) => {
      const header: ProxyHeader = { version: one ? 1 : 2, command: 'proxy', source: v4(a, pa), destination: v4(b, pb), tlvs: one ? [] : tlvs };
      const bytes = encodeProxyHeader(header);
      const decoded = decode(Buffer.concat([bytes, Buffer.from('\r\n\r\nPROXY')]), step);
      assert.is(decoded.used, bytes.length);
      assert.equal(decoded.header, header);
    }));
});

test('hostile input fails fast with ERR_PROXY_PROTOCOL, within the bound', () => {
  const bad = [
    'GET / HTTP/1.1\r\n', // no header at all: fails on the first byte
    'PROXY TCP5 1.1.1.1 2.2.2.2 1 2\r\n',
    'PROXY TCP4 1.1.1.1 2.2.2.2 1\r\n',
    'PROXY TCP4 1.1.1.256 2.2.2.2 1 2\r\n',
    'PROXY TCP4 1.1.1.1 2.2.2.2 01 2\r\n',
    'PROXY TCP4 1.1.1.1 2.2.2.2 1 65536\r\n',
    'PROXY TCP4 ::1 ::1 1 2\r\n',
    'PROXY TCP4 1.1.1.1\r2.2.2.2 1 2\r\n',
    'PROXY TCP4 1.1.1.1 2.2.2.2 1 2\n',
    `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`, // over 107 bytes
  ];
  for (const text of bad) {
    const error = failure(() => decode(Buffer.from(text, 'latin1')));
    assert.is(error.code, ErrorCode.PROXY_PROTOCOL, text);
  }
  assert.ok(failure(() => decode(Buffer.from('GET / HTTP/1.1\r\n'), 1)).message.includes('"G"'), 'one byte is enough to refuse');
  const good = encodeProxyHeader({ version: 2, command: 'proxy', source: v4('1.2.3.4', 1), destination: v4('5.6.7.8', 2) });
  const mutate = (at: number, value: number): Buffer => {
    const copy = Buffer.from(good);
    copy[at] = value;
    return copy;
  };
  for (const bytes of [mutate(12, 0x11), mutate(12, 0x22), mutate(13, 0x41), mutate(13, 0x13), mutate(15, 4), mutate(3, 0x0b)]) {
    assert.is(failure(() => decode(bytes)).code, ErrorCode.PROXY_PROTOCOL);
  }
  // A v2 header that claims 65535 bytes is refused as soon as its length is read, not buffered.
  const huge = Buffer.concat([good.subarray(0, 14), Buffer.from([0xff, 0xff])]);
  const tooLong = failure(() => decode(huge));
  assert.match(tooLong.message, /at most 2048 bytes, got one of 65551/);
  // A TLV that runs past the header's end.
  const withTlv = encodeProxyHeader({ version: 2, command: 'proxy', source: v4('1.2.3.4', 1), destination: v4('5.6.7.8', 2), tlvs: [{ type: 1, value: Buffer.from('h2') }] });
  withTlv.writeUInt16BE(9, 29);
  assert.is(failure(() => decode(withTlv)).code, ErrorCode.PROXY_PROTOCOL);
  // Bad bounds.
  assert.is(failure(() => new ProxyHeaderDecoder(100)).code, ErrorCode.INVALID_ARGUMENT);
  assert.is(failure(() => new ProxyHeaderDecoder(70000)).code, ErrorCode.INVALID_ARGUMENT);
});

test('the encoder refuses what a version cannot carry', () => {
  assert.is(failure(() => encodeProxyHeader({ version: 1, command: 'proxy', source: v4('1.1.1.1', 1), destination: v6('::1', 2) })).code, ErrorCode.INVALID_ARGUMENT);
  assert.is(failure(() => encodeProxyHeader({ version: 1, command: 'proxy', source: { kind: 'unix', path: '/a' }, destination: { kind: 'unix', path: '/b' } })).code, ErrorCode.INVALID_ARGUMENT);
  assert.is(failure(() => encodeProxyHeader({ version: 2, command: 'proxy' })).code, ErrorCode.INVALID_ARGUMENT);
  assert.is(failure(() => encodeProxyHeader({ version: 2, command: 'proxy', source: { kind: 'unix', path: 'x'.repeat(108) }, destination: { kind: 'unix', path: '/b' } })).code, ErrorCode.INVALID_ARGUMENT);
  assert.is(encodeProxyHeader({ version: 1, command: 'local' }).toString(), 'PROXY UNKNOWN\r\n');
});

test.run();
