import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import { ErrorCode, connect, type SocketAddress } from '../../src/index.js';
import { ProxyHeaderDecoder, encodeProxyHeader } from '../../operators/index.js';
import { failure } from '../support/collect.js';
import { within } from '../support/spawned.js';

const v4 = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: 'IPv4', address, port });
const v6 = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: 'IPv6', address, port });
const unix = (path: string): SocketAddress => ({ kind: 'unix', path });
const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

test('version 1: the text line of the specification, TCP4 or TCP6; UNKNOWN for the local command', () => {
  assert.is(
    encodeProxyHeader({ version: 1, command: 'proxy', source: v4('192.168.0.1', 56324), destination: v4('192.168.0.11', 443) }).toString('latin1'),
    'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n',
  );
  assert.is(
    encodeProxyHeader({ version: 1, command: 'proxy', source: v6('2001:db8::1', 65535), destination: v6('::1', 0) }).toString('latin1'),
    'PROXY TCP6 2001:db8::1 ::1 65535 0\r\n',
  );
  assert.is(encodeProxyHeader({ version: 1, command: 'local' }).toString('latin1'), 'PROXY UNKNOWN\r\n');
});

test('version 2: signature, command, family and length bytes, then the address block, byte for byte', () => {
  const ipv4 = encodeProxyHeader({ version: 2, command: 'proxy', source: v4('203.0.113.7', 51234), destination: v4('198.51.100.1', 6379) });
  assert.equal([...ipv4.subarray(0, 12)], SIGNATURE);
  assert.equal([...ipv4.subarray(12)], [
    0x21, 0x11, 0, 12, // version 2 PROXY, TCP over IPv4, 12 bytes follow
    203, 0, 113, 7, 198, 51, 100, 1,
    51234 >> 8, 51234 & 0xff, 6379 >> 8, 6379 & 0xff,
  ]);
  const local = encodeProxyHeader({ version: 2, command: 'local' });
  assert.equal([...local.subarray(12)], [0x20, 0x00, 0, 0], 'LOCAL, UNSPEC, no address block');
  const paths = encodeProxyHeader({ version: 2, command: 'proxy', source: unix('/run/a.sock'), destination: unix('/run/b.sock') });
  assert.equal([...paths.subarray(12, 16)], [0x21, 0x31, 0, 216], 'UNIX stream, two 108-byte paths');
  assert.is(paths.subarray(16, 16 + 11).toString(), '/run/a.sock');
  assert.is(paths[16 + 11], 0, 'zero padded');
  assert.is(paths.subarray(16 + 108, 16 + 108 + 11).toString(), '/run/b.sock');
});

test('IPv6 addresses in every written form give the sixteen bytes they name', () => {
  const bytesOf = (address: string): string => {
    const header = encodeProxyHeader({ version: 2, command: 'proxy', source: v6(address, 1), destination: v6('::', 2) });
    assert.equal([...header.subarray(12, 16)], [0x21, 0x21, 0, 36]);
    return header.subarray(16, 32).toString('hex');
  };
  assert.is(bytesOf('::1'), '00000000000000000000000000000001');
  assert.is(bytesOf('::'), '00000000000000000000000000000000');
  assert.is(bytesOf('2001:db8::ff00:42:8329'), '20010db8000000000000ff0000428329');
  assert.is(bytesOf('2001:0db8:0000:0000:0000:ff00:0042:8329'), '20010db8000000000000ff0000428329');
  assert.is(bytesOf('fe80::1%eth0'), 'fe800000000000000000000000000001', 'the zone is not part of the address');
  assert.is(bytesOf('::ffff:192.0.2.128'), '00000000000000000000ffffc0000280', 'a dotted IPv4 tail');
  assert.is(bytesOf('64:ff9b::192.0.2.33'), '0064ff9b0000000000000000c0000221');
  assert.is(bytesOf('1:2:3:4:5:6:1.2.3.4'), '00010002000300040005000601020304');
});

test('TLVs follow the addresses as type, 16-bit length, value; the decoder reads back what was written', () => {
  const tlvs = [{ type: 0x02, value: Buffer.from('a.example') }, { type: 0xe0, value: Buffer.alloc(0) }];
  const header = encodeProxyHeader({ version: 2, command: 'proxy', source: v4('1.2.3.4', 5), destination: v4('6.7.8.9', 10), tlvs });
  assert.is(header.readUInt16BE(14), 12 + 3 + 9 + 3);
  assert.equal([...header.subarray(28, 31)], [0x02, 0, 9]);
  assert.is(header.subarray(31, 40).toString(), 'a.example');
  assert.equal([...header.subarray(40)], [0xe0, 0, 0]);
  const decoded = new ProxyHeaderDecoder().push(header);
  assert.equal(decoded, { version: 2, command: 'proxy', source: v4('1.2.3.4', 5), destination: v4('6.7.8.9', 10), tlvs });
});

test('what a version cannot carry throws ERR_INVALID_ARGUMENT, saying what it expected', () => {
  const cases: [Parameters<typeof encodeProxyHeader>[0], RegExp][] = [
    [{ version: 2, command: 'proxy' }, /expected a source and a destination for the proxy command/],
    [{ version: 1, command: 'proxy', source: v4('1.2.3.4', 1) }, /expected a source and a destination for the proxy command/],
    [{ version: 1, command: 'proxy', source: v4('1.2.3.4', 1), destination: v6('::1', 2) }, /two IPv4 or two IPv6 addresses for version 1/],
    [{ version: 1, command: 'proxy', source: unix('/a'), destination: unix('/b') }, /two IPv4 or two IPv6 addresses for version 1/],
    [{ version: 2, command: 'proxy', source: v4('1.2.3.4', 1), destination: unix('/b') }, /a source and a destination of one family/],
    [{ version: 2, command: 'proxy', source: v4('1.2.3.4', 1), destination: v6('::1', 2) }, /a source and a destination of one family/],
    [{ version: 2, command: 'proxy', source: unix('/'.repeat(108)), destination: unix('/b') }, /Unix paths of at most 107 bytes/],
    [{ version: 2, command: 'proxy', source: v4('example.com', 1), destination: v4('1.2.3.4', 2) }, /IP addresses, got "example.com"/],
    [{ version: 2, command: 'local', tlvs: [{ type: 1, value: Buffer.alloc(0xffff - 2) }] }, /a header of at most 65535 bytes after its first 16/],
  ];
  for (const [header, message] of cases) {
    const error = failure(() => encodeProxyHeader(header));
    assert.is(error.code, ErrorCode.INVALID_ARGUMENT, message.source);
    assert.match(error.message, message);
  }
  assert.is(encodeProxyHeader({ version: 2, command: 'proxy', source: unix('/'.repeat(107)), destination: unix('/b') }).length, 16 + 216, 'a 107-byte path fits');
  assert.is(encodeProxyHeader({ version: 2, command: 'local', tlvs: [{ type: 1, value: Buffer.alloc(0xffff - 3) }] }).length, 16 + 0xffff, 'the longest body fits');
});

test('the TSDoc example: a relay writes the header, then the protocol, to its upstream over loopback', async () => {
  const received: Buffer[] = [];
  let arrived!: () => void;
  const done = new Promise<void>((resolve) => (arrived = resolve));
  const upstream = createServer((socket: Socket) => {
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (Buffer.concat(received).includes('PING\r\n')) arrived();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as { port: number }).port;
  const subscription = connect({ host: '127.0.0.1', port }).subscribe((connection) => {
    connection.write(encodeProxyHeader({
      version: 2,
      command: 'proxy',
      source: { kind: 'inet', family: 'IPv4', address: '203.0.113.7', port: 51234 },
      destination: { kind: 'inet', family: 'IPv4', address: '198.51.100.1', port: 6379 },
    }));
    connection.write('PING\r\n');
  });
  try {
    await within(5000, 'the upstream to read the header and PING', done);
    const wire = Buffer.concat(received);
    const decoder = new ProxyHeaderDecoder();
    const header = decoder.push(wire.subarray(0, 28));
    assert.equal(header?.source, v4('203.0.113.7', 51234));
    assert.equal(header?.destination, v4('198.51.100.1', 6379));
    assert.is(wire.subarray(28).toString(), 'PING\r\n');
  } finally {
    subscription.unsubscribe();
    upstream.close();
  }
});

test.run();
