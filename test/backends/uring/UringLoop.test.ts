// The ring a uring backend runs on, driven directly: the addon is built on the machines rxloop is tested on (see
// uringSupport.test.ts), so a ring that cannot be made fails these tests with its ERR_UNSUPPORTED reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import { constants } from 'node:os';
import { ErrorCode, RxloopError, uringStats } from '../../../src/index.js';
import { UringLoop, ringError, uringLoop, type RingOwner } from '../../../src/backends/uring/UringLoop.js';
import { within } from '../../support/spawned.js';

const sockets: Socket[] = [];
test.after.each(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** Connects a node:net client to the port and resolves once connected. */
async function dialPort(port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await within(5000, 'connect', new Promise((resolve) => socket.once('connect', resolve)));
  return socket;
}

/** Listens on 127.0.0.1 port 0 with the ring itself; returns the descriptor and the port. */
function listenOn(loop: UringLoop): { fd: number; port: number } {
  const fd = loop.ring.listenInet('127.0.0.1', 0, 16, false);
  assert.ok(fd >= 0, `listenInet: ${fd}`);
  const address = loop.ring.address(fd, false);
  assert.ok(Array.isArray(address), `address: ${String(address)}`);
  assert.equal(address.slice(0, 2), [4, '127.0.0.1']);
  return { fd, port: address[2] };
}

test('a ring of its own has the sizes asked for and counters that start at nothing in flight', () => {
  const loop = new UringLoop(64, 8, 4096);
  try {
    const stats = loop.stats();
    assert.is(stats.bufferCount, 8);
    assert.is(stats.bufferSize, 4096);
    assert.is(stats.buffersInKernelUse, 0, 'every provided buffer is in the ring (kernel 6.8 and later say so)');
    assert.is(stats.noBuffers, 0);
    assert.is(stats.overflows, 0);
    for (const key of ['enters', 'submitted', 'completions', 'batches', 'bufferBytes', 'setupFlags'] as const) {
      assert.ok(Number.isInteger(stats[key]) && stats[key] >= 0, `${key} = ${stats[key]}`);
    }
  } finally {
    loop.close();
  }
});

test('a completion reaches the owner of its slot with its kind; touch() asks for one batchEnd after the batch', async () => {
  const loop = new UringLoop(64, 8, 4096);
  try {
    const { fd, port } = listenOn(loop);
    const calls: string[] = [];
    let accepted!: (fd: number) => void;
    const arrived = new Promise<number>((resolve) => (accepted = resolve));
    const owner: RingOwner = {
      complete(kind, res, more, bytes) {
        calls.push(`complete ${kind} ${res >= 0 ? 'fd' : res} ${more} ${String(bytes)}`);
        loop.touch(owner);
        loop.touch(owner);
        accepted(res);
      },
      batchEnd() {
        calls.push('batchEnd');
      },
    };
    const slot = loop.own(loop.ring.accept(fd), owner, 7);
    assert.ok(slot > 0, `a slot, got ${slot}`);
    const before = loop.stats();
    await dialPort(port);
    const client = await within(5000, 'the accept completion', arrived);
    assert.ok(client >= 0, 'the accepted descriptor');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, ['complete 7 fd true undefined', 'batchEnd', 'batchEnd'], 'multishot accept: more follow; each touch is one batchEnd');
    const after = loop.stats();
    assert.ok(after.completions > before.completions && after.batches > before.batches, 'counted');
    loop.ring.closeNow(client);
    loop.ring.abandon(slot);
    loop.ring.closeNow(fd);
  } finally {
    loop.close();
  }
});

test('own() passes a negative slot (an errno) back as it is', () => {
  const loop = new UringLoop(64, 8, 4096);
  try {
    const owner: RingOwner = { complete: () => assert.unreachable('nothing was submitted') };
    assert.is(loop.own(-constants.errno.EBADF, owner, 1), -constants.errno.EBADF);
  } finally {
    loop.close();
  }
});

test('scheduleFlush runs flushWrites at the end of the turn, once per writer however often it is asked', async () => {
  const loop = new UringLoop(64, 8, 4096);
  try {
    const flushed: string[] = [];
    const a = { flushWrites: () => flushed.push('a') };
    const b = { flushWrites: () => flushed.push('b') };
    loop.scheduleFlush(a);
    loop.scheduleFlush(b);
    loop.scheduleFlush(a);
    assert.equal(flushed, [], 'not now: at the end of the turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(flushed, ['a', 'b']);
    loop.scheduleFlush(a);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(flushed, ['a', 'b', 'a'], 'asked again after a flush, it flushes again');
  } finally {
    loop.close();
  }
});

test('close() closes the ring and the sockets it still knows; a second close does nothing', async () => {
  const loop = new UringLoop(64, 8, 4096);
  const { fd, port } = listenOn(loop);
  let accepted!: (fd: number) => void;
  const arrived = new Promise<number>((resolve) => (accepted = resolve));
  loop.own(loop.ring.accept(fd), { complete: (_kind, res) => accepted(res) }, 1);
  const client = await dialPort(port);
  assert.ok((await within(5000, 'the accept', arrived)) >= 0);
  const closed = new Promise((resolve) => client.once('close', resolve));
  loop.close();
  loop.close();
  await within(5000, 'the accepted connection to be closed by the ring', closed);
  const refused = await within(5000, 'a connect after close', new Promise<string | undefined>((resolve) => {
    const again = netConnect({ host: '127.0.0.1', port });
    sockets.push(again);
    again.once('connect', () => resolve(undefined));
    again.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  }));
  assert.is(refused, 'ECONNREFUSED', 'the listening socket is closed too');
});

test("uringLoop() is this thread's one shared ring, and uringStats() reads its counters", () => {
  const shared = uringLoop();
  assert.is(uringLoop(), shared);
  const stats = uringStats();
  assert.ok(stats !== undefined, 'defined once the shared ring exists');
  assert.equal(Object.keys(stats).sort(), Object.keys(shared.stats()).sort());
  assert.is(stats.bufferCount, 1024, 'the default sizes');
  assert.is(stats.bufferSize, 16384);
});

test('ringError turns a negative errno into the coded error Node would give', () => {
  const cases: [number, string, string][] = [
    [-constants.errno.ECONNREFUSED, 'ECONNREFUSED', ErrorCode.CONNECT_REFUSED],
    [-constants.errno.ECONNRESET, 'ECONNRESET', ErrorCode.CONNECTION_RESET],
    [-constants.errno.EPIPE, 'EPIPE', ErrorCode.CONNECTION_RESET],
    [-constants.errno.EADDRINUSE, 'EADDRINUSE', ErrorCode.ADDRESS_IN_USE],
    [-constants.errno.EMFILE, 'EMFILE', ErrorCode.TOO_MANY_OPEN_FILES],
    [-constants.errno.EINVAL, 'EINVAL', ErrorCode.SOCKET],
    [-99_999, 'errno 99999', ErrorCode.SOCKET],
  ];
  for (const [res, name, code] of cases) {
    const error = ringError(res, 'connect to 127.0.0.1:1', 'connect');
    assert.instance(error, RxloopError);
    assert.is(error.code, code, name);
    assert.is(error.errno, name);
    assert.is(error.syscall, 'connect');
    assert.is(error.message, `connect to 127.0.0.1:1 failed: connect ${name}`);
  }
});

test.run();
