import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import { firstValueFrom, map } from 'rxjs';
import { ErrorCode, listen, nodeBackend, type Connection, type RxloopError } from '../../src/index.js';
import { outputLimitsOf } from '../../src/connection/outputLimits.js';
import { handle } from '../../operators/handle.js';
import { dial, startServer } from '../support/sockets.js';
import { until } from '../backends/node/until.js';

const backend = nodeBackend();

/** A server whose accepted connections use `outputLimit`, and a client that does not read. */
async function pair(outputLimit: Parameters<typeof listen>[0]['outputLimit']) {
  const accepted: Connection[] = [];
  let port = 0;
  const subscription = await new Promise<{ unsubscribe(): void }>((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, outputLimit, onListening: ({ address }) => {
      port = address.kind === 'inet' ? address.port : 0;
      resolve(s);
    } }).subscribe((c) => accepted.push(c));
  });
  const client = await dial(backend, port);
  await until(() => accepted.length === 1, 'the accept');
  return { server: accepted[0]!, client, stop: () => subscription.unsubscribe() };
}

test('past the hard limit the connection is reset and closes with ERR_OUTPUT_LIMIT', async () => {
  const { server, client, stop } = await pair({ hard: 1024 * 1024 });
  try {
    const closed = firstValueFrom(server.closed$);
    // The client does not read: the kernel's buffers fill, then our queue.
    for (let i = 0; i < 64 && !server.isOutputEnded; i++) server.write(Buffer.alloc(256 * 1024));
    const { error } = await closed;
    assert.is(error?.code, ErrorCode.OUTPUT_LIMIT);
    assert.match(error!.message, /hard output limit of 1048576/);
    assert.throws(() => server.write('more'), (e: RxloopError) => e.code === ErrorCode.SOCKET_CLOSED);
    // (The reset reaches the peer, but one that was not reading when it came may read it as an end on Linux.)
    client.close();
  } finally {
    stop();
  }
});

test('above the soft limit for softSeconds in a row the connection is reset; a peer that catches up in time is not', async () => {
  const limit = { soft: 256 * 1024, softSeconds: 0.2 };
  const slow = await pair(limit);
  try {
    const closed = firstValueFrom(slow.server.closed$);
    for (let i = 0; i < 32; i++) slow.server.write(Buffer.alloc(256 * 1024));
    assert.ok(slow.server.isOpen, 'under the hard limit: still open');
    const { error } = await closed;
    assert.is(error?.code, ErrorCode.OUTPUT_LIMIT);
    assert.match(error!.message, /soft output limit of 262144 for 0.2 s/);
  } finally {
    slow.stop();
  }
  const catching = await pair(limit);
  try {
    for (let i = 0; i < 32; i++) catching.server.write(Buffer.alloc(256 * 1024));
    let received = 0;
    catching.client.data$.subscribe((chunk) => (received += chunk.length));
    await until(() => received === 32 * 256 * 1024, 'every byte', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(catching.server.isOpen, 'the soft limit forgives a peer that catches up');
  } finally {
    catching.stop();
  }
});

test('handle() reports ERR_OUTPUT_LIMIT as that connection\'s handler error; the default is on, false turns it off', async () => {
  const server = await startServer(backend);
  try {
    assert.equal(outputLimitsOf({}), { hard: 64 * 1024 * 1024, soft: 16 * 1024 * 1024, softMs: 30_000 });
    assert.is(outputLimitsOf({ outputLimit: false }), undefined);
    const bad = await firstValueFrom(listen({ port: 0, outputLimit: { hard: -1 } })).catch((e: RxloopError) => e.code);
    assert.is(bad, ErrorCode.INVALID_ARGUMENT);
  } finally {
    server.stop();
  }
  // A handler that writes without waiting for the socket: the limit cuts it off, handle() reports the code.
  const events: string[] = [];
  let port = 0;
  const subscription = await new Promise<{ unsubscribe(): void }>((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, outputLimit: { hard: 512 * 1024 }, onListening: ({ address }) => {
      port = address.kind === 'inet' ? address.port : 0;
      resolve(s);
    } }).pipe(handle((connection) => {
      for (let i = 0; i < 64 && !connection.isOutputEnded; i++) connection.write(Buffer.alloc(128 * 1024));
      return connection.closed$.pipe(map(({ error }) => {
        if (error !== undefined) throw error;
      }));
    })).subscribe((event) => events.push(event.type === 'handler-error' ? event.code : event.type));
  });
  try {
    const client = netConnect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    client.pause();
    await until(() => events.length > 0, 'the report');
    assert.equal(events, [ErrorCode.OUTPUT_LIMIT]);
    client.destroy();
  } finally {
    subscription.unsubscribe();
  }
});

test.run();
