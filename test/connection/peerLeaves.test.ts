import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import { once } from 'node:events';
import { lastValueFrom, map, timer, toArray } from 'rxjs';
import { ErrorCode, listen, nodeBackend, uringBackend, type Connection, type RxloopError } from '../../src/index.js';
import { withUring } from '../support/backendCases.js';
import { within } from '../support/spawned.js';
import { boundedConcatMap, encodeLines, handle, lines, sendTo } from '../../operators/index.js';
import { dial, nextAccepted, startServer } from '../support/sockets.js';
import { until } from '../backends/node/until.js';

// A peer that ends or resets while its connection is paused (not reading: waiting on work, or held) is noticed
// within a bounded time, not when the connection next reads: a reset closes the connection at once, an end with
// nothing unread ends its input, and an end behind unread bytes is delivered after them.

const backend = nodeBackend();

// The held reset on each real-socket backend: both notice it while the reader is stopped.
for (const [name, make] of [['node', nodeBackend], ...(withUring ? [['uring', uringBackend] as const] : [])] as const) {
test(`${name}: a reset while the connection is held closes it with ERR_CONNECTION_RESET, still held`, async () => {
  const backend = make();
  const server = await startServer(backend);
  try {
    const client = await dial(backend, server.port);
    const [peer] = await nextAccepted(server);
    const outcome = lastValueFrom(peer!.data$.pipe(toArray())).then(() => 'completed', (e: RxloopError) => e.code);
    await until(() => peer!.demand.reading, 'reading');
    const release = peer!.hold();
    client.write('abc');
    // Node 20 turns a reset made while a write is still in libuv into a FIN: reset once the bytes are across.
    await until(() => peer!.demand.readableLength === 3, 'the bytes read ahead while held');
    client.abort();
    assert.is(await within(10_000, 'the held connection to fail', outcome), ErrorCode.CONNECTION_RESET);
    assert.not.ok(peer!.isOpen, 'closed while the hold was still taken');
    release();
  } finally {
    server.stop();
  }
});
}

test('an end while held: with nothing unread the input ends at once; behind unread bytes they come first', async () => {
  const server = await startServer(backend);
  try {
    const quiet = await dial(backend, server.port);
    const [quietPeer] = await nextAccepted(server);
    const quietInput = lastValueFrom(quietPeer!.data$.pipe(toArray()));
    await until(() => quietPeer!.demand.reading, 'reading');
    const releaseQuiet = quietPeer!.hold();
    quiet.end();
    assert.equal(await quietInput, [], 'the input ended while held');
    releaseQuiet();

    const talker = await dial(backend, server.port);
    const [, talkerPeer] = await nextAccepted(server, 2);
    const chunks: Buffer[] = [];
    let ended = false;
    talkerPeer!.data$.subscribe({ next: (chunk) => chunks.push(chunk), complete: () => (ended = true) });
    await until(() => talkerPeer!.demand.reading, 'reading');
    const release = talkerPeer!.hold();
    talker.write('abc');
    talker.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(chunks, [], 'nothing is handed over while held');
    assert.not.ok(ended);
    release();
    await until(() => ended, 'the end after the bytes');
    assert.is(Buffer.concat(chunks).toString(), 'abc');
    quiet.close();
    talker.close();
  } finally {
    server.stop();
  }
});

test('peers that send 50 slow requests and reset: their queued work is cancelled, their connections close', async () => {
  let started = 0;
  let port = 0;
  const events: string[] = [];
  const open = new Set<Connection>();
  const subscription = await new Promise<{ unsubscribe(): void }>((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, onListening: ({ address }) => {
      port = address.kind === 'inet' ? address.port : 0;
      resolve(s);
    } }).pipe(handle((connection) => {
      open.add(connection);
      connection.onClosed(() => open.delete(connection));
      return connection.data$.pipe(
        lines(),
        // 50 ms of work per request, one at a time; the queue pauses reading when long.
        boundedConcatMap(connection, (line) => {
          started++;
          return timer(50).pipe(map(() => line));
        }, { highWaterMark: 16 }),
        encodeLines(),
        sendTo(connection),
      );
    })).subscribe((event) => events.push(event.type));
  });
  try {
    const clients = await Promise.all(Array.from({ length: 20 }, async () => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      socket.write('heavy request\n'.repeat(50));
      return socket;
    }));
    await until(() => open.size === 20 && started >= 20, 'every client being served');
    for (const socket of clients) socket.resetAndDestroy();
    await until(() => open.size === 0, 'every connection closed', 2000);
    const afterClose = started;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is(started, afterClose, 'no queued request of a gone peer starts after its connection closed');
    assert.ok(started < 20 * 5, `work started for gone peers: ${started} of 1000`);
    assert.equal(events.filter((type) => type !== 'peer-reset'), [], 'resets are peer-reset events, nothing else');
  } finally {
    subscription.unsubscribe();
  }
});

test.run();
