// Reads into the ring's own buffers ('provided' mode, what proactor() uses on uring): the kernel picks a buffer
// of the provided buffer ring as bytes arrive, the lease is a view of that buffer (no copy), and releasing the
// lease gives the buffer back to the ring. On real loopback sockets: integrity, the reader's credit, ring
// exhaustion as back-pressure across connections, a reader that leaves mid-stream, leases that outlive their
// connection and their ring, a double return, and the other backends refusing the mode with a coded error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { firstValueFrom, map, of, take, toArray } from 'rxjs';
import {
  type Connection,
  ErrorCode,
  nodeBackend,
  RxloopError,
  uringBackend,
  type UringBackend,
} from '../../../src/index.js';
import { proactor, type Lease } from '../../../operators/index.js';
import { embeddedBackend } from '../../../src/backends/embedded/embedded.js';
import { nextAccepted, startServer, type TestServer } from '../../support/sockets.js';
import { payload, sleep, until } from '../../support/waitAndBytes.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A plain node:net client that sends `data`, then ends; resolves with the socket once connected. */
async function sender(port: number, data: Buffer): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.end(data);
  return socket;
}

interface Reader {
  readonly leases: Lease[];
  received: number;
  readonly hash: ReturnType<typeof createHash>;
  done: boolean;
  error: unknown;
  stop(): void;
}

/** Reads a connection with proactor(); each lease is hashed, then kept (the test releases it) or released. */
function read(connection: Connection, keep: boolean, options: Parameters<typeof proactor>[0] = {}): Reader {
  const reader: Reader = {
    leases: [],
    received: 0,
    hash: createHash('sha256'),
    done: false,
    error: undefined,
    stop: () => subscription.unsubscribe(),
  };
  const subscription = of(connection).pipe(proactor(options)).subscribe({
    next: (lease) => {
      reader.hash.update(lease.buffer);
      reader.received += lease.length;
      if (keep) reader.leases.push(lease);
      else lease.release();
    },
    error: (error: unknown) => {
      reader.error = error;
      reader.done = true;
    },
    complete: () => {
      reader.done = true;
    },
  });
  return reader;
}

const releaseAll = (reader: Reader) => {
  for (const lease of reader.leases.splice(0)) lease.release();
};

async function withServer(backend: UringBackend, body: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(backend);
  try {
    await body(server);
  } finally {
    server.stop();
  }
}

test('proactor() on uring leases views of the ring: 8 MiB arrive intact and in order, no copy, every buffer back in the ring', async () => {
  const backend = uringBackend({ ring: { buffers: 64, bufferSize: 16384 } });
  try {
    await withServer(backend, async (server) => {
      const data = payload(8 * 1024 * 1024, 1);
      const accepted = nextAccepted(server);
      const client = await sender(server.port, data);
      const [connection] = await accepted;
      assert.is(connection!.providedBufferSize, 16384);
      const seen = new Set<ArrayBufferLike>();
      const reader: Reader = { leases: [], received: 0, hash: createHash('sha256'), done: false, error: undefined, stop: () => undefined };
      let largest = 0;
      of(connection!).pipe(proactor()).subscribe({
        next: (lease) => {
          seen.add(lease.buffer.buffer);
          largest = Math.max(largest, lease.length);
          reader.hash.update(lease.buffer);
          reader.received += lease.length;
          lease.release();
        },
        error: (error: unknown) => {
          reader.error = error;
          reader.done = true;
        },
        complete: () => {
          reader.done = true;
        },
      });
      await until(() => reader.done, 'the end of input');
      assert.is(reader.error, undefined);
      assert.is(reader.received, data.length);
      assert.is(reader.hash.digest('hex'), sha(data));
      // Every lease was a view of one memory, the ring's, and none was larger than a ring buffer.
      assert.is(seen.size, 1);
      assert.ok(largest <= 16384, `a lease of ${largest} bytes`);
      const stats = backend.stats();
      assert.ok(stats.lent >= data.length / 16384, `${stats.lent} buffers lent for ${data.length} bytes`);
      await until(() => backend.stats().buffersLent === 0, 'every lent buffer given back');
      assert.is(backend.stats().buffersInKernelUse, 0);
      assert.is(backend.stats().refusedReturns, 0);
      client.destroy();
    });
  } finally {
    backend.close();
  }
});

test("the reader's credit stops reading: held leases stop the peer, releasing them resumes it, nothing lost", async () => {
  const backend = uringBackend({ ring: { buffers: 256, bufferSize: 4096 } });
  try {
    await withServer(backend, async (server) => {
      const data = payload(16 * 1024 * 1024, 2);
      const accepted = nextAccepted(server);
      const client = await sender(server.port, data);
      const [connection] = await accepted;
      // 2 x 8 KiB of credit: 4 ring buffers of 4 KiB.
      const reader = read(connection!, true, { buffers: 2, bufferSize: 8192 });
      await until(() => reader.received > 0, 'the first bytes');
      // Wait until reading has stopped: nothing more arrives while every lease is held.
      let before = -1;
      while (before !== reader.received) {
        before = reader.received;
        await sleep(100);
      }
      assert.ok(reader.received < data.length, `stopped after ${reader.received} of ${data.length} bytes`);
      assert.ok(client.writableLength > 0, 'the peer is held back');
      assert.is(backend.stats().buffersLent, reader.leases.length);
      // Release as the leases come, to the end.
      const drain = setInterval(() => releaseAll(reader), 1);
      try {
        await until(() => reader.done, 'the end of input', 20_000);
      } finally {
        clearInterval(drain);
      }
      releaseAll(reader);
      assert.is(reader.error, undefined);
      assert.is(reader.received, data.length);
      assert.is(reader.hash.digest('hex'), sha(data));
      await until(() => backend.stats().buffersLent === 0, 'every lent buffer given back');
      assert.is(backend.stats().buffersInKernelUse, 0);
      client.destroy();
    });
  } finally {
    backend.close();
  }
});

test('ring exhaustion is back-pressure across connections: one reader holding every buffer stalls the other, which resumes intact once they come back', async () => {
  const backend = uringBackend({ ring: { buffers: 8, bufferSize: 4096 } });
  try {
    await withServer(backend, async (server) => {
      const hog = payload(1024 * 1024, 3);
      const other = payload(1024 * 1024, 4);
      const accepted = nextAccepted(server, 2);
      const clients = [await sender(server.port, hog), await sender(server.port, other)];
      const [first, second] = await accepted;
      // A credit larger than the ring: the hog can take all 8 buffers and keep them.
      const hogReader = read(first!, true, { buffers: 64, bufferSize: 65536 });
      await until(() => backend.stats().buffersLent === 8, 'the ring lent out entirely');
      const otherReader = read(second!, false);
      await sleep(200);
      assert.is(otherReader.received, 0, 'no buffer was left for the second connection');
      assert.is(otherReader.error, undefined);
      assert.ok(backend.stats().noBuffers > 0, 'a receive found the ring empty');
      const drain = setInterval(() => releaseAll(hogReader), 1);
      try {
        await until(() => hogReader.done && otherReader.done, 'both inputs ended', 20_000);
      } finally {
        clearInterval(drain);
      }
      releaseAll(hogReader);
      assert.is(hogReader.error, undefined);
      assert.is(otherReader.error, undefined);
      assert.is(hogReader.hash.digest('hex'), sha(hog));
      assert.is(otherReader.hash.digest('hex'), sha(other));
      await until(() => backend.stats().buffersLent === 0, 'every lent buffer given back');
      assert.is(backend.stats().buffersInKernelUse, 0);
      for (const client of clients) client.destroy();
    });
  } finally {
    backend.close();
  }
});

test('a reader that leaves mid-stream: the next reader (data$) gets the rest in order, the views it did not take go back', async () => {
  const backend = uringBackend({ ring: { buffers: 64, bufferSize: 4096 } });
  try {
    await withServer(backend, async (server) => {
      const data = payload(2 * 1024 * 1024, 5);
      const accepted = nextAccepted(server);
      const client = await sender(server.port, data);
      const [connection] = await accepted;
      // Ten leases, copied and released as they come (the credit is 4 buffers), then the reader leaves.
      const firstPart = await firstValueFrom(
        of(connection!).pipe(proactor({ buffers: 4, bufferSize: 4096, autoRelease: true }), map((lease) => Buffer.from(lease.buffer)), take(10), toArray()),
      );
      const rest = await firstValueFrom(connection!.data$.pipe(toArray()));
      const all = Buffer.concat([...firstPart, ...rest]);
      assert.is(all.length, data.length);
      assert.is(sha(all), sha(data));
      await until(() => backend.stats().buffersLent === 0, 'every lent buffer given back');
      assert.is(backend.stats().buffersInKernelUse, 0);
      client.destroy();
    });
  } finally {
    backend.close();
  }
});

test('leases outlive their connection and their ring: still readable after both closed, released without harm', async () => {
  const backend = uringBackend({ ring: { buffers: 16, bufferSize: 4096 } });
  let closed = false;
  try {
    await withServer(backend, async (server) => {
      const data = payload(48 * 1024, 6);
      const accepted = nextAccepted(server);
      const client = await sender(server.port, data);
      const [connection] = await accepted;
      const reader = read(connection!, true, { buffers: 64, bufferSize: 4096 });
      await until(() => reader.done, 'the end of input');
      connection!.close();
      await firstValueFrom(connection!.closed$);
      const copy = Buffer.concat(reader.leases.map((lease) => Buffer.from(lease.buffer)));
      assert.is(sha(copy), sha(data));
      assert.is(backend.stats().buffersLent, reader.leases.length);
      // The ring goes while the leases are held: their memory stays mapped until the last view is gone.
      backend.close();
      closed = true;
      const again = Buffer.concat(reader.leases.map((lease) => Buffer.from(lease.buffer)));
      assert.is(sha(again), sha(data));
      releaseAll(reader);
      client.destroy();
    });
  } finally {
    if (!closed) backend.close();
  }
});

test('a view given back twice is refused (counted), even once its buffer is lent again, and the ring stays sound', async () => {
  const backend = uringBackend({ ring: { buffers: 16, bufferSize: 4096 } });
  try {
    await withServer(backend, async (server) => {
      const data = payload(256 * 1024, 7);
      const accepted = nextAccepted(server);
      const client = await sender(server.port, data);
      const [connection] = await accepted;
      const hash = createHash('sha256');
      let first: Buffer | undefined;
      let leases = 0;
      let done = false;
      of(connection!).pipe(proactor({ buffers: 4, bufferSize: 4096 })).subscribe({
        next: (lease) => {
          hash.update(lease.buffer);
          leases++;
          const view = lease.buffer;
          lease.release();
          if (first === undefined) first = view;
          // Every 10th lease, the first view goes back again: by now its buffer was lent out again.
          else if (leases % 10 === 0) connection!.releaseProvided(first);
        },
        complete: () => {
          done = true;
        },
      });
      await until(() => done, 'the end of input');
      assert.is(hash.digest('hex'), sha(data));
      assert.is(backend.stats().refusedReturns, Math.floor(leases / 10));
      assert.ok(leases >= 20, `${leases} leases`);
      await until(() => backend.stats().buffersLent === 0, 'every lent buffer given back');
      assert.is(backend.stats().buffersInKernelUse, 0);
      client.destroy();
    });
  } finally {
    backend.close();
  }
});

test("backendBuffers: false reads into proactor()'s own pool on uring (nothing lent by the ring)", async () => {
  const backend = uringBackend({ ring: { buffers: 16, bufferSize: 4096 } });
  try {
    await withServer(backend, async (server) => {
      const data = payload(512 * 1024, 8);
      const accepted = nextAccepted(server);
      const client = await sender(server.port, data);
      const [connection] = await accepted;
      const reader = read(connection!, false, { backendBuffers: false });
      await until(() => reader.done, 'the end of input');
      assert.is(reader.hash.digest('hex'), sha(data));
      assert.is(backend.stats().lent, 0);
      client.destroy();
    });
  } finally {
    backend.close();
  }
});

test("'provided' reads are refused with ERR_UNSUPPORTED where a backend has no buffers of its own (node, embedded)", async () => {
  for (const backend of [nodeBackend(), embeddedBackend()]) {
    const server = await startServer(backend);
    try {
      const accepted = nextAccepted(server);
      const client = backend.name === 'embedded' ? undefined : await sender(server.port, Buffer.from('x'));
      if (client === undefined) {
        const { dial } = await import('../../support/sockets.js');
        await dial(backend, server.port);
      }
      const [connection] = await accepted;
      assert.is(connection!.providedBufferSize, undefined);
      const error = (() => {
        try {
          connection!.transport.setReadMode('provided', { credit: 1 });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.UNSUPPORTED);
      connection!.close();
      client?.destroy();
    } finally {
      server.stop();
    }
  }
});

test("'provided' mode asks for a positive integer credit", async () => {
  const backend = uringBackend({ ring: { buffers: 16, bufferSize: 4096 } });
  try {
    await withServer(backend, async (server) => {
      const accepted = nextAccepted(server);
      const client = await sender(server.port, Buffer.from('x'));
      const [connection] = await accepted;
      for (const credit of [0, -1, 1.5, Number.NaN]) {
        try {
          connection!.transport.setReadMode('provided', { credit });
          assert.unreachable(`credit ${credit} was taken`);
        } catch (error) {
          assert.instance(error, RxloopError);
          assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
        }
      }
      connection!.close();
      client.destroy();
    });
  } finally {
    backend.close();
  }
});

test.run();
