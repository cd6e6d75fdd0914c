import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DatagramSink, DatagramTransport, SocketAddress } from '../../../src/backends/Backend.js';
import { nodeBackend } from '../../../src/backends/node/nodeBackend.js';
import { ErrorCode, type RxloopError } from '../../../src/errors.js';
import { until } from './until.js';

const backend = nodeBackend();
const sockets: DatagramTransport[] = [];

test.after.each(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** A datagram sink that records everything, and fails on any call after `closed`. */
class DatagramRecorder implements DatagramSink {
  readonly events: string[] = [];
  readonly messages: Array<{ data: string; from: SocketAddress }> = [];
  address: SocketAddress | undefined;
  error: RxloopError | undefined;
  onReceived: ((data: Buffer, from: SocketAddress) => void) | undefined;

  listening(address: SocketAddress): void {
    this.record('listening');
    this.address = address;
  }

  received(data: Buffer, from: SocketAddress): void {
    this.record('received');
    this.messages.push({ data: data.toString(), from });
    this.onReceived?.(data, from);
  }

  failed(error: RxloopError): void {
    this.record(`failed:${error.code}`);
    this.error = error;
  }

  closed(): void {
    this.record('closed');
  }

  private record(event: string): void {
    if (this.events.includes('closed')) throw new Error(`datagram sink got ${event} after closed`);
    this.events.push(event);
  }
}

async function bound(): Promise<{ socket: DatagramTransport; recorder: DatagramRecorder; port: number }> {
  const recorder = new DatagramRecorder();
  const socket = backend.bind({ type: 'udp4', address: '127.0.0.1', port: 0 }, recorder);
  sockets.push(socket);
  await until(() => recorder.address !== undefined, 'listening');
  const address = recorder.address as SocketAddress;
  if (address.kind !== 'inet') throw new Error('expected an inet address');
  assert.equal(socket.address, address);
  return { socket, recorder, port: address.port };
}

test('UDP echo', async () => {
  const echo = await bound();
  echo.recorder.onReceived = (data, from) => {
    if (from.kind === 'inet') echo.socket.send(data, from.port, from.address, () => {});
  };
  const client = await bound();
  const outcomes: Array<RxloopError | undefined> = [];
  client.socket.send(Buffer.from('ping'), echo.port, '127.0.0.1', (error) => outcomes.push(error));
  await until(() => client.recorder.messages.length === 1, 'the echo');
  assert.equal(outcomes, [undefined]);
  assert.equal(client.recorder.messages[0], {
    data: 'ping',
    from: { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: echo.port },
  });
  assert.equal(echo.recorder.messages[0]?.from, client.socket.address);
});

test('binding a taken port fails with ERR_ADDRESS_IN_USE, then closes', async () => {
  const taken = await bound();
  const recorder = new DatagramRecorder();
  sockets.push(backend.bind({ type: 'udp4', address: '127.0.0.1', port: taken.port }, recorder));
  await until(() => recorder.events.includes('closed'), 'closed');
  assert.equal(recorder.events, [`failed:${ErrorCode.ADDRESS_IN_USE}`, 'closed']);
});

test('close reports closed once; a send after it fails with ERR_SOCKET_CLOSED', async () => {
  const { socket, recorder } = await bound();
  socket.close();
  socket.close();
  await until(() => recorder.events.includes('closed'), 'closed');
  const outcome: { done: boolean; error?: RxloopError } = { done: false };
  socket.send(Buffer.from('late'), 9, '127.0.0.1', (error) => Object.assign(outcome, { done: true, error }));
  assert.not.ok(outcome.done, 'done was called from inside send');
  await until(() => outcome.done, 'the send outcome');
  assert.is(outcome.error?.code, ErrorCode.SOCKET_CLOSED);
  assert.equal(recorder.events, ['listening', 'closed']);
});

test('a send to a bad port reports ERR_INVALID_ARGUMENT through done', async () => {
  const { socket } = await bound();
  const outcome: { done: boolean; error?: RxloopError } = { done: false };
  socket.send(Buffer.from('x'), 70_000, '127.0.0.1', (error) => Object.assign(outcome, { done: true, error }));
  await until(() => outcome.done, 'the send outcome');
  assert.is(outcome.error?.code, ErrorCode.INVALID_ARGUMENT);
});

test.run();
