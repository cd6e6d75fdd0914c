import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualTimeScheduler } from 'rxjs';
import type { DatagramSink, SocketAddress } from '../../../src/backends/Backend.js';
import { embeddedBackend } from '../../../src/backends/embedded/embedded.js';
import type { RxloopError } from '../../../src/errors.js';

/** Records a datagram socket's events. */
function datagramLog() {
  const log: string[] = [];
  const received: { data: string; from: SocketAddress }[] = [];
  let address: SocketAddress | undefined;
  const sink: DatagramSink = {
    listening: (at) => {
      address = at;
      log.push('listening');
    },
    received: (data, from) => {
      received.push({ data: data.toString(), from });
      log.push('received');
    },
    failed: (error) => log.push(`failed:${error.code}`),
    closed: () => log.push('closed'),
  };
  return { log, received, sink, address: () => address };
}

function setup() {
  const scheduler = new VirtualTimeScheduler();
  return { backend: embeddedBackend({ scheduler }), flush: () => scheduler.flush() };
}

test('datagrams to a bound port arrive as copies, with the sender address', () => {
  const { backend, flush } = setup();
  const a = datagramLog();
  const b = datagramLog();
  const socketA = backend.bind({ type: 'udp4' }, a.sink);
  const socketB = backend.bind({ type: 'udp4', port: 9999 }, b.sink);
  flush();
  assert.equal(a.address(), { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: 40000 });
  assert.equal(socketB.address, { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: 9999 });
  const results: (RxloopError | undefined | 'pending')[] = ['pending', 'pending'];
  const buffer = Buffer.from('ping');
  socketA.send(buffer, 9999, '127.0.0.1', (error) => (results[0] = error));
  buffer.write('XXXX');
  socketA.send(Buffer.from('pong'), 9999, '127.0.0.1', (error) => (results[1] = error));
  assert.equal(results, ['pending', 'pending'], 'done is called from the loop');
  flush();
  assert.equal(results, [undefined, undefined]);
  assert.equal(b.received.map((datagram) => datagram.data), ['ping', 'pong'], 'boundaries kept, bytes copied');
  assert.equal(b.received[0]!.from, a.address());
});

test('a datagram to nobody is dropped silently', () => {
  const { backend, flush } = setup();
  const a = datagramLog();
  const socket = backend.bind({ type: 'udp6' }, a.sink);
  let result: RxloopError | undefined | 'pending' = 'pending';
  socket.send(Buffer.from('void'), 12345, '::1', (error) => (result = error));
  flush();
  assert.is(result, undefined);
  assert.equal(a.log, ['listening']);
  assert.equal(a.address(), { kind: 'inet', family: 'IPv6', address: '::1', port: 40000 });
});

test('bind on a taken port fails with ERR_ADDRESS_IN_USE, then closed', () => {
  const { backend, flush } = setup();
  backend.bind({ type: 'udp4', port: 5353 }, datagramLog().sink);
  const second = datagramLog();
  const socket = backend.bind({ type: 'udp4', port: 5353 }, second.sink);
  flush();
  assert.equal(second.log, ['failed:ERR_ADDRESS_IN_USE', 'closed']);
  assert.is(socket.address, undefined);
  const invalid = datagramLog();
  backend.bind({ type: 'udp4', port: -1 }, invalid.sink);
  flush();
  assert.equal(invalid.log, ['failed:ERR_INVALID_ARGUMENT', 'closed']);
});

test('close: closed() last, the port is released, later sends fail with ERR_SOCKET_CLOSED', () => {
  const { backend, flush } = setup();
  const a = datagramLog();
  const b = datagramLog();
  const socketA = backend.bind({ type: 'udp4' }, a.sink);
  const socketB = backend.bind({ type: 'udp4', port: 7777 }, b.sink);
  flush();
  socketA.send(Buffer.from('in flight'), 7777, '127.0.0.1', () => undefined);
  socketB.close();
  socketB.close();
  flush();
  assert.equal(b.log, ['listening', 'closed'], 'a datagram arriving after close is dropped');
  const errors: (string | undefined)[] = [];
  socketB.send(Buffer.from('x'), 40000, '127.0.0.1', (error) => errors.push(error?.code));
  socketA.send(Buffer.from('x'), 0, '127.0.0.1', (error) => errors.push(error?.code));
  flush();
  assert.equal(errors, ['ERR_SOCKET_CLOSED', 'ERR_INVALID_ARGUMENT']);
  const again = datagramLog();
  backend.bind({ type: 'udp4', port: 7777 }, again.sink);
  flush();
  assert.equal(again.log, ['listening']);
});

test('close before listening is delivered: only closed()', () => {
  const { backend, flush } = setup();
  const a = datagramLog();
  backend.bind({ type: 'udp4' }, a.sink).close();
  flush();
  assert.equal(a.log, ['closed']);
});

test.run();
