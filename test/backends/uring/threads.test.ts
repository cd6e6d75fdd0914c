// One ring per thread: the addon is context-aware, so a worker thread makes its own ring, serves with it, and
// when the thread ends its ring and every socket the ring still knows are closed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { Worker } from 'node:worker_threads';
import { openSockets } from '../../support/descriptors.js';

const index = new URL('../../../src/index.js', import.meta.url).href;

test('a worker thread serves on a uring backend of its own; when it exits, its ring and sockets are closed', async () => {
  const before = openSockets();
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(index)}).then(({ uringBackend }) => {
      const backend = uringBackend();
      backend.listen({ host: '127.0.0.1', port: 0 }, {
        listening: (address) => parentPort.postMessage(address.port),
        accepted(transport) {
          transport.attach({
            readable() {},
            completed: (chunks) => chunks.forEach((chunk) => transport.write(chunk)),
            writable() {},
            ended: () => transport.end(),
            closed() {},
          });
          transport.setReadMode('completion');
          transport.setReading(true);
        },
        failed: (error) => { throw error; },
      });
    });
  `, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const echoed = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end('ping from the main thread'));
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.is(echoed, 'ping from the main thread');
  // A connection still open when the thread goes: the ring's teardown closes it, and the listening socket.
  const lingering = net.connect(port, '127.0.0.1');
  const closedByTeardown = new Promise<void>((resolve) => lingering.once('close', () => resolve()));
  lingering.on('error', () => {});
  await new Promise((resolve) => lingering.once('connect', resolve));
  await worker.terminate();
  const outcome = await Promise.race([closedByTeardown.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still open after 10 s'), 10_000))]);
  assert.is(outcome, 'closed', 'the ring\'s teardown closed the connection');
  const refused = await new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve('connected'));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  assert.is(refused, 'ECONNREFUSED', 'the listening socket closed with its thread');
  for (let i = 0; i < 200 && openSockets() > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(openSockets() <= before, `sockets and rings back to ${before} (now ${openSockets()})`);
});


test('a connection the kernel accepted while the thread was busy, never seen by JavaScript, is closed when the thread ends', async () => {
  const before = openSockets();
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(index)}).then(({ uringBackend }) => {
      const backend = uringBackend();
      backend.listen({ host: '127.0.0.1', port: 0 }, {
        listening: (address) => {
          parentPort.postMessage(address.port);
          // Busy from now on: the kernel accepts the next connection, its completion waits in the ring.
          setImmediate(() => Atomics.wait(workerData, 0, 0));
        },
        accepted() { throw new Error('not expected: the thread is blocked'); },
        failed: (error) => { throw error; },
      });
    });
  `, { eval: true, workerData: gate });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => {});
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise((resolve) => client.once('connect', resolve));
  // The kernel accepted it (multishot accept installs the descriptor at once); JavaScript there never ran.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await worker.terminate();
  const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still open after 5 s'), 5000))]);
  assert.is(outcome, 'closed', 'the accepted descriptor went with the ring');
  for (let i = 0; i < 200 && openSockets() > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(openSockets() <= before, `sockets and rings back to ${before} (now ${openSockets()})`);
});

test.run();
