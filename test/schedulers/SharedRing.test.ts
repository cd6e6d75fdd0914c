import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { SharedRing } from '../../schedulers/SharedRing.js';

test('what is written is read once, in order, and the ring is empty after', () => {
  const ring = new SharedRing(SharedRing.allocate(64));
  assert.is(ring.read(), null);
  assert.is(ring.write(Buffer.from('PING\r\n')), 6);
  assert.is(ring.write(Buffer.from('ECHO\r\n')), 6);
  assert.is(ring.length, 12);
  assert.is(ring.read()!.toString(), 'PING\r\nECHO\r\n');
  assert.is(ring.length, 0);
  assert.is(ring.read(), null);
});

test('a full ring takes only what fits, and bytes that wrap past the end come back whole', () => {
  const ring = new SharedRing(SharedRing.allocate(10));
  assert.is(ring.capacity, 10);
  assert.is(ring.write(Buffer.from('abcdefgh')), 8);
  assert.is(ring.read()!.toString(), 'abcdefgh');
  // Starts at 8 of 10: wraps.
  assert.is(ring.write(Buffer.from('0123456789xyz')), 10);
  assert.is(ring.write(Buffer.from('more')), 0);
  assert.is(ring.read()!.toString(), '0123456789');
  assert.is(ring.write(new Uint8Array(0)), 0);
});

test('readable() and writable() resolve at once when they can, and on the other side\'s move otherwise', async () => {
  const ring = new SharedRing(SharedRing.allocate(4));
  await ring.writable();
  const alive = setInterval(() => undefined, 1000);
  try {
    const reading = ring.readable();
    setTimeout(() => ring.write(Buffer.from('ab')), 5);
    await reading;
    await ring.readable();
    assert.is(ring.write(Buffer.from('cd')), 2);
    const writing = ring.writable();
    setTimeout(() => ring.read(), 5);
    await writing;
    assert.is(ring.length, 0);
  } finally {
    clearInterval(alive);
  }
});

test('carries bytes between two threads both ways, the memory shared through workerData', async () => {
  const there = SharedRing.allocate(16);
  const back = SharedRing.allocate(16);
  const module = new URL('../../schedulers/SharedRing.js', import.meta.url).href;
  // The other thread echoes 100 bytes back through a ring of 16, so both sides wait on a full or empty ring.
  const worker = new Worker(
    `import('${module}').then(async ({ SharedRing }) => {
       const { workerData } = await import('node:worker_threads');
       const input = new SharedRing(workerData.there);
       const output = new SharedRing(workerData.back);
       const alive = setInterval(() => {}, 1000);
       for (let echoed = 0; echoed < 100;) {
         await input.readable();
         let chunk = input.read();
         while (chunk.length > 0) {
           await output.writable();
           const n = output.write(chunk);
           echoed += n;
           chunk = chunk.subarray(n);
         }
       }
       clearInterval(alive);
     });`,
    { eval: true, workerData: { there, back } },
  );
  const input = new SharedRing(back);
  const output = new SharedRing(there);
  const sent = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const alive = setInterval(() => undefined, 1000);
  try {
    const received: Buffer[] = [];
    let rest = sent;
    let got = 0;
    while (got < 100) {
      if (rest.length > 0 && output.length < output.capacity) rest = rest.subarray(output.write(rest));
      const chunk = input.read();
      if (chunk !== null) {
        received.push(chunk);
        got += chunk.length;
      } else if (rest.length === 0) {
        await input.readable();
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    assert.equal(Buffer.concat(received), sent);
  } finally {
    clearInterval(alive);
    await worker.terminate();
  }
});

test.run();
