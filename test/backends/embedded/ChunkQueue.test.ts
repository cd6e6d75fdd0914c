import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkQueue } from '../../../src/backends/embedded/ChunkQueue.js';

function queueOf(...parts: string[]): ChunkQueue {
  const queue = new ChunkQueue();
  for (const part of parts) queue.push(Buffer.from(part));
  return queue;
}

test('take: a view within one chunk, a copy across chunks', () => {
  const queue = queueOf('abc', 'defg', 'h');
  const first = queue.take(2);
  assert.is(first.toString(), 'ab');
  assert.is(queue.length, 6);
  assert.is(queue.take(4).toString(), 'cdef');
  assert.is(queue.take(10).toString(), 'gh');
  assert.is(queue.length, 0);
  assert.is(queue.take(1).length, 0);
});

test('drainInto trims the partly taken head chunk and empties the queue', () => {
  const queue = queueOf('abc', 'de');
  queue.take(1);
  const into: Buffer[] = [];
  assert.is(queue.drainInto(into), 4);
  assert.equal(into.map((chunk) => chunk.toString()), ['bc', 'de']);
  assert.is(queue.length, 0);
  queue.push(Buffer.from('z'));
  assert.is(queue.take(5).toString(), 'z');
});

test('copyInto spans chunks; copySegmentInto stops at the chunk end', () => {
  const queue = queueOf('abc', 'defg');
  const target = Buffer.alloc(5);
  assert.is(queue.copyInto(target), 5);
  assert.is(target.toString(), 'abcde');
  const segment = Buffer.alloc(5);
  queue.push(Buffer.from('hij'));
  assert.is(queue.copySegmentInto(segment), 2);
  assert.is(segment.subarray(0, 2).toString(), 'fg');
  assert.is(queue.copySegmentInto(segment.subarray(0, 2)), 2);
  assert.is(queue.copySegmentInto(segment), 1);
  assert.is(queue.copySegmentInto(segment), 0);
});

test('many small chunks taken one by one keep their order across compaction', () => {
  const queue = new ChunkQueue();
  for (let i = 0; i < 5000; i++) queue.push(Buffer.from([i & 0xff]));
  for (let i = 0; i < 3000; i++) assert.is(queue.take(1)[0], i & 0xff);
  for (let i = 5000; i < 6000; i++) queue.push(Buffer.from([i & 0xff]));
  const rest = queue.take(10_000);
  assert.is(rest.length, 3000);
  for (let i = 0; i < 3000; i++) assert.is(rest[i], (i + 3000) & 0xff);
  queue.push(Buffer.from('x'));
  queue.clear();
  assert.is(queue.length, 0);
});

test.run();
