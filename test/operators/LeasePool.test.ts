import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { LeasePool } from '../../operators/LeasePool.js';

test('lends each buffer once until released, all from one allocation', () => {
  const pool = new LeasePool({ bufferSize: 8, buffers: 3 });
  const a = pool.take()!;
  const b = pool.take()!;
  const c = pool.take()!;
  assert.is(pool.take(), null);
  assert.is(pool.available, 0);
  assert.is(a.memory.buffer, b.memory.buffer);
  assert.is(b.memory.buffer, c.memory.buffer);
  assert.is.not(a.memory.byteOffset, b.memory.byteOffset);
  b.release();
  assert.is(pool.available, 1);
  assert.is(pool.take()!.memory, b.memory);
});

test('poison overwrites released memory so kept views show garbage', () => {
  const pool = new LeasePool({ bufferSize: 4, buffers: 1, poison: true });
  const lease = pool.take()!;
  lease.memory.write('data');
  lease.filled = 4;
  const kept = lease.buffer;
  lease.release();
  assert.equal([...kept], [0xdd, 0xdd, 0xdd, 0xdd]);
});

test('whenAvailable fires once on the next release', () => {
  const pool = new LeasePool({ bufferSize: 4, buffers: 1 });
  const lease = pool.take()!;
  let calls = 0;
  pool.whenAvailable(() => calls++);
  lease.release();
  pool.take()!.release();
  assert.is(calls, 1);
});

test('bad sizes throw ERR_INVALID_ARGUMENT', () => {
  assert.throws(() => new LeasePool({ bufferSize: 0 }), (e: RxloopError) => e.code === ErrorCode.INVALID_ARGUMENT);
  assert.throws(() => new LeasePool({ buffers: 1.5 }), (e: RxloopError) => e.code === ErrorCode.INVALID_ARGUMENT);
});

test.run();
