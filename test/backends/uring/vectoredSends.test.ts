// Vectored sends queued while the ring's request table grows: many connections each queue a send of several
// buffers (one sendmsg request, whose message header lives in the ring's slot for the request) in the same turn,
// so the table grows between the first request's preparation and the submission at the end of the turn. The
// kernel reads each message header only then: every peer must receive exactly its own bytes. (The table was a
// vector whose growth moved the slots, and such sends failed with EFAULT or EMSGSIZE, about once per fresh ring.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { uringBackend, type Transport } from '../../../src/index.js';
import type { SocketAddress } from '../../../src/backends/Backend.js';
import { payload, until } from '../../support/waitAndBytes.js';

test('64 connections each queue a 3-part send in one turn on a fresh ring: every peer gets exactly its bytes', async () => {
  for (let round = 0; round < 5; round++) {
    const backend = uringBackend({ ring: { entries: 1024, buffers: 64, bufferSize: 4096 } });
    const accepted: Transport[] = [];
    const errors: string[] = [];
    let acceptor: { close(): void } | undefined;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        acceptor = backend.listen({ host: '127.0.0.1', port: 0 }, {
          listening: (address: SocketAddress) => resolve(address.kind === 'inet' ? address.port : 0),
          accepted(transport) {
            accepted.push(transport);
            transport.attach({
              readable: () => {},
              completed: () => {},
              writable: () => {},
              ended: () => {},
              closed: (error) => {
                if (error !== undefined) errors.push(`${error.code}: ${error.message}`);
              },
            });
          },
          failed: reject,
        });
      });
      const count = 64;
      const received = Array.from({ length: count }, () => [] as Buffer[]);
      const clients = await Promise.all(Array.from({ length: count }, (_, i) => new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
        socket.on('data', (chunk: Buffer) => received[i]!.push(chunk));
        socket.on('error', reject);
      })));
      await until(() => accepted.length === count, `${count} accepted connections`);
      // Each accepted transport is matched to its client by port, then all queue their sends in this one turn.
      const byPort = new Map(clients.map((socket, i) => [socket.localPort, i]));
      const expected: Buffer[] = [];
      for (const transport of accepted) {
        const peer = transport.remoteAddress;
        const index = byPort.get(peer?.kind === 'inet' ? peer.port : -1)!;
        const parts = [payload(1000, 3 * index + 1), payload(2000, 3 * index + 2), payload(3000, 3 * index + 3)];
        expected[index] = Buffer.concat(parts);
        for (const part of parts) transport.write(part);
      }
      await until(() => received.every((chunks, i) => Buffer.concat(chunks).length >= expected[i]!.length) || errors.length > 0,
        () => `every peer's 6,000 bytes (errors: ${errors.join('; ')})`, 10_000);
      assert.equal(errors, []);
      for (let i = 0; i < count; i++) assert.ok(Buffer.concat(received[i]!).equals(expected[i]!), `peer ${i} got other bytes`);
      for (const socket of clients) socket.destroy();
    } finally {
      acceptor?.close();
      for (const transport of accepted) transport.abort();
      backend.close();
    }
  }
});

test.run();
