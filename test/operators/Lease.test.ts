import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { LeasePool } from '../../operators/LeasePool.js';

// One lease's own rules: use after release, the view of its filled bytes, and which completions continue it.
// The leases come from a LeasePool, their only maker.

test('use after release and double release throw ERR_LEASE_RELEASED', () => {
  const pool = new LeasePool({ bufferSize: 4, buffers: 1 });
  const lease = pool.take()!;
  lease.filled = 2;
  assert.is(lease.buffer.length, 2);
  lease.release();
  assert.throws(() => lease.buffer, (e: RxloopError) => e.code === ErrorCode.LEASE_RELEASED);
  assert.throws(() => lease.length, (e: RxloopError) => e.code === ErrorCode.LEASE_RELEASED);
  assert.throws(() => lease.release(), (e: RxloopError) => e.code === ErrorCode.LEASE_RELEASED);
});

test('a lease keeps the completed chunk that starts at its first byte as its view, and rebuilds it otherwise', () => {
  const pool = new LeasePool({ bufferSize: 8, buffers: 2 });
  const lease = pool.take()!;
  const whole = lease.memory;
  assert.is(lease.fill(whole), 8);
  assert.is(lease.buffer, whole, 'a full read is its own view: no allocation');
  lease.release();
  const again = pool.take()!;
  assert.is(again.length, 0);
  const head = again.memory.subarray(0, 3);
  assert.is(again.fill(head), 3);
  assert.is(again.buffer, head);
  again.memory.write('abcdefgh');
  assert.is(again.fill(again.memory.subarray(3, 5)), 5);
  assert.is(again.buffer.toString(), 'abcde', 'after a second piece the view covers both');
  assert.is(again.buffer, again.buffer, 'the rebuilt view is kept');
  again.filled = 2;
  assert.is(again.buffer.toString(), 'ab', 'a view that no longer matches the filled count is rebuilt');
  again.release();
});

test('continuedBy accepts only the next bytes of the lease memory', () => {
  const pool = new LeasePool({ bufferSize: 8, buffers: 2 });
  // The lower lease of the slab, so a view running past its end still lies inside the slab.
  const [lease, other] = [pool.take()!, pool.take()!].sort((a, b) => a.memory.byteOffset - b.memory.byteOffset);
  assert.ok(lease!.continuedBy(lease!.memory));
  assert.ok(lease!.continuedBy(lease!.memory.subarray(0, 4)));
  assert.not.ok(lease!.continuedBy(lease!.memory.subarray(1, 4)), 'not at the fill position');
  assert.not.ok(lease!.continuedBy(other!.memory), 'another lease of the same slab');
  assert.not.ok(lease!.continuedBy(Buffer.alloc(8)), 'foreign memory');
  lease!.fill(lease!.memory.subarray(0, 4));
  assert.not.ok(lease!.continuedBy(lease!.memory), 'the whole buffer again after a partial fill');
  assert.ok(lease!.continuedBy(lease!.memory.subarray(4, 8)));
  const pastEnd = Buffer.from(lease!.memory.buffer, lease!.memory.byteOffset + 4, 8);
  assert.not.ok(lease!.continuedBy(pastEnd), 'past its end, into the next lease');
});

test.run();
