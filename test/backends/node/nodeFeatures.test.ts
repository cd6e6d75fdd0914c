import { connect as netConnect, createServer, type Server } from 'node:net';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeBackend } from '../../../src/backends/node/nodeBackend.js';
import { nodeFeatures } from '../../../src/backends/node/nodeFeatures.js';
import { ErrorCode, type RxloopError } from '../../../src/errors.js';
import type { Acceptor, SocketAddress, Transport } from '../../../src/backends/Backend.js';
import { until } from './until.js';

// Each case checks the probe against the real behaviour of the Node.js running the suite: CI runs it on every
// supported line, so both answers of each probe are exercised there.

test('the probe runs once and answers with booleans', async () => {
  const first = nodeFeatures();
  assert.is(nodeFeatures(), first);
  const features = await first;
  assert.type(features.reusePort, 'boolean');
  assert.type(features.transferableSockets, 'boolean');
  console.log(`      ${process.version}: reusePort ${features.reusePort}, transferableSockets ${features.transferableSockets}`);
});

interface Listening {
  acceptor: Acceptor;
  address: Promise<SocketAddress>;
  accepted: Transport[];
}

function listenShared(port: number): Listening {
  const accepted: Transport[] = [];
  let acceptor!: Acceptor;
  const address = new Promise<SocketAddress>((resolve, reject) => {
    acceptor = nodeBackend().listen({ host: '127.0.0.1', port, reusePort: true }, {
      listening: resolve,
      accepted: (transport) => accepted.push(transport),
      failed: reject,
    });
  });
  return { acceptor, address, accepted };
}

test('reusePort: two listeners share a port and both accept where the probe says yes, ERR_UNSUPPORTED elsewhere', async () => {
  const { reusePort } = await nodeFeatures();
  const first = listenShared(0);
  if (!reusePort) {
    const error = (await first.address.catch((e: unknown) => e)) as RxloopError;
    assert.is(error.code, ErrorCode.UNSUPPORTED);
    assert.match(error.message, /reusePort/);
    return;
  }
  const address = await first.address;
  assert.ok(address.kind === 'inet');
  const second = listenShared(address.port);
  try {
    assert.equal(await second.address, address);
    // The kernel hashes each connection's source port to one of the listeners: 64 connections reach both.
    const clients = Array.from({ length: 64 }, () => netConnect({ host: '127.0.0.1', port: address.port }));
    for (const client of clients) client.on('error', () => undefined);
    await until(() => first.accepted.length + second.accepted.length === 64, '64 accepts');
    assert.ok(first.accepted.length > 0 && second.accepted.length > 0,
      `both listeners accepted (${first.accepted.length} and ${second.accepted.length})`);
    for (const client of clients) client.destroy();
  } finally {
    for (const transport of [...first.accepted, ...second.accepted]) transport.abort();
    first.acceptor.close();
    second.acceptor.close();
  }
});

test('reusePort with a Unix path is refused', async () => {
  const error = await new Promise<RxloopError>((resolve) => {
    nodeBackend().listen({ path: '/tmp/rxloop-never-bound.sock', reusePort: true }, {
      listening: () => resolve(new Error('listened') as RxloopError),
      accepted: () => undefined,
      failed: resolve,
    });
  });
  assert.is(error.code, ErrorCode.INVALID_ARGUMENT);
});

test('transferableSockets: a listening server moves to a worker thread, which accepts on it, exactly where the probe says', async () => {
  const { transferableSockets } = await nodeFeatures();
  const server = await new Promise<Server>((resolve) => {
    const listening = createServer();
    listening.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.once('message', ({ server }) => {
       server.on('connection', (socket) => { socket.end('moved'); server.close(); parentPort.close(); });
       parentPort.postMessage('ready');
     });`,
    { eval: true },
  );
  try {
    let moved = true;
    try {
      worker.postMessage({ server }, [server as never]);
    } catch {
      moved = false; // DataCloneError on Node 22, a TypeError-like refusal on Node 20
    }
    assert.is(moved, transferableSockets);
    if (!moved) return;
    await new Promise((resolve) => worker.once('message', resolve));
    const reply = await new Promise<string>((resolve, reject) => {
      const client = netConnect({ host: '127.0.0.1', port: address.port });
      let text = '';
      client.on('data', (chunk) => (text += chunk.toString()));
      client.on('end', () => resolve(text));
      client.on('error', reject);
    });
    assert.is(reply, 'moved', 'the worker accepted on the moved server');
  } finally {
    server.close();
    await worker.terminate();
  }
});

test.run();
