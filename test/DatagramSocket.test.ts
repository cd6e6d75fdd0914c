import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, lastValueFrom, mergeMap, take, toArray, type Subscription } from 'rxjs';
import { DatagramSocket, ErrorCode, RxloopError, bind, type Datagram } from '../src/index.js';
import { within } from './support/spawned.js';

const bound: Subscription[] = [];
const peers: UdpSocket[] = [];

/** Binds on 127.0.0.1 port 0 and resolves with the socket, kept bound until the test ends. */
function bindLoopback(): Promise<DatagramSocket> {
  return within(5000, 'bind', new Promise((resolve, reject) => {
    bound.push(bind({ port: 0, address: '127.0.0.1' }).subscribe({ next: resolve, error: reject }));
  }));
}

function portOf(socket: DatagramSocket): number {
  const address = socket.address;
  assert.ok(address?.kind === 'inet', `bound to an inet address, got ${JSON.stringify(address)}`);
  return address.port;
}

/** A plain node:dgram peer on loopback. */
async function peer(): Promise<{ socket: UdpSocket; port: number; received: Buffer[]; next: () => Promise<Buffer> }> {
  const socket = createSocket('udp4');
  peers.push(socket);
  const received: Buffer[] = [];
  let waiting: ((message: Buffer) => void) | undefined;
  socket.on('message', (message: Buffer) => {
    received.push(message);
    waiting?.(message);
    waiting = undefined;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    port: socket.address().port,
    received,
    next: () => within(5000, 'a datagram at the peer', new Promise<Buffer>((resolve) => (waiting = resolve))),
  };
}

const sent = (socket: DatagramSocket, data: Uint8Array | string, port: number, address?: string): Promise<undefined> =>
  within(5000, 'the send', lastValueFrom(socket.send(data, port, address), { defaultValue: undefined }));

test.after.each(() => {
  for (const subscription of bound.splice(0)) subscription.unsubscribe();
  for (const socket of peers.splice(0)) socket.close();
});

test('address is where the socket is bound', async () => {
  const socket = await bindLoopback();
  assert.equal({ ...socket.address, port: 0 }, { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: 0 });
  assert.ok(portOf(socket) > 0);
});

test('datagrams$ gives each datagram with its sender to every subscriber there when it arrives; none are kept for latecomers', async () => {
  const socket = await bindLoopback();
  const from = await peer();
  const send = (text: string) => from.socket.send(text, portOf(socket), '127.0.0.1');

  // No subscriber: the datagram is dropped, as the network may drop it.
  send('lost');
  await sleep(50);
  const first = firstValueFrom(socket.datagrams$);
  const both = lastValueFrom(socket.datagrams$.pipe(take(2), toArray()));
  send('one');
  const got: Datagram = await within(5000, 'the first datagram', first);
  assert.is(got.data.toString(), 'one', 'the one sent while nobody listened is not delivered late');
  assert.equal(got.from, { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: from.port });
  send('two');
  const seen = await within(5000, 'two datagrams', both);
  assert.equal(seen.map((d) => d.data.toString()), ['one', 'two'], 'the second subscriber saw both; the first left after one');
});

test('send emits nothing and completes once handed to the system; it is lazy, and takes strings and bytes', async () => {
  const socket = await bindLoopback();
  const to = await peer();
  const lazy = socket.send('never', to.port);
  await sleep(50);
  assert.equal(to.received, [], 'nothing is sent before subscribing');
  const arriving = to.next();
  const emitted = await within(5000, 'the send', lastValueFrom(lazy.pipe(toArray())));
  assert.equal(emitted, []);
  assert.is((await arriving).toString(), 'never', 'sent on subscribe, to 127.0.0.1 by default');
  const bytes = to.next();
  await sent(socket, new Uint8Array([1, 2, 3]), to.port, '127.0.0.1');
  assert.equal([...(await bytes)], [1, 2, 3]);
});

test('send to a bad port errors with ERR_INVALID_ARGUMENT; one the system refuses with its coded error', async () => {
  const socket = await bindLoopback();
  for (const port of [0, -1, 65536, 1.5, Number.NaN]) {
    const error = await sent(socket, 'x', port).catch((e: unknown) => e);
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT, String(port));
    assert.match((error as RxloopError).message, /send port/);
  }
  // An IPv6 destination from an IPv4 socket: the kernel says EINVAL.
  const refused = await sent(socket, 'x', 9, '::1').catch((e: unknown) => e);
  assert.instance(refused, RxloopError);
  assert.is((refused as RxloopError).code, ErrorCode.SOCKET);
  assert.is((refused as RxloopError).errno, 'EINVAL');
  assert.is((refused as RxloopError).syscall, 'send');
});

test('close completes datagrams$ and the bind Observable; later, datagrams$ completes at once and send errors ERR_SOCKET_CLOSED', async () => {
  let socket!: DatagramSocket;
  const bindEnded = within(5000, 'bind to complete', new Promise<void>((resolve, reject) => {
    bound.push(bind({ port: 0, address: '127.0.0.1' }).subscribe({ next: (s) => (socket = s), complete: resolve, error: reject }));
  }));
  await within(5000, 'bind', (async () => {
    while (socket === undefined) await sleep(5);
  })());
  const listening = lastValueFrom(socket.datagrams$.pipe(toArray()));
  socket.close();
  socket.close(); // twice is harmless
  assert.equal(await within(5000, 'datagrams$ to complete', listening), []);
  await bindEnded;
  assert.equal(await within(5000, 'a late subscription', lastValueFrom(socket.datagrams$.pipe(toArray()))), []);
  const error = await sent(socket, 'x', 9).catch((e: unknown) => e);
  assert.instance(error, RxloopError);
  assert.is((error as RxloopError).code, ErrorCode.SOCKET_CLOSED);
});

test('the TSDoc example: a UDP echo server answers each datagram to its sender', async () => {
  const server = await within(5000, 'the echo server', new Promise<DatagramSocket>((resolve) => {
    bound.push(bind({ port: 0, address: '127.0.0.1' }).pipe(
      mergeMap((socket) => {
        resolve(socket);
        return socket.datagrams$.pipe(
          mergeMap(({ data, from }) => from.kind === 'inet' ? socket.send(data, from.port, from.address) : []),
        );
      }),
    ).subscribe());
  }));
  const client = await peer();
  for (const word of ['ping', 'pong']) {
    const reply = client.next();
    client.socket.send(word, portOf(server), '127.0.0.1');
    assert.is((await reply).toString(), word);
  }
});

test.run();
