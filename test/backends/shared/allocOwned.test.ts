import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allocOwned, OWNED_SLAB_SIZE } from '../../../src/backends/shared/allocOwned.js';

test('small buffers come from slabs of OWNED_SLAB_SIZE, whatever Node.js pool size is', () => {
  const buffers = Array.from({ length: 1000 }, (_, i) => allocOwned(1 + (i % 100)));
  for (const buffer of buffers) assert.is(buffer.buffer.byteLength, OWNED_SLAB_SIZE);
  assert.ok(Buffer.poolSize >= 8 * 1024, 'a Node.js pool to compare with');
});

test('buffers never overlap, so each is its owner\'s alone, and stay eight-byte aligned', () => {
  const buffers = Array.from({ length: 3000 }, (_, i) => allocOwned(1 + ((i * 37) % 700)));
  buffers.forEach((buffer, i) => buffer.fill(i % 251));
  buffers.forEach((buffer, i) => {
    assert.ok(buffer.every((byte) => byte === i % 251), `buffer ${i} was not overwritten by another`);
    assert.is(buffer.byteOffset % 8, 0);
  });
});

test('half a slab or more gets memory of its own', () => {
  for (const size of [OWNED_SLAB_SIZE / 2, OWNED_SLAB_SIZE, 100_000]) {
    const buffer = allocOwned(size);
    assert.is(buffer.length, size);
    assert.is(buffer.buffer.byteLength, size);
  }
  assert.is(allocOwned(0).length, 0);
});

test.run();
