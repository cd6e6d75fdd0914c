// RingTransport: a Connection over two SharedRings, the link between a sub-reactor thread and the service on the
// main thread. Both ends in this thread (waitAsync works here too), or one end in a worker thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { defaultBackend } from '../../src/backends/defaultBackend.js';
import { Connection } from '../../src/Connection.js';
import { ErrorCode } from '../../src/errors.js';
import { RingTransport } from '../../schedulers/RingTransport.js';
import { within } from '../support/spawned.js';

const address = { kind: 'unix', path: '/tmp/rxloop-ring-test.sock' } as const;

/** Two connected ends in this thread, each ring holding `capacity` bytes. */
function pair(capacity: number): { client: Connection; server: Connection; clientEnd: RingTransport; serverEnd: RingTransport } {
  const [up, down] = RingTransport.allocate(capacity);
  const clientEnd = new RingTransport(down, up, address);
  const serverEnd = new RingTransport(up, down, address);
  return { client: new Connection(clientEnd, defaultBackend()), server: new Connection(serverEnd, defaultBackend()), clientEnd, serverEnd };
}

/** A deterministic byte pattern and split points (a linear congruential generator). */
function pattern(length: number, seed: number): { bytes: Buffer; pieces: Buffer[] } {
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = next() & 0xff;
  const pieces: Buffer[] = [];
  for (let at = 0; at < length;) {
    const size = 1 + (next() % 300);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { bytes, pieces };
}

/** Every test closes its ends: the loop handle they hold must be gone with them. */
async function noLinkLeft(): Promise<void> {
  await within(5000, 'the links closing', (async () => {
    while (RingTransport.openLinks > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  })());
}

test('bytes written in pieces that never fit the ring arrive whole and in order, both ways', async () => {
  // A 64-byte ring: nearly every write is split, queued, and sent as the reader makes room.
  const { client, server } = pair(64);
  const up = pattern(50_000, 7);
  const down = pattern(30_000, 11);
  server.data$.subscribe((chunk) => server.write(chunk));
  const echoed = lastValueFrom(client.data$.pipe(toArray()));
  const served = lastValueFrom(server.data$.pipe(toArray()));
  for (let i = 0; i < up.pieces.length; i++) {
    // Some writes corked together, as a turn's writes are.
    if (i % 5 === 0) client.transport.cork();
    client.write(up.pieces[i]!);
    if (i % 5 === 3) client.transport.uncork();
  }
  client.transport.uncork();
  assert.ok(client.writableLength > 0, 'the ring is far too small: writes queue');
  client.end();
  assert.equal(Buffer.concat(await within(10_000, 'the server reading to the end', served)), up.bytes);
  for (const piece of down.pieces) server.write(piece);
  server.end();
  // The client got the echo of everything it sent, then the server's own bytes.
  assert.equal(Buffer.concat(await within(10_000, 'the client reading to the end', echoed)), Buffer.concat([up.bytes, down.bytes]));
  const [clientClosed, serverClosed] = await within(5000, 'both closing', Promise.all([firstValueFrom(client.closed$), firstValueFrom(server.closed$)]));
  assert.is(clientClosed.error, undefined, 'an orderly close');
  assert.is(serverClosed.error, undefined, 'an orderly close');
  assert.is(client.bytesWritten, up.bytes.length);
  assert.is(client.bytesRead, up.bytes.length + down.bytes.length);
  await noLinkLeft();
});

test('a reader that stops reading fills the ring: the writer queues, write says false, and writable$ comes once it drains', async () => {
  const { client, server, clientEnd } = pair(1024);
  const sent = pattern(200_000, 3).bytes;
  let accepted = true;
  for (let at = 0; at < sent.length; at += 10_000) accepted = client.write(sent.subarray(at, at + 10_000));
  assert.not.ok(accepted, 'write says false past the high-water mark');
  // Only what fits the ring has left; the rest waits, counted as the write backlog.
  assert.is(clientEnd.bytesWritten, 1024);
  assert.is(client.writableLength, sent.length - 1024);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(clientEnd.bytesWritten, 1024, 'nothing more leaves while nobody reads');
  const drained = firstValueFrom(client.writable$);
  const received = lastValueFrom(server.data$.pipe(toArray()));
  await within(10_000, 'writable$ after the reader caught up', drained);
  assert.is(client.writableLength, 0);
  client.end();
  assert.equal(Buffer.concat(await within(10_000, 'every byte', received)), sent);
  const ended = lastValueFrom(client.data$.pipe(toArray()));
  server.close();
  assert.equal(await within(5000, 'the client\'s input ending', ended), []);
  assert.is((await within(5000, 'the close', firstValueFrom(client.closed$))).error, undefined);
  await noLinkLeft();
});

test('a held reader stops taking bytes; released, it takes the rest', async () => {
  const { client, server } = pair(256);
  const chunks: Buffer[] = [];
  server.data$.subscribe((chunk) => chunks.push(chunk));
  const release = server.hold();
  client.write(Buffer.alloc(1000, 1));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(chunks, [], 'nothing read while held');
  release();
  await within(5000, 'the bytes after the release', (async () => {
    while (Buffer.concat(chunks).length < 1000) await new Promise((resolve) => setTimeout(resolve, 2));
  })());
  client.abort();
  server.abort();
  await noLinkLeft();
});

test('end: the peer reads what came before, then its input ends; close drops what comes later; abort resets the peer', async () => {
  {
    const { client, server } = pair(4096);
    const received = lastValueFrom(server.data$.pipe(toArray()));
    client.write('last words');
    client.end();
    assert.equal(Buffer.concat(await within(5000, 'the end of input', received)).toString(), 'last words');
    // The server closes: the client's input ends and both close in order.
    const ended = lastValueFrom(client.data$.pipe(toArray()));
    server.close();
    assert.equal(await within(5000, 'the client\'s input ending', ended), []);
    const closed = await within(5000, 'the client closing', firstValueFrom(client.closed$));
    assert.is(closed.error, undefined);
  }
  {
    const { client, server } = pair(4096);
    server.close();
    // What the client writes after the server left goes nowhere, and costs it no backlog.
    await new Promise((resolve) => setTimeout(resolve, 5));
    client.write(Buffer.alloc(10_000));
    assert.is(client.writableLength, 0);
    const ended = lastValueFrom(client.data$.pipe(toArray()));
    assert.equal(await within(5000, 'the client\'s input ending', ended), []);
    client.end();
    assert.is((await within(5000, 'the client closing', firstValueFrom(client.closed$))).error, undefined);
  }
  {
    const { client, server } = pair(4096);
    const failed = lastValueFrom(server.data$).then(() => undefined, (error: unknown) => error);
    client.abort();
    const closed = await within(5000, 'the reset reaching the server', firstValueFrom(server.closed$));
    assert.is(closed.error?.code, ErrorCode.CONNECTION_RESET);
    assert.is((await failed as { code?: string } | undefined)?.code, ErrorCode.CONNECTION_RESET);
  }
  await noLinkLeft();
});

/** A worker thread that builds its end of a link from `rings` and runs `body` (with `connection` in scope). */
function worker(rings: { inbound: SharedArrayBuffer; outbound: SharedArrayBuffer }, body: string): Worker {
  const transport = new URL('../../schedulers/RingTransport.js', import.meta.url).href;
  const connection = new URL('../../src/Connection.js', import.meta.url).href;
  const backend = new URL('../../src/backends/defaultBackend.js', import.meta.url).href;
  return new Worker(
    `Promise.all([import('${transport}'), import('${connection}'), import('${backend}'), import('node:worker_threads')])
       .then(([{ RingTransport }, { Connection }, { defaultBackend }, { workerData, parentPort }]) => {
         const end = new RingTransport(workerData.inbound, workerData.outbound, { kind: 'unix', path: 'test' });
         const connection = new Connection(end, defaultBackend());
         ${body}
       });`,
    { eval: true, workerData: rings },
  );
}

test('across threads: the link alone keeps the other thread alive while open, and lets it end once closed', async () => {
  const [up, down] = RingTransport.allocate(4096);
  // The worker's only work is its link: it answers one line, then closes when we end.
  const thread = worker({ inbound: up, outbound: down }, `
    connection.data$.subscribe({ next: (chunk) => connection.write('echo ' + chunk), complete: () => connection.close() });`);
  const exited = once(thread, 'exit');
  const here = new Connection(new RingTransport(down, up, address), defaultBackend());
  const replies = lastValueFrom(here.data$.pipe(toArray()));
  // Long enough for a thread with nothing holding its loop to have ended.
  await new Promise((resolve) => setTimeout(resolve, 200));
  here.write('hello');
  here.end();
  assert.is(Buffer.concat(await within(10_000, 'the answer', replies)).toString(), 'echo hello');
  assert.is((await within(10_000, 'our end closing', firstValueFrom(here.closed$))).error, undefined);
  // Nothing but the closed link was holding it: the thread ends by itself, with code 0.
  assert.equal(await within(10_000, 'the thread ending on its own', exited), [0]);
  await noLinkLeft();
});

test('across threads: a thread that dies without closing its end ends the link here (peerGone): its bytes are read, then the end', async () => {
  const [up, down] = RingTransport.allocate(4096);
  const thread = worker({ inbound: up, outbound: down }, `
    connection.write('before the crash');
    setTimeout(() => { throw new Error('a crash'); }, 20);`);
  thread.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  const end = new RingTransport(down, up, address);
  const here = new Connection(end, defaultBackend());
  const received = lastValueFrom(here.data$.pipe(toArray()));
  assert.is(await within(10_000, 'the crash', exited), 1);
  end.peerGone();
  assert.is(Buffer.concat(await within(10_000, 'the end of input', received)).toString(), 'before the crash');
  // Writing to the dead thread is dropped, not queued for ever; our close completes.
  here.write(Buffer.alloc(100_000));
  assert.is(here.writableLength, 0);
  here.close();
  assert.is((await within(5000, 'the close', firstValueFrom(here.closed$))).error, undefined);
  await noLinkLeft();
});

test.run();
