// uringBackend() itself: what runs on the ring and what goes to the node backend, a ring of its own, the
// scheduler, adoption. The addon is built on the machines rxloop is tested on (see uringSupport.test.ts), so
// where the ring cannot run, these tests fail with uringBackend()'s ERR_UNSUPPORTED reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readlinkSync } from 'node:fs';
import { createServer, connect as netConnect, type Server as NetServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { asyncScheduler, firstValueFrom, lastValueFrom, mergeMap, queueScheduler, take, toArray, type Subscription } from 'rxjs';
import { ErrorCode, bind, connect, listen, uringBackend, uringSupport, type RxloopError, type Transport } from '../../../src/index.js';
import type { SocketAddress } from '../../../src/backends/Backend.js';
import { UringTransport } from '../../../src/backends/uring/UringTransport.js';
import { NodeTransport } from '../../../src/backends/node/NodeTransport.js';
import { UringAcceptor } from '../../../src/backends/uring/UringAcceptor.js';
import { selfSignedCertificate } from '../../support/tlsCertificate.js';
import { within } from '../../support/spawned.js';

const subscriptions: Subscription[] = [];
const sockets: Socket[] = [];
test.after.each(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  for (const socket of sockets.splice(0)) socket.destroy();
});

const portOf = (address: SocketAddress): number => (address.kind === 'inet' ? address.port : 0);

/** What descriptor `fd` of this process points at (`socket:[inode]`), or undefined when it is not open. */
function socketInode(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** A raw client: writes `text`, ends, resolves with what came back before the close. */
function exchange(port: number, text: string): Promise<string> {
  return within(5000, `the exchange on port ${port}`, new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => socket.end(text));
    sockets.push(socket);
    let got = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (got += chunk));
    socket.once('error', reject).once('close', () => resolve(got));
  }));
}

/** Listens on the backend's own listen(); resolves with the port and the transports it accepts. */
function rawListen(backend: ReturnType<typeof uringBackend>, tls?: object): Promise<{ port: number; accepted: Promise<Transport>; close(): void }> {
  let take!: (transport: Transport) => void;
  const accepted = new Promise<Transport>((resolve) => (take = resolve));
  return within(5000, 'listen', new Promise((resolve, reject) => {
    const acceptor = backend.listen({ host: '127.0.0.1', port: 0, ...(tls === undefined ? {} : { tls }) }, {
      listening: (address) => resolve({ port: portOf(address), accepted, close: () => acceptor.close() }),
      accepted: take,
      failed: reject,
    });
  }));
}

test('where the addon is expected it is there: uringBackend() is a backend named uring', () => {
  assert.ok(uringSupport().available, `io_uring should run here: ${uringSupport().reason}`);
  const backend = uringBackend();
  assert.is(backend.name, 'uring');
  assert.is(backend.scheduler, asyncScheduler, 'asyncScheduler by default');
  assert.is(uringBackend({ scheduler: queueScheduler }).scheduler, queueScheduler);
  assert.type(backend.adopt, 'function');
});

test('the TSDoc example: an echo server on the uring backend', async () => {
  const port = await within(5000, 'listen', new Promise<number>((resolve) => {
    subscriptions.push(listen({ host: '127.0.0.1', port: 0, backend: uringBackend(), onListening: (info) => resolve(portOf(info.address)) })
      .subscribe((connection) => {
        connection.data$.subscribe({ next: (chunk) => connection.write(chunk), complete: () => connection.close() }); // echo
      }));
  }));
  assert.is(await exchange(port, 'over the ring'), 'over the ring');
});

test('plain TCP is served on the ring; TLS goes to the node backend, on the same loop, with the same contract', async () => {
  const backend = uringBackend();
  const plain = await rawListen(backend);
  try {
    const client = netConnect({ host: '127.0.0.1', port: plain.port });
    sockets.push(client);
    const transport = await within(5000, 'the accept', plain.accepted);
    assert.instance(transport, UringTransport);
    assert.equal(transport.features, { zeroCopyLeasedReads: true, secure: false, providedBuffers: { bufferSize: 16384 } });
    transport.close();
  } finally {
    plain.close();
  }
  const { key, cert } = selfSignedCertificate();
  const secure = await rawListen(backend, { key, cert });
  try {
    const client = tlsConnect({ host: '127.0.0.1', port: secure.port, rejectUnauthorized: false });
    sockets.push(client);
    client.on('error', () => undefined);
    const transport = await within(5000, 'the TLS accept', secure.accepted);
    assert.instance(transport, NodeTransport);
    assert.ok(transport.features.secure);
    transport.close();
  } finally {
    secure.close();
  }
  const acceptor = backend.listen({ host: '127.0.0.1', port: 0 }, { listening: () => undefined, accepted: () => undefined, failed: () => undefined });
  assert.instance(acceptor, UringAcceptor, 'listen without tls is the ring\'s own acceptor');
  acceptor.close();
});

test('connect runs on the ring and reports a refused port as ERR_CONNECT_REFUSED; UDP goes to the node backend', async () => {
  const backend = uringBackend();
  const server = await rawListen(backend);
  const port = server.port;
  const connected = await within(5000, 'connect', new Promise<Transport>((resolve, reject) => {
    backend.connect({ host: '127.0.0.1', port }, { connected: resolve, failed: reject });
  }));
  assert.instance(connected, UringTransport);
  connected.close();
  (await server.accepted).close();
  server.close();
  // Nothing listens on that port now.
  const refused = await within(5000, 'the refusal', firstValueFrom(connect({ host: '127.0.0.1', port, backend })).then(
    (): RxloopError => assert.unreachable('connected to a closed port') as never,
    (error: RxloopError) => error,
  ));
  assert.is(refused.code, ErrorCode.CONNECT_REFUSED);

  const echoed = await within(5000, 'a UDP round trip', new Promise<string>((resolve, reject) => {
    subscriptions.push(bind({ port: 0, address: '127.0.0.1', backend }).pipe(
      mergeMap((socket) => {
        const me = portOf(socket.address!);
        const reply = socket.datagrams$.pipe(take(1), toArray());
        void lastValueFrom(socket.send('udp', me), { defaultValue: undefined });
        return reply;
      }),
    ).subscribe({ next: ([datagram]) => resolve(datagram!.data.toString()), error: reject }));
  }));
  assert.is(echoed, 'udp', 'a datagram to itself, through the node backend\'s dgram socket');
});

/** A node:net server that accepts paused sockets (never read), as a multi-reactor's acceptor does. */
async function pausedServer(): Promise<{ server: NetServer; port: number }> {
  const server: NetServer = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Connects a client to `server` and returns it with the socket the server accepted for it. */
async function nodeAccept(server: NetServer, port: number): Promise<{ client: Socket; socket: Socket }> {
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = netConnect({ host: '127.0.0.1', port });
  sockets.push(client);
  return { client, socket: await within(5000, 'the node accept', accepted) };
}

/**
 * Echoes on `transport` (completion mode; its end follows the peer's), sends `text` from `client` and ends it;
 * resolves once the server has read to the end and the client is closed, with what each side received.
 */
async function echoThrough(transport: Transport, client: Socket, text: string): Promise<{ received: string; echoed: string }> {
  const received: Buffer[] = [];
  const ended = new Promise<void>((resolve) => transport.attach({
    readable: () => undefined,
    completed: (chunks) => {
      received.push(...chunks);
      for (const chunk of chunks) transport.write(chunk);
    },
    writable: () => undefined,
    ended: () => {
      transport.end();
      resolve();
    },
    closed: () => undefined,
  }));
  transport.setReadMode('completion');
  transport.setReading(true);
  let echoed = '';
  client.setEncoding('latin1').on('data', (chunk: string) => (echoed += chunk));
  const closed = new Promise((resolve) => client.once('close', resolve));
  client.end(text);
  await within(5000, 'the end of input', ended);
  await within(5000, 'the echo and the close', closed);
  return { received: Buffer.concat(received).toString('latin1'), echoed };
}

test('adopt takes the descriptor of a plain socket accepted elsewhere (Node\'s socket goes, the connection stays)', async () => {
  const backend = uringBackend();
  const { server, port } = await pausedServer();
  try {
    const { client, socket } = await nodeAccept(server, port);
    const transport = backend.adopt!(socket);
    assert.instance(transport, UringTransport);
    assert.ok(socket.destroyed, 'the node socket is destroyed; the ring holds a duplicate descriptor');
    const { received, echoed } = await echoThrough(transport, client, 'adopted');
    assert.is(received, 'adopted');
    assert.is(echoed, 'adopted');
  } finally {
    server.close();
  }
});

test('detachDescriptor hands a socket accepted here to another thread as a number; adoptDescriptor there serves it on the ring', async () => {
  const backend = uringBackend();
  const { server, port } = await pausedServer();
  try {
    const { client, socket } = await nodeAccept(server, port);
    const detached = backend.detachDescriptor!(socket);
    assert.ok(detached !== undefined && detached.fd >= 0, 'a descriptor');
    assert.is(detached!.unix, false);
    assert.ok(socket.destroyed, 'the socket here is closed; the descriptor travels');
    // In a worker thread this runs on that thread's ring; the descriptor is the process's either way.
    const travelled = socketInode(detached!.fd);
    assert.match(travelled ?? 'not open', /^socket:/);
    const transport = backend.adoptDescriptor!(detached!.fd, false);
    assert.instance(transport, UringTransport);
    // The ring serves a duplicate of its own: the travelled descriptor stays the detaching side's to close.
    assert.is(socketInode(detached!.fd), travelled, 'adoptDescriptor leaves the travelled descriptor open');
    backend.closeDescriptor!(detached!.fd);
    assert.is(socketInode(detached!.fd), undefined, 'closeDescriptor closed it');
    assert.is(transport.remoteAddress?.kind === 'inet' ? transport.remoteAddress.port : -1, client.localPort);
    const { received, echoed } = await echoThrough(transport, client, 'handed over');
    assert.is(received, 'handed over');
    assert.is(echoed, 'handed over');
    // A descriptor that travelled to nobody is closed by closeDescriptor; a socket with none gives undefined.
    const spare = backend.detachDescriptor!((await nodeAccept(server, port)).socket);
    backend.closeDescriptor!(spare!.fd);
    assert.throws(() => backend.adoptDescriptor!(spare!.fd, false), (error: RxloopError) => error.code === ErrorCode.SOCKET);
    assert.is(backend.detachDescriptor!(socket), undefined, 'a destroyed socket has no descriptor to give');
  } finally {
    server.close();
  }
});

test('a ring of its own: the sizes asked for, its own counters, and close() closes it with its sockets', async () => {
  const backend = uringBackend({ ring: { entries: 64, buffers: 8, bufferSize: 4096 } });
  const shared = uringBackend();
  const stats = backend.stats();
  assert.is(stats.bufferCount, 8);
  assert.is(stats.bufferSize, 4096);
  assert.is(shared.stats().bufferCount, 1024, 'the shared ring keeps the default sizes');
  const server = await rawListen(backend);
  const client = netConnect({ host: '127.0.0.1', port: server.port });
  sockets.push(client);
  client.on('error', () => undefined);
  await within(5000, 'the accept', server.accepted);
  const before = backend.stats().completions;
  assert.ok(before > 0, 'the accept completed on this backend\'s ring');
  const closed = new Promise((resolve) => client.once('close', resolve));
  backend.close();
  await within(5000, 'the accepted connection closed with the ring', closed);
  // close() on a backend of the shared ring does nothing: that ring still serves.
  shared.close();
  const again = await rawListen(shared);
  try {
    assert.is(await Promise.all([exchange(again.port, 'x'), again.accepted.then((t) => t.close())]).then(([text]) => text), '');
  } finally {
    again.close();
  }
});

test('endOfTurn runs its callback after the current synchronous work, before timers', async () => {
  const backend = uringBackend();
  const order: string[] = [];
  const done = new Promise<void>((resolve) => setTimeout(() => {
    order.push('timer');
    resolve();
  }, 0));
  backend.endOfTurn(() => order.push('end of turn'));
  order.push('sync');
  await within(5000, 'the timer', done);
  assert.equal(order, ['sync', 'end of turn', 'timer']);
});

test.run();
