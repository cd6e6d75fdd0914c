// A peer that sends and then resets while the server reads: the bytes that come in the same batch of the ring's
// completions as the reset reach the reader first, then the connection fails with ERR_CONNECTION_RESET, in every
// read mode. (Until 2026-12-03 the uring transport dropped that batch: 0 of 48,000 bytes in data$ and provided
// reads. Leased reads complete one lease at a time and never had the problem; they are here so every mode is
// checked.) A reset while the reader is stopped still closes at once, as test/connection/peerLeaves.test.ts
// shows on each backend. On real loopback sockets; the reader starts once the peer's reset is in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { of } from 'rxjs';
import { type Connection, ErrorCode, uringBackend } from '../../../src/index.js';
import { proactor } from '../../../operators/index.js';
import { nextAccepted, startServer } from '../../support/sockets.js';
import { payload, sleep, until } from '../../support/waitAndBytes.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Outcome {
  readonly bytes: Buffer;
  readonly error: string | undefined;
  readonly done: boolean;
}

/** Reads `connection` to its end with data$ or proactor() (provided views, or the operator's own leases). */
function read(connection: Connection, how: 'data$' | 'provided' | 'leased'): () => Outcome {
  const chunks: Buffer[] = [];
  let error: string | undefined;
  let done = false;
  const observer = {
    error: (e: { code?: string }) => {
      error = e.code ?? String(e);
      done = true;
    },
    complete: () => {
      done = true;
    },
  };
  if (how === 'data$') {
    connection.data$.subscribe({ next: (chunk) => chunks.push(Buffer.from(chunk)), ...observer });
  } else {
    of(connection).pipe(proactor(how === 'leased' ? { backendBuffers: false } : {})).subscribe({
      next: (lease) => {
        chunks.push(Buffer.from(lease.buffer));
        lease.release();
      },
      ...observer,
    });
  }
  return () => ({ bytes: Buffer.concat(chunks), error, done });
}

for (const how of ['data$', 'provided', 'leased'] as const) {
  test(`${how}: the bytes received before a reset come first, then ERR_CONNECTION_RESET`, async () => {
    const backend = uringBackend({ ring: { buffers: 64, bufferSize: 16384 } });
    const server = await startServer(backend);
    try {
      // Less than the receive window and the ring's read-ahead: all of it is in this host before the reset.
      const data = payload(48_000, 21);
      const accepted = nextAccepted(server);
      const peer = net.connect({ host: '127.0.0.1', port: server.port });
      peer.on('error', () => undefined);
      const peerClosed = new Promise((resolve) => peer.once('close', resolve));
      peer.once('connect', () => peer.write(data, () => setTimeout(() => peer.resetAndDestroy(), 50)));
      const [connection] = await accepted;
      await peerClosed;
      // The reset is in the kernel behind the bytes: the first receive brings both.
      await sleep(50);
      const outcome = read(connection!, how);
      await until(() => outcome().done, 'the end of the reader');
      const { bytes, error } = outcome();
      assert.is(error, ErrorCode.CONNECTION_RESET);
      assert.is(bytes.length, data.length, `${bytes.length} of ${data.length} bytes before the reset`);
      assert.is(sha(bytes), sha(data));
      await until(() => backend.stats().buffersLent === 0, 'every lent buffer back in the ring');
    } finally {
      server.stop();
      backend.close();
    }
  });
}

test.run();
