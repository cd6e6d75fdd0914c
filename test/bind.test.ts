import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, mergeMap, take, toArray, lastValueFrom } from 'rxjs';
import { ErrorCode, RxloopError, bind, embeddedBackend, type Backend, type DatagramSocket } from '../src/index.js';

async function udpEcho(backend?: Backend): Promise<{ server: DatagramSocket; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const subscription = bind({ port: 0, address: '127.0.0.1', backend })
      .pipe(
        mergeMap((socket) => {
          resolve({ server: socket, stop: () => subscription.unsubscribe() });
          return socket.datagrams$.pipe(
            mergeMap(({ data, from }) => (from.kind === 'inet' ? socket.send(data, from.port, from.address) : [])),
          );
        }),
      )
      .subscribe({ error: reject });
  });
}

for (const [name, make] of [['node', () => undefined], ['embedded', () => embeddedBackend()]] as const) {
  test(`UDP echo on ${name}: datagrams with their sender, sent back`, async () => {
    const backend = make();
    const { server, stop } = await udpEcho(backend);
    const client = await new Promise<{ socket: DatagramSocket; stop: () => void }>((resolve) => {
      const s = bind({ port: 0, address: '127.0.0.1', backend }).subscribe((socket) => resolve({ socket, stop: () => s.unsubscribe() }));
    });
    try {
      const port = server.address?.kind === 'inet' ? server.address.port : 0;
      assert.ok(port > 0);
      const replies = lastValueFrom(client.socket.datagrams$.pipe(take(3), toArray()));
      for (const word of ['one', 'two', 'three']) await lastValueFrom(client.socket.send(word, port, '127.0.0.1'), { defaultValue: undefined });
      const got = await replies;
      assert.equal(got.map((d) => d.data.toString()).sort(), ['one', 'three', 'two']);
      const clientPort = client.socket.address?.kind === 'inet' ? client.socket.address.port : -1;
      for (const d of got) assert.is(d.from.kind === 'inet' ? d.from.port : 0, port);
      assert.ok(clientPort > 0);
    } finally {
      client.stop();
      stop();
    }
  });
}

test('bind with bad options errors with ERR_INVALID_ARGUMENT', async () => {
  for (const options of [{ port: -1 }, { port: 70000 }, { type: 'udp5' }]) {
    const error = await firstValueFrom(bind(options as never)).catch((e: unknown) => e);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(options));
  }
});

test('send on a closed socket errors with ERR_SOCKET_CLOSED, and unsubscribing unbinds', async () => {
  const socket = await new Promise<DatagramSocket>((resolve) => {
    const s = bind({ port: 0, address: '127.0.0.1' }).subscribe((sock) => {
      resolve(sock);
      setImmediate(() => s.unsubscribe());
    });
  });
  await lastValueFrom(socket.datagrams$, { defaultValue: undefined });
  const error = await lastValueFrom(socket.send('x', 9, '127.0.0.1'), { defaultValue: undefined }).catch((e: unknown) => e);
  assert.is((error as RxloopError).code, ErrorCode.SOCKET_CLOSED);
});

test.run();
