import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualTimeScheduler } from 'rxjs';
import type { ReadMode, Transport, TransportSink } from '../../../src/backends/Backend.js';
import { EmbeddedBackend } from '../../../src/backends/embedded/EmbeddedBackend.js';
import type { EmbeddedBackendOptions } from '../../../src/backends/embedded/EmbeddedBackendOptions.js';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { connectPair } from './connectPair.js';
import { LeaseSource, TransportRecorder, randomFragments, seededRandom } from './TransportRecorder.js';

function setup(options: EmbeddedBackendOptions = {}) {
  const scheduler = new VirtualTimeScheduler();
  const backend = new EmbeddedBackend({ scheduler, ...options });
  const flush = (): void => scheduler.flush();
  return { scheduler, backend, flush, ...connectPair(backend, flush) };
}

/** Attaches a reader in `mode`; leased readers get a small lease source and give every lease back at once. */
function reader(transport: Transport, mode: ReadMode, onBytes?: (chunk: Buffer) => void): TransportRecorder {
  const source = mode === 'leased' ? new LeaseSource(3, 100) : undefined;
  const recorder = new TransportRecorder(transport, { mode, source });
  if (source !== undefined) source.transport = transport;
  recorder.onCompleted = (chunks) => {
    for (const chunk of chunks) onBytes?.(chunk);
    if (source !== undefined) for (const chunk of chunks) source.release(chunk);
  };
  recorder.onReadable = () => {
    let chunk: Buffer | null;
    while ((chunk = transport.read(1 + (recorder.received.length % 7) * 50)) !== null) {
      recorder.received.push(Buffer.from(chunk));
      onBytes?.(chunk);
    }
  };
  return recorder;
}

for (const mode of ['completion', 'readiness', 'leased'] as const) {
  test(`echo in ${mode} mode with random fragmentation: every byte arrives once, in order`, () => {
    let backpressured = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const random = seededRandom(seed);
      const { client, server, flush, scheduler, backend } = setup({
        fragment: randomFragments(random, 300),
        receiveWindow: 1024,
        highWaterMark: 256,
      });
      const payload = Buffer.alloc(20_000 + Math.floor(random() * 5000));
      for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(random() * 256);

      // The echo server pauses its input while its own output is backed up, as Connection does.
      const echo: TransportRecorder = reader(server, mode, (chunk) => {
        if (!server.write(chunk)) server.setReading(false);
      });
      echo.onWritable = () => server.setReading(true);
      echo.onEnded = () => server.end();
      const back = reader(client, mode);
      // The client starts reading late, so the echo's output backs up and its backpressure path runs.
      client.setReading(false);
      scheduler.schedule(() => client.setReading(true), 8);

      // Writes spread over virtual time, several per turn, from one reused buffer.
      const scratch = Buffer.alloc(2000);
      let at = 0;
      let turn = 0;
      for (; at < payload.length; turn++) {
        const pieces: [number, number][] = [];
        for (let n = 1 + Math.floor(random() * 3); n > 0 && at < payload.length; n--) {
          const size = Math.min(payload.length - at, 1 + Math.floor(random() * 2000));
          pieces.push([at, size]);
          at += size;
        }
        scheduler.schedule(() => {
          for (const [from, size] of pieces) {
            payload.copy(scratch, 0, from, from + size);
            client.write(scratch.subarray(0, size));
            scratch.fill(0);
          }
        }, turn);
      }
      scheduler.schedule(() => client.end(), turn - 1);
      flush();

      assert.ok(back.bytes.equals(payload), `seed ${seed}: echoed bytes differ`);
      assert.ok(echo.bytes.equals(payload), `seed ${seed}: server bytes differ`);
      assert.is(server.bytesRead, payload.length);
      assert.is(client.bytesRead, payload.length);
      assert.is(client.bytesWritten, payload.length);
      assert.is(echo.events.at(-1), 'closed');
      assert.is(back.events.at(-1), 'closed');
      assert.is(back.events.at(-2), 'ended');
      assert.is(backend.openTransports, 0);
      if (echo.events.includes('writable')) backpressured++;
    }
    assert.ok(backpressured > 0, 'no seed made the echo hit backpressure');
  });
}

test('writes in one turn arrive as one completed batch; corked writes as one segment', () => {
  const { client, server, flush } = setup();
  const recorder = new TransportRecorder(server);
  client.write(Buffer.from('abc'));
  client.write(Buffer.from('defgh'));
  client.write(Buffer.from('ij'));
  flush();
  assert.equal(recorder.batches, [[3, 5, 2]]);
  client.cork();
  client.write(Buffer.from('kl'));
  client.write(Buffer.from('mno'));
  flush();
  assert.equal(recorder.batches.length, 1, 'corked writes stay with the writer');
  assert.is(client.writableLength, 5);
  client.uncork();
  flush();
  assert.equal(recorder.batches, [[3, 5, 2], [5]]);
  assert.is(recorder.text, 'abcdefghijklmno');
});

test('the write copies: the writer may reuse its buffer at once', () => {
  const { client, server, flush } = setup();
  const recorder = new TransportRecorder(server);
  const buffer = Buffer.from('first');
  client.write(buffer);
  buffer.write('XXXXX');
  flush();
  assert.is(recorder.text, 'first');
});

test('backpressure: write returns false when the peer does not read; writable() once it reads', () => {
  const { client, server, flush } = setup();
  const writer = new TransportRecorder(client);
  const recorder = new TransportRecorder(server, { reading: false });
  const chunk = Buffer.alloc(16 * 1024, 1);
  const results = [1, 2, 3, 4, 5].map(() => client.write(chunk));
  assert.equal(results, [true, true, true, true, false]);
  assert.is(client.writableLength, 16 * 1024);
  assert.is(client.bytesWritten, 64 * 1024);
  assert.is(server.readableLength, 64 * 1024);
  flush();
  assert.equal(writer.events, []);
  assert.equal(recorder.events, []);
  server.setReading(true);
  flush();
  assert.is(recorder.bytes.length, 80 * 1024);
  assert.equal(writer.events, ['writable']);
  assert.is(client.writableLength, 0);
  assert.is(client.bytesWritten, 80 * 1024);
  assert.is(server.bytesRead, 80 * 1024);
});

test('readiness: readable() repeats while the reader makes progress, and read(n) spans segments', () => {
  const { client, server, flush } = setup({ fragment: (chunk) => [chunk.subarray(0, 2), chunk.subarray(2)] });
  const recorder = new TransportRecorder(server, { mode: 'readiness' });
  recorder.onReadable = () => {
    const chunk = server.read(3);
    if (chunk !== null) recorder.received.push(Buffer.from(chunk));
  };
  client.write(Buffer.from('abcdefgh'));
  flush();
  assert.equal(
    recorder.received.map((chunk) => chunk.toString()),
    ['abc', 'def', 'gh'],
  );
  assert.equal(recorder.events, ['readable', 'readable', 'readable']);
  assert.is(server.read(), null);
});

test('readiness: a reader that takes nothing is not called again until more bytes arrive', () => {
  const { client, server, flush } = setup();
  const recorder = new TransportRecorder(server, { mode: 'readiness' });
  recorder.onReadable = () => undefined;
  client.write(Buffer.from('abc'));
  flush();
  assert.equal(recorder.events, ['readable']);
  assert.is(server.readableLength, 3);
  client.write(Buffer.from('d'));
  flush();
  assert.equal(recorder.events, ['readable', 'readable']);
  assert.is(server.read(2)?.toString(), 'ab');
  assert.is(server.read()?.toString(), 'cd');
  assert.is(server.read(), null);
  assert.is(server.read(0), null);
  assert.throws(() => server.read(-1), (error: unknown) => (error as RxloopError).code === ErrorCode.INVALID_ARGUMENT);
});

test('leased: credit exhaustion stops reading; releases resume it with no byte lost', () => {
  const { client, server, flush } = setup();
  const source = new LeaseSource(2, 4);
  const recorder = new TransportRecorder(server, { mode: 'leased', source });
  source.transport = server;
  const views: Buffer[] = [];
  recorder.onCompleted = (chunks) => {
    assert.is(chunks.length, 1, 'one lease completes at a time');
    views.push(chunks[0]!);
  };
  client.write(Buffer.from('0123456789abcdefghij'));
  flush();
  assert.equal(recorder.batches, [[4], [4]]);
  assert.is(source.refusals, 1);
  assert.is(views[0]!.buffer, source.leases[0]!.buffer, 'views are views of the leases');
  assert.is(server.readableLength, 12);
  flush();
  assert.is(recorder.batches.length, 2, 'nothing more without credit');
  while (views.length > 0) {
    source.release(views.shift()!);
    flush();
  }
  assert.is(recorder.text, '0123456789abcdefghij');
  assert.equal(recorder.batches, [[4], [4], [4], [4], [4]]);
  assert.is(server.readableLength, 0);
  assert.is(server.bytesRead, 20);
});

test('leased: a lease holds one segment at most, so fragmentation gives short reads', () => {
  const { client, server, flush } = setup({ fragment: randomFragments(() => 0.25, 12) });
  const source = new LeaseSource(1, 10);
  const recorder = new TransportRecorder(server, { mode: 'leased', source });
  recorder.onCompleted = (chunks) => source.release(chunks[0]!);
  client.write(Buffer.from('abcdefghijklmnop'));
  flush();
  assert.equal(recorder.batches, [[4], [4], [4], [4]]);
  assert.is(recorder.text, 'abcdefghijklmnop');
});

test('setReading(false) inside completed stops further deliveries', () => {
  const { client, server, flush } = setup();
  const source = new LeaseSource(4, 2);
  const recorder = new TransportRecorder(server, { mode: 'leased', source });
  recorder.onCompleted = () => server.setReading(false);
  client.write(Buffer.from('abcdef'));
  flush();
  assert.equal(recorder.batches, [[2]]);
  server.setReading(true);
  flush();
  assert.equal(recorder.batches, [[2], [2]]);
  assert.is(server.readableLength, 2);
});

test('half-close: ended() after the data, the other direction stays open, then both close', () => {
  const { client, server, flush, backend } = setup();
  const serverSide = new TransportRecorder(server);
  const clientSide = new TransportRecorder(client);
  client.write(Buffer.from('ping'));
  client.end();
  assert.is(client.write(Buffer.from('late')), false, 'no writes after end');
  flush();
  assert.equal(serverSide.events, ['completed', 'ended']);
  assert.equal(clientSide.events, []);
  server.write(Buffer.from('pong'));
  flush();
  assert.is(clientSide.text, 'pong');
  assert.is(backend.openTransports, 2);
  server.end();
  flush();
  assert.equal(serverSide.events, ['completed', 'ended', 'closed']);
  assert.equal(clientSide.events, ['completed', 'ended', 'closed']);
  assert.is(serverSide.text, 'ping');
  assert.is(backend.openTransports, 0);
});

test('ended() waits until the reader has taken every byte before it', () => {
  const { client, server, flush } = setup();
  const recorder = new TransportRecorder(server, { reading: false });
  client.write(Buffer.from('data'));
  client.end();
  flush();
  assert.equal(recorder.events, []);
  server.setReading(true);
  flush();
  assert.equal(recorder.events, ['completed', 'ended']);
});

test('close against a peer that never reads: closed once bytes and FIN are in its window; later peer writes are discarded', () => {
  const { client, server, flush, backend } = setup();
  const serverSide = new TransportRecorder(server, { reading: false });
  const clientSide = new TransportRecorder(client);
  client.write(Buffer.from('bye'));
  client.close();
  flush();
  assert.equal(clientSide.events, ['closed'], 'like a kernel, the window holds our bytes and FIN for the peer');
  assert.equal(serverSide.events, [], 'the peer has not read them yet');
  server.setReading(true);
  flush();
  assert.equal(serverSide.events, ['completed', 'ended']);
  assert.equal(clientSide.events, ['closed']);
  assert.is(backend.openTransports, 1);
  server.write(Buffer.from('too late'));
  flush();
  assert.equal(clientSide.events, ['closed']);
  server.close();
  flush();
  assert.equal(serverSide.events, ['completed', 'ended', 'closed']);
  assert.is(backend.openTransports, 0);
});

test('close drops unread input and still flushes the queued output', () => {
  const { client, server, flush, backend } = setup({ receiveWindow: 4, highWaterMark: 1 });
  const serverSide = new TransportRecorder(server);
  const clientSide = new TransportRecorder(client, { reading: false });
  assert.is(server.write(Buffer.from('unread')), false);
  assert.is(client.write(Buffer.from('0123456789')), false);
  client.close();
  flush();
  assert.is(serverSide.text, '0123456789');
  // The 2 bytes beyond the client's window were still the server's: dropped, so its buffer drained. The 10 bytes
  // arrive a window (4 bytes) per read.
  assert.equal(serverSide.events, ['writable', 'completed', 'completed', 'completed', 'ended']);
  assert.equal(clientSide.events, ['closed']);
  assert.is(client.bytesWritten, 10);
  assert.is(server.bytesWritten, 4);
  assert.is(server.writableLength, 0);
  server.end();
  flush();
  assert.equal(serverSide.events, ['writable', 'completed', 'completed', 'completed', 'ended', 'closed']);
  assert.is(backend.openTransports, 0);
});

test('abort: the peer gets closed(ERR_CONNECTION_RESET) and loses queued bytes; we get closed(undefined)', () => {
  const { client, server, flush, backend } = setup();
  const serverSide = new TransportRecorder(server, { reading: false });
  const clientSide = new TransportRecorder(client);
  client.write(Buffer.from('lost'));
  client.abort();
  assert.is(server.write(Buffer.from('x')), false);
  flush();
  assert.equal(serverSide.events, ['closed:ERR_CONNECTION_RESET']);
  assert.instance(serverSide.closedWith, RxloopError);
  assert.equal(clientSide.events, ['closed']);
  assert.is(backend.openTransports, 0);
  server.setReading(true);
  server.close();
  client.abort();
  flush();
  assert.is(serverSide.events.length, 1);
});

test('events before attach are held until attach', () => {
  const { client, server, flush, backend } = setup();
  const clientSide = new TransportRecorder(client);
  client.write(Buffer.from('early'));
  client.close();
  flush();
  assert.equal(clientSide.events, ['closed'], 'our bytes and FIN sit in the peer window');
  const serverSide = new TransportRecorder(server, { reading: false });
  flush();
  assert.equal(serverSide.events, [], 'reading starts stopped');
  server.setReading(true);
  flush();
  assert.equal(serverSide.events, ['completed', 'ended']);
  assert.equal(clientSide.events, ['closed']);
  server.abort();
  flush();
  assert.equal(serverSide.events, ['completed', 'ended', 'closed']);
  assert.is(backend.openTransports, 0);
});

test('a reset before attach is delivered after attach', () => {
  const { client, server, flush } = setup();
  new TransportRecorder(client);
  client.abort();
  flush();
  const serverSide = new TransportRecorder(server, { reading: false });
  flush();
  assert.equal(serverSide.events, ['closed:ERR_CONNECTION_RESET']);
});

test('counters and addresses', () => {
  const { client, server, flush, address } = setup();
  new TransportRecorder(server);
  client.write(Buffer.from('12345'));
  flush();
  assert.is(client.bytesWritten, 5);
  assert.is(server.bytesRead, 5);
  assert.is(client.bytesRead, 0);
  assert.equal(server.localAddress, address);
  assert.equal(client.remoteAddress, address);
  assert.equal(client.localAddress, { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: 50000 });
  assert.equal(server.remoteAddress, client.localAddress);
  assert.is(client.writableHighWaterMark, 16384);
  assert.equal(client.features, { zeroCopyLeasedReads: false, secure: false });
});

test('misuse is reported: a second attach, leased mode without a source', () => {
  const { client } = setup();
  new TransportRecorder(client);
  const invalid = (error: unknown): boolean => (error as RxloopError).code === ErrorCode.INVALID_ARGUMENT;
  assert.throws(() => client.attach({} as TransportSink), invalid);
  assert.throws(() => client.setReadMode('leased'), invalid);
});

test.run();
