import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownedBytes } from '../../operators/ownedBytes.js';

// ownedBytes decides whether bytes can be transferred to a worker as they are or must be copied first.

test('a view of a whole ArrayBuffer is returned as it is', () => {
  const whole = new Uint8Array([1, 2, 3]);
  assert.is(ownedBytes(whole), whole);
});

test('a view of part of a buffer is copied, so transferring it cannot take the rest away', () => {
  const slab = Buffer.from('abcdef');
  const part = slab.subarray(2, 4);
  const owned = ownedBytes(part);
  assert.is.not(owned, part);
  assert.is(owned.buffer.byteLength, 2);
  assert.equal([...owned], [...part]);
  owned[0] = 0;
  assert.is(slab.toString(), 'abcdef', 'the copy does not share memory with the slab');
});

test('small Buffers from the shared pool and views of a SharedArrayBuffer are copied', () => {
  const pooled = Buffer.from('xy');
  assert.ok(pooled.buffer.byteLength > pooled.length, 'Node pools small Buffers');
  const owned = ownedBytes(pooled);
  assert.is(owned.buffer.byteLength, 2);
  const shared = new Uint8Array(new SharedArrayBuffer(4));
  const copy = ownedBytes(shared);
  assert.ok(copy.buffer instanceof ArrayBuffer);
  assert.is(copy.length, 4);
});

test.run();
