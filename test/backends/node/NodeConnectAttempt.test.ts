import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subscription, type SchedulerLike } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectSpec, Transport } from '../../../src/backends/Backend.js';
import { nodeBackend } from '../../../src/backends/node/nodeBackend.js';
import { ErrorCode, type RxloopError } from '../../../src/errors.js';
import { connectTo, listenOn, OpenSockets } from './connectPair.js';
import { selfSignedCertificate } from './selfSignedCertificate.js';
import { TransportRecorder } from './TransportRecorder.js';
import { turns, until } from './until.js';

const backend = nodeBackend();
const open = new OpenSockets();
const servers: Server[] = [];
const dir = mkdtempSync(join(tmpdir(), 'rxloop-node-connect-'));

test.after.each(() => {
  open.closeAll();
  for (const server of servers.splice(0)) server.close();
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A plain node:net server that accepts and never says a word (so a TLS handshake never completes); it reads and
 * drops what arrives, and counts the sockets that closed.
 */
async function silentServer(): Promise<{ port: number; sockets: Socket[]; closed: () => number }> {
  const sockets: Socket[] = [];
  let closed = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('close', () => closed++);
    socket.resume();
  });
  servers.push(server);
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return { port: address.port, sockets, closed: () => closed };
}

async function closedPort(): Promise<number> {
  const { acceptor, address } = await listenOn(backend, open);
  acceptor.close();
  if (address.kind !== 'inet') throw new Error('expected an inet address');
  return address.port;
}

async function outcome(spec: ConnectSpec): Promise<{ transport?: Transport; error?: RxloopError; sync: boolean }> {
  let transport: Transport | undefined;
  let error: RxloopError | undefined;
  backend.connect(spec, {
    connected: (t) => (transport = open.transport(t)),
    failed: (e) => (error = e),
  });
  const sync = transport !== undefined || error !== undefined;
  await until(() => transport !== undefined || error !== undefined, 'the connect outcome');
  return { transport, error, sync };
}

test('a refused connection fails with ERR_CONNECT_REFUSED', async () => {
  const port = await closedPort();
  const { error, sync } = await outcome({ host: '127.0.0.1', port });
  assert.not.ok(sync, 'failed was called from inside connect');
  assert.is(error?.code, ErrorCode.CONNECT_REFUSED);
  assert.is(error?.errno, 'ECONNREFUSED');
  assert.match(error?.message ?? '', `connect to 127.0.0.1:${port}`);
});

test('a Unix path nobody listens on fails with ERR_CONNECT_REFUSED', async () => {
  const { error } = await outcome({ path: join(dir, 'nobody.sock') });
  assert.is(error?.code, ErrorCode.CONNECT_REFUSED);
});

test('a TLS handshake that never completes fails with ERR_CONNECT_TIMEOUT and the socket is destroyed', async () => {
  const silent = await silentServer();
  const { error } = await outcome({ host: '127.0.0.1', port: silent.port, timeout: 30, tls: { rejectUnauthorized: false } });
  assert.is(error?.code, ErrorCode.CONNECT_TIMEOUT);
  assert.match(error?.message ?? '', 'within 30 ms');
  await until(() => silent.closed() === 1, 'the server to see the close');
});

test('the timeout runs on the backend scheduler and stops once connected', async () => {
  const scheduled: number[] = [];
  let cancelled = 0;
  const scheduler: SchedulerLike = {
    now: () => Date.now(),
    schedule: ((_work: unknown, delay?: number) => {
      scheduled.push(delay ?? 0);
      return new Subscription(() => cancelled++);
    }) as SchedulerLike['schedule'],
  };
  const local = nodeBackend({ scheduler });
  assert.is(local.scheduler, scheduler);
  const { address } = await listenOn(local, open);
  if (address.kind !== 'inet') throw new Error('expected an inet address');
  await connectTo(local, open, { host: address.address, port: address.port, timeout: 1234 });
  assert.equal(scheduled, [1234]);
  assert.is(cancelled, 1);
});

test('cancel destroys the attempt silently', async () => {
  const silent = await silentServer();
  const calls: string[] = [];
  const attempt = backend.connect({ host: '127.0.0.1', port: silent.port, timeout: 10, tls: {} }, {
    connected: () => calls.push('connected'),
    failed: () => calls.push('failed'),
  });
  await until(() => silent.sockets.length === 1, 'the server to accept');
  attempt.cancel();
  attempt.cancel();
  await until(() => silent.closed() === 1, 'the server to see the close');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(calls, []);
});

test('a connected socket has not read anything before the transport is told to', async () => {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.end('hello before you asked');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = await connectTo(backend, open, { host: '127.0.0.1', port });
  await turns(30);
  assert.is(client.bytesRead, 0);
  assert.is(client.readableLength, 0);
  const recorder = new TransportRecorder(client, { mode: 'readiness' });
  await until(() => recorder.events.includes('ended'), 'the end');
  assert.is(recorder.text, 'hello before you asked');
});

test('TLS connects after the handshake and the transport is secure', async () => {
  const { key, cert } = selfSignedCertificate();
  const listening = await listenOn(backend, open, { host: '127.0.0.1', port: 0, tls: { key, cert } });
  if (listening.address.kind !== 'inet') throw new Error('expected an inet address');
  const client = await connectTo(backend, open, {
    host: '127.0.0.1',
    port: listening.address.port,
    tls: { ca: cert, servername: 'localhost' },
  });
  assert.equal(client.features, { zeroCopyLeasedReads: false, secure: true });
  await until(() => listening.accepted.length === 1, 'the accept');
  assert.equal(listening.accepted[0]!.features, { zeroCopyLeasedReads: false, secure: true });
});

test('a TLS certificate the client does not trust fails with ERR_TLS', async () => {
  const { key, cert } = selfSignedCertificate();
  const listening = await listenOn(backend, open, { host: '127.0.0.1', port: 0, tls: { key, cert } });
  if (listening.address.kind !== 'inet') throw new Error('expected an inet address');
  const { error } = await outcome({ host: '127.0.0.1', port: listening.address.port, tls: { servername: 'localhost' } });
  assert.is(error?.code, ErrorCode.TLS);
});

test('bad specs fail with ERR_INVALID_ARGUMENT, asynchronously', async () => {
  for (const spec of [{}, { port: 70_000, host: '127.0.0.1' }, { port: 1, path: join(dir, 'x.sock') }]) {
    const { error, sync } = await outcome(spec);
    assert.not.ok(sync, 'failed was called from inside connect');
    assert.is(error?.code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(spec));
  }
});

test.run();
