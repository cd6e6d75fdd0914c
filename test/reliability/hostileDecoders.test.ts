import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { map, mergeMap, type OperatorFunction } from 'rxjs';
import { listen, type Connection, type RxloopError } from '../../src/index.js';
import { delimited, encodeDelimited, encodeLengthPrefixed, encodeLines, fixedLength, lengthPrefixed, lines, decodeUtf8, sendTo } from '../../operators/index.js';
import { openSocket, receiveAll } from './wire.js';

/** A server whose pipeline is `decode -> echo -> encode -> sendTo`, recording each connection's error code. */
function serverWith(decode: () => OperatorFunction<Buffer, Buffer>, encode: () => OperatorFunction<Buffer, Buffer>) {
  const codes: string[] = [];
  return new Promise<{ port: number; codes: string[]; stop: () => void }>((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, onListening: (info) =>
      resolve({ port: info.address.kind === 'inet' ? info.address.port : 0, codes, stop: () => s.unsubscribe() }) })
      .pipe(mergeMap((c: Connection) => new Promise<void>((done) => {
        c.data$.pipe(decode(), encode(), sendTo(c)).subscribe({
          error: (e: RxloopError) => {
            codes.push(e.code);
            c.close();
            done();
          },
          complete: () => done(),
        });
      })))
      .subscribe();
  });
}

/** Sends bytes (and ends), resolves with everything the server answered before it closed. */
async function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = await openSocket(port);
  const answer = receiveAll(socket).catch(() => Buffer.alloc(0));
  socket.end(bytes);
  let guard: NodeJS.Timeout | undefined;
  const got = await Promise.race([
    answer,
    new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error('the server did not close the connection')), 3000))),
  ]).finally(() => clearTimeout(guard));
  socket.destroy();
  return got;
}

const header = (n: number, bytes = 4) => {
  const b = Buffer.alloc(bytes);
  if (bytes === 1) b.writeUInt8(n & 0xff);
  else if (bytes === 2) b.writeUInt16BE(n & 0xffff);
  else b.writeUInt32BE(n >>> 0);
  return b;
};

const cases: { name: string; decode: () => OperatorFunction<Buffer, Buffer>; encode: () => OperatorFunction<Buffer, Buffer>; hostile: [string, Buffer, string][]; good: Buffer; echoed: Buffer }[] = [
  {
    name: 'lengthPrefixed (4-byte, max 1 KiB)',
    decode: () => lengthPrefixed({ maxLength: 1024 }),
    encode: () => encodeLengthPrefixed(),
    hostile: [
      ['length one past the maximum', header(1025), 'ERR_FRAME_TOO_LONG'],
      ['absurd length (4 GiB - 1)', header(0xffffffff), 'ERR_FRAME_TOO_LONG'],
      ['truncated body at end of input', Buffer.concat([header(10), Buffer.from('abc')]), 'ERR_FRAME_TRUNCATED'],
      ['truncated header at end of input', Buffer.from([0, 0]), 'ERR_FRAME_TRUNCATED'],
    ],
    good: Buffer.concat([header(5), Buffer.from('hello')]),
    echoed: Buffer.concat([header(5), Buffer.from('hello')]),
  },
  {
    name: 'lengthPrefixed with a negative adjust',
    decode: () => lengthPrefixed({ lengthBytes: 2, adjust: -4, maxLength: 1024 }),
    encode: () => encodeLengthPrefixed({ lengthBytes: 2, adjust: -4 }),
    hostile: [['length below the adjustment (negative body)', header(2, 2), 'ERR_FRAME_CORRUPT']],
    good: Buffer.concat([header(9, 2), Buffer.from('hello')]),
    echoed: Buffer.concat([header(9, 2), Buffer.from('hello')]),
  },
  {
    name: 'lines (max 64 bytes)',
    decode: () => lines({ maxLength: 64 }),
    encode: () => encodeLines(),
    hostile: [
      ['a line one past the maximum', Buffer.from('x'.repeat(65) + '\n'), 'ERR_FRAME_TOO_LONG'],
      ['binary garbage without a newline, endless', Buffer.alloc(4096, 0xfe), 'ERR_FRAME_TOO_LONG'],
      ['a partial line at end of input', Buffer.from('no newline'), 'ERR_FRAME_TRUNCATED'],
    ],
    good: Buffer.from('hello\r\n'),
    echoed: Buffer.from('hello\n'),
  },
  {
    name: 'delimited by CRLF CRLF (max 64 bytes)',
    decode: () => delimited('\r\n\r\n', { maxLength: 64 }),
    encode: () => encodeDelimited('\r\n\r\n'),
    hostile: [
      ['CRLF injection pieces without the full delimiter, too long', Buffer.from('a\r\nb\r\n'.repeat(20)), 'ERR_FRAME_TOO_LONG'],
      ['a partial frame at end of input', Buffer.from('head\r\n'), 'ERR_FRAME_TRUNCATED'],
    ],
    good: Buffer.from('head\r\n\r\n'),
    echoed: Buffer.from('head\r\n\r\n'),
  },
  {
    name: 'fixedLength(8)',
    decode: () => fixedLength(8),
    encode: () => (source) => source,
    hostile: [['a partial record at end of input', Buffer.from('12345'), 'ERR_FRAME_TRUNCATED']],
    good: Buffer.from('12345678'),
    echoed: Buffer.from('12345678'),
  },
  {
    name: 'lines then decodeUtf8({ fatal: true })',
    decode: () => (source) => source.pipe(lines(), decodeUtf8({ fatal: true }), map((text) => Buffer.from(text))),
    encode: () => encodeLines(),
    hostile: [['invalid UTF-8', Buffer.from([0x68, 0xc3, 0x28, 0x0a]), 'ERR_INVALID_ENCODING']],
    good: Buffer.from('héllo\n'),
    echoed: Buffer.from('héllo\n'),
  },
];

for (const c of cases) {
  test(`${c.name}: each hostile input gets a coded error and a closed connection; a fresh client is served`, async () => {
    const server = await serverWith(c.decode, c.encode);
    try {
      for (const [what, bytes, code] of c.hostile) {
        const before = server.codes.length;
        await exchange(server.port, bytes);
        for (let i = 0; i < 100 && server.codes.length === before; i++) await new Promise((r) => setTimeout(r, 5));
        assert.is(server.codes[before], code, what);
        const fresh = await exchange(server.port, c.good);
        assert.ok(fresh.equals(c.echoed), `after ${what}: fresh client got ${JSON.stringify(fresh.toString('latin1'))}`);
      }
    } finally {
      server.stop();
    }
  });
}

test.run();
