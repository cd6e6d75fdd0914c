import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { RespWriter } from '../../../examples/resp/RespWriter.js';

const text = (buf: Buffer): string => buf.toString('latin1');

test('each reply type, byte for byte', () => {
  const out = new RespWriter();
  out.ok();
  out.pong();
  out.nullBulk();
  out.nullArray();
  out.simple('QUEUED');
  out.error('ERR syntax error');
  out.integer(0);
  out.integer(1);
  out.integer(-1);
  out.integer(1234567890123);
  out.integer(Number.MAX_SAFE_INTEGER);
  out.integer(-9223372036854775808n);
  out.array(0);
  out.array(12);
  out.bulk(Buffer.from('v'));
  out.bulk(Buffer.alloc(0));
  out.bulkString('caf\xe9');
  out.raw(Buffer.from(':7\r\n'));
  assert.is(
    text(out.take()),
    '+OK\r\n+PONG\r\n$-1\r\n*-1\r\n+QUEUED\r\n-ERR syntax error\r\n:0\r\n:1\r\n:-1\r\n:1234567890123\r\n' +
      ':9007199254740991\r\n:-9223372036854775808\r\n*0\r\n*12\r\n$1\r\nv\r\n$0\r\n\r\n$4\r\ncaf\xe9\r\n:7\r\n',
  );
});

test('error replies cannot carry CR or LF', () => {
  const out = new RespWriter();
  out.error("ERR unknown command 'a\r\nb'");
  assert.is(text(out.take()), "-ERR unknown command 'a  b'\r\n");
});

test('bulk replies of a range, short or long', () => {
  const out = new RespWriter();
  const source = Buffer.from(`ab${'x'.repeat(100)}cd`);
  out.bulk(source, 1, 3);
  out.bulk(source, 2, 102);
  out.bulk(source, 0, 0);
  assert.is(text(out.take()), `$2\r\nbx\r\n$100\r\n${'x'.repeat(100)}\r\n$0\r\n\r\n`);
});

test('bulk replies are binary-safe', () => {
  const out = new RespWriter();
  const value = Buffer.from([0, 13, 10, 255, 36]);
  out.bulk(value);
  assert.equal([...out.take()], [0x24, 0x35, 13, 10, 0, 13, 10, 255, 36, 13, 10]);
});

test('take returns each batch once and never overwrites a taken batch', () => {
  const out = new RespWriter(64);
  assert.is(out.take().length, 0);
  const batches: [Buffer, string][] = [];
  for (let i = 0; i < 200; i++) {
    out.integer(i);
    if (i % 3 === 0) out.bulkString('x'.repeat(i));
    const expected = `:${i}\r\n${i % 3 === 0 ? `$${i}\r\n${'x'.repeat(i)}\r\n` : ''}`;
    assert.is(out.pending, expected.length);
    batches.push([out.take(), expected]);
    assert.is(out.pending, 0);
  }
  for (const [batch, expected] of batches) assert.is(text(batch), expected);
});

test('a batch larger than the slab grows it and keeps what was written', () => {
  const out = new RespWriter(64);
  out.ok();
  const big = Buffer.alloc(100_000, 0x61);
  out.bulk(big);
  out.ok();
  const batch = out.take();
  assert.is(batch.length, 5 + 9 + 100_000 + 2 + 5);
  assert.is(text(batch.subarray(0, 14)), '+OK\r\n$100000\r\n');
  assert.is(text(batch.subarray(batch.length - 7)), '\r\n+OK\r\n');
  // The oversized slab is dropped after its batch; the next batch starts small and leaves the big one intact.
  out.pong();
  assert.is(text(out.take()), '+PONG\r\n');
  assert.is(batch[14], 0x61);
  assert.is(text(batch.subarray(0, 5)), '+OK\r\n');
});

test('the slab size is checked', () => {
  for (const bad of [0, 63, 1.5]) {
    try {
      new RespWriter(bad);
      assert.unreachable(`accepted ${bad}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test.run();
