import type { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadMode, Transport } from '../../../src/backends/Backend.js';
import { nodeBackend } from '../../../src/backends/node/nodeBackend.js';
import { ErrorCode } from '../../../src/errors.js';
import { connectPair, OpenSockets } from './connectPair.js';
import { LeasePool, leaseReader, pattern, TransportRecorder } from './TransportRecorder.js';
import { turns, until } from './until.js';

const backend = nodeBackend();
const open = new OpenSockets();

test.after.each(() => open.closeAll());

/** The socket under a node transport (white-box, for checks the contract cannot express). */
function socketOf(transport: Transport): Socket {
  return (transport as unknown as { socket: Socket }).socket;
}

/** Writes `data` in `pieces` separate writes, each on its own turn so they arrive as separate reads. */
async function writeInPieces(transport: Transport, data: Buffer, pieces: number): Promise<void> {
  const size = Math.ceil(data.length / pieces);
  for (let offset = 0; offset < data.length; offset += size) {
    transport.write(data.subarray(offset, offset + size));
    await turns(1);
  }
}

test('reading starts stopped: nothing is read before setReading(true)', async () => {
  const { server, client } = await connectPair(backend, open);
  client.write(Buffer.from('early'));
  const recorder = new TransportRecorder(server, { mode: 'completion', reading: false });
  await until(() => client.writableLength === 0, 'the client to flush');
  await turns(20);
  assert.is(server.bytesRead, 0);
  assert.is(recorder.receivedLength, 0);
  server.setReading(true);
  await until(() => recorder.text === 'early', 'the early bytes');
});

test('readiness: read(n) returns exactly n while n are buffered, and what is there otherwise', async () => {
  const { server, client } = await connectPair(backend, open);
  const recorder = new TransportRecorder(server, { mode: 'readiness', readSize: 7 });
  const sizes: number[] = [];
  recorder.onReadable = () => {
    while (server.readableLength >= 7) {
      const chunk = server.read(7);
      assert.ok(chunk !== null);
      sizes.push(chunk.length);
      recorder.keep(chunk);
    }
  };
  const data = pattern(70);
  await writeInPieces(client, data, 23);
  await until(() => recorder.receivedLength === 70, '70 bytes');
  assert.equal(sizes, Array(10).fill(7));
  assert.ok(recorder.bytes.equals(data));

  // Fewer bytes than asked for: Node's own socket.read(n) would return null here; the transport returns them.
  recorder.onReadable = () => {};
  client.write(Buffer.from('abcde'));
  await until(() => server.readableLength === 5, '5 buffered bytes');
  assert.is(server.read(100)?.toString(), 'abcde');
  assert.is(server.read(100), null);
  assert.is(server.read(), null);
  client.write(Buffer.from('xyz'));
  await until(() => server.readableLength === 3, '3 buffered bytes');
  assert.is(server.read()?.toString(), 'xyz');
});

test('readiness: with several chunks buffered, read(n) takes exactly n across them and read() takes them all', async () => {
  const { server, client } = await connectPair(backend, open);
  const recorder = new TransportRecorder(server, { mode: 'readiness' });
  recorder.onReadable = () => {}; // nothing is taken: every piece stays buffered in the socket, a chunk each
  const data = pattern(70);
  for (let offset = 0; offset < 70; offset += 10) {
    client.write(data.subarray(offset, offset + 10));
    const want = offset + 10;
    await until(() => server.readableLength === want, `${want} buffered bytes`);
  }
  // Node 26 returns only the first chunk from a socket.read() without a size; the transport must not.
  assert.is(socketOf(server).readableLength, 70);
  const taken: Buffer[] = [];
  const take = (size?: number): number => {
    const chunk = server.read(size);
    assert.ok(chunk !== null, `read(${String(size)}) found bytes`);
    taken.push(chunk);
    return chunk.length;
  };
  assert.is(take(25), 25, 'read(25) spans three chunks');
  assert.is(take(7), 7);
  assert.is(take(), 38, 'read() without a size takes everything buffered');
  assert.is(server.read(), null);
  assert.ok(Buffer.concat(taken).equals(data), 'nothing lost, duplicated or reordered');

  for (let offset = 0; offset < 30; offset += 10) {
    client.write(data.subarray(offset, offset + 10));
    const want = offset + 10;
    await until(() => server.readableLength === want, `${want} buffered bytes`);
  }
  assert.is(server.read(100)?.length, 30, 'read(n) over what is buffered takes all of it');
  client.end();
  await until(() => recorder.events.includes('ended'), 'the end of input after the buffer was emptied');
});

test('readiness: the end of input arrives after the last byte is read', async () => {
  const { server, client } = await connectPair(backend, open);
  const recorder = new TransportRecorder(server, { mode: 'readiness', readSize: 3 });
  client.write(Buffer.from('hello world'));
  client.end();
  await until(() => recorder.events.includes('ended'), 'ended');
  assert.is(recorder.text, 'hello world');
});

test('completion: one reused array, and setReading(false) stops deliveries until true again', async () => {
  const { server, client } = await connectPair(backend, open);
  const recorder = new TransportRecorder(server, { mode: 'completion' });
  for (let i = 0; i < 5; i++) {
    client.write(Buffer.from(`${i}`));
    await until(() => recorder.receivedLength === i + 1, `byte ${i}`);
  }
  assert.is(recorder.batchArrays.size, 1);
  server.setReading(false);
  client.write(Buffer.from('later'));
  await until(() => client.writableLength === 0, 'the client to flush');
  await turns(20);
  assert.is(recorder.text, '01234');
  server.setReading(true);
  await until(() => recorder.text === '01234later', 'the held bytes');
});

test('corked writes go out together once uncorked', async () => {
  const { server, client } = await connectPair(backend, open);
  const recorder = new TransportRecorder(server, { mode: 'completion' });
  client.cork();
  client.write(Buffer.from('one '));
  client.write(Buffer.from('two '));
  client.write(Buffer.from('three'));
  await turns(10);
  assert.is(recorder.receivedLength, 0);
  assert.is(client.writableLength, 13);
  client.uncork();
  await until(() => recorder.text === 'one two three', 'the corked writes');
});

test('backpressure: write returns false against a peer that does not read, then writable() once it reads', async () => {
  const { server, client } = await connectPair(backend, open);
  const reader = new TransportRecorder(server, { mode: 'completion', reading: false });
  const writer = new TransportRecorder(client, { reading: false });
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  let accepted = true;
  for (let i = 0; i < 10_000 && accepted; i++) {
    accepted = client.write(chunk);
    written += chunk.length;
    await turns(1);
  }
  assert.is(accepted, false, 'write never returned false');
  assert.ok(client.writableLength >= client.writableHighWaterMark);
  assert.not.ok(writer.events.includes('writable'));
  server.setReading(true);
  await until(() => writer.events.includes('writable'), 'writable()');
  await until(() => reader.receivedLength === written, 'every byte at the reader');
  assert.is(client.bytesWritten, written);
  assert.is(server.bytesRead, written);
});

test('half-close works both ways and ends with an orderly close on both sides', async () => {
  const { server, client } = await connectPair(backend, open);
  const atServer = new TransportRecorder(server, { mode: 'completion' });
  const atClient = new TransportRecorder(client, { mode: 'readiness' });
  client.write(Buffer.from('question'));
  client.end();
  await until(() => atServer.events.includes('ended'), 'the server to see the end');
  assert.is(atServer.text, 'question');
  assert.is(server.write(Buffer.from('answer after your end')), true);
  await until(() => atClient.text === 'answer after your end', 'the answer');
  assert.not.ok(atClient.events.includes('ended'));
  server.end();
  await until(() => atServer.isClosed && atClient.isClosed, 'both closed');
  assert.equal(atServer.events, ['ended', 'closed']);
  assert.equal(atClient.events, ['ended', 'closed']);
  assert.equal([...atServer.lateCalls, ...atClient.lateCalls], []);
});

test('close flushes queued writes, then closes both directions', async () => {
  const { server, client } = await connectPair(backend, open);
  const atServer = new TransportRecorder(server, { mode: 'completion' });
  const atClient = new TransportRecorder(client, { mode: 'completion' });
  const data = pattern(1024 * 1024);
  client.write(data);
  client.close();
  await until(() => atServer.events.includes('ended'), 'the server to see the end');
  assert.ok(atServer.bytes.equals(data));
  server.close();
  await until(() => atServer.isClosed && atClient.isClosed, 'both closed');
  assert.is(atServer.closedWith, undefined);
  assert.is(atClient.closedWith, undefined);
  // A transport that closed refuses writes without throwing; the layer above reports them.
  assert.is(client.write(Buffer.from('late')), false);
  client.end();
  client.close();
  client.abort();
  assert.equal(atClient.lateCalls, []);
});

test('abort resets the connection: the peer closes with ERR_CONNECTION_RESET', async () => {
  const { server, client } = await connectPair(backend, open);
  const atServer = new TransportRecorder(server, { mode: 'completion' });
  const atClient = new TransportRecorder(client, { mode: 'completion' });
  client.write(Buffer.alloc(100_000));
  // A reset that arrives in the same poll as data reads as an orderly end on Linux (libuv treats POLLHUP after a
  // short read as EOF), so let the data land first.
  await until(() => atServer.receivedLength === 100_000, 'the data');
  client.abort();
  await until(() => atServer.isClosed && atClient.isClosed, 'both closed');
  assert.is(atServer.closedWith?.code, ErrorCode.CONNECTION_RESET);
  assert.instance(atServer.closedWith?.cause, Error);
  assert.is(atClient.closedWith, undefined);
  assert.is(server.write(Buffer.from('x')), false);
});

/**
 * What plain node:net on this Node.js line reports for a reset that arrives behind bytes nobody read yet: the
 * oracle for the case below (the backend can only see what Node's socket reports).
 */
async function plainResetBehindUnread(size: number): Promise<{ got: number; reset: boolean }> {
  const net = await import('node:net');
  let peerClosed: () => void = () => undefined;
  const peerGone = new Promise<void>((gone) => (peerClosed = gone));
  return new Promise((resolve) => {
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      let got = 0;
      let reset = false;
      socket.on('data', (chunk: Buffer) => (got += chunk.length));
      socket.on('error', (error: NodeJS.ErrnoException) => (reset = error.code === 'ECONNRESET'));
      socket.on('close', () => {
        server.close();
        resolve({ got, reset });
      });
      socket.pause();
      // Reading starts once the peer's reset is in: the bytes and the reset wait in the kernel together.
      void peerGone.then(() => setTimeout(() => socket.resume(), 50));
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      const peer = net.connect({ host: '127.0.0.1', port: address.port });
      peer.on('error', () => undefined);
      peer.once('connect', () => peer.write(Buffer.alloc(size, 7), () => setTimeout(() => peer.resetAndDestroy(), 50)));
      peer.once('close', peerClosed);
    });
  });
}

test('a reset behind unread bytes reads as this Node.js reports it (plain node:net is the oracle)', async () => {
  // Node 24 on: the bytes, then ECONNRESET. Node 20 and 22: libuv takes POLLHUP after a short read as the end of
  // input, so plain node:net reports an orderly end, and so must the backend (it cannot see more).
  const oracle = await plainResetBehindUnread(100_000);
  // More than the backend reads ahead for a stopped reader (64 KiB), so both leave bytes in the kernel; what
  // reached this host before the reset (the rest is lost with it) is the same for both.
  assert.ok(oracle.got > 64 * 1024, `only ${oracle.got} bytes reached this host before the reset; the case needs more than 64 KiB`);
  const { server, client } = await connectPair(backend, open);
  const atServer = new TransportRecorder(server, { mode: 'completion', reading: false });
  const atClient = new TransportRecorder(client, { mode: 'completion' });
  client.write(Buffer.alloc(100_000, 7));
  await until(() => client.writableLength === 0, 'the client to flush');
  // As the oracle's peer: the reset 50 ms after the bytes left.
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.abort();
  await until(() => atClient.isClosed, 'the client closed');
  await new Promise((resolve) => setTimeout(resolve, 50));
  server.setReading(true);
  await until(() => atServer.isClosed || atServer.events.includes('ended'), 'the server to see the reset or an end');
  assert.is(atServer.receivedLength, oracle.got, 'the bytes before the reset');
  if (oracle.reset) {
    await until(() => atServer.isClosed, 'the server closed');
    assert.is(atServer.closedWith?.code, ErrorCode.CONNECTION_RESET, `${process.version}: plain node:net saw ECONNRESET`);
  } else {
    assert.ok(atServer.events.includes('ended'), `${process.version}: plain node:net saw an end; events ${atServer.events.join(' ')}`);
    assert.is(atServer.closedWith, null, 'not closed by an end of input alone');
  }
});

test('events that happen before attach are held and delivered after it', async () => {
  const { server, client } = await connectPair(backend, open);
  const atClient = new TransportRecorder(client, { mode: 'completion' });
  const closedSocket = new Promise((resolve) => socketOf(server).once('close', resolve));
  server.abort();
  await closedSocket;
  const atServer = new TransportRecorder(server, { mode: 'completion' });
  // Delivered after attach returns, never from inside it.
  assert.equal(atServer.events, []);
  await until(() => atServer.isClosed, 'the held close');
  assert.equal(atServer.events, ['closed']);
  await until(() => atClient.isClosed, 'the client close');
});

test('addresses and byte counters', async () => {
  const { listening, server, client } = await connectPair(backend, open);
  assert.equal(server.localAddress, listening.address);
  assert.equal(client.remoteAddress, listening.address);
  assert.equal(server.remoteAddress, client.localAddress);
  assert.is(client.localAddress?.kind, 'inet');
  assert.is(client.localAddress?.kind === 'inet' && client.localAddress.family, 'IPv4');
  assert.equal(server.features, { zeroCopyLeasedReads: true, secure: false });
  const atServer = new TransportRecorder(server, { mode: 'completion' });
  client.write(Buffer.alloc(12_345));
  await until(() => atServer.receivedLength === 12_345, 'the bytes');
  assert.is(server.bytesRead, 12_345);
  assert.is(client.bytesWritten, 12_345);
  assert.is(server.readableLength, 0);
  assert.ok(server.writableHighWaterMark > 0);
});

test('bad arguments throw ERR_INVALID_ARGUMENT', async () => {
  const { server } = await connectPair(backend, open);
  const recorder = new TransportRecorder(server, { reading: false });
  assert.throws(() => server.setReadMode('leased'), (error: { code?: string }) => error.code === ErrorCode.INVALID_ARGUMENT);
  assert.throws(() => server.read(-1), (error: { code?: string }) => error.code === ErrorCode.INVALID_ARGUMENT);
  assert.throws(() => server.attach(recorder), (error: { code?: string }) => error.code === ErrorCode.INVALID_ARGUMENT);
});

for (const zeroCopy of [true, false]) {
  test(`switching read modes mid-stream loses and reorders nothing (${zeroCopy ? 'zero-copy' : 'copying'} leases)`, async () => {
    const local = nodeBackend({ zeroCopyLeasedReads: zeroCopy });
    const { server, client } = await connectPair(local, open);
    const pool = new LeasePool(2, 333);
    const recorder = new TransportRecorder(server, { mode: 'readiness', readSize: 1000 });
    const modes: ReadMode[] = ['completion', 'leased', 'readiness', 'leased', 'completion'];
    let step = 0;
    const release = (chunks: readonly Buffer[]): void => {
      const views = [...chunks];
      setImmediate(() => {
        for (const view of views) pool.releaseQuietly(view);
        if (!recorder.isClosed) server.setReading(true);
      });
    };
    recorder.onCompleted = release;
    const data = pattern(600_000);
    const writes = 60;
    const size = data.length / writes;
    for (let i = 0; i < writes; i++) {
      client.write(data.subarray(i * size, (i + 1) * size));
      await turns(1);
      if (i % 12 === 11) {
        const mode = modes[step++ % modes.length] as ReadMode;
        // The pool takes back the lease a switch abandons.
        pool.reclaimAll();
        server.setReadMode(mode, mode === 'leased' ? pool : undefined);
        server.setReading(true);
      }
    }
    client.end();
    await until(() => recorder.events.includes('ended'), 'the end');
    assert.is(recorder.receivedLength, data.length);
    assert.ok(recorder.bytes.equals(data));
  });
}

test('a leased reader that stops and restarts reading gets every byte', async () => {
  const { server, client } = await connectPair(backend, open);
  const pool = new LeasePool(4, 4096);
  const { recorder } = leaseReader(server, pool);
  const data = pattern(300_000);
  client.write(data);
  let toggles = 0;
  while (recorder.receivedLength < data.length && toggles < 10_000) {
    server.setReading(false);
    await turns(1);
    server.setReading(true);
    await turns(1);
    toggles++;
  }
  await until(() => recorder.receivedLength === data.length, 'every byte');
  assert.ok(recorder.bytes.equals(data));
});

test.run();
