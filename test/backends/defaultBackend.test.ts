import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom } from 'rxjs';
import { bind, defaultBackend, listen, selectBackend, type Connection } from '../../src/index.js';
import { openConnection, readAll } from '../support/sockets.js';
import { within } from '../support/spawned.js';

test('the TSDoc example: the default backend is the node backend, made once and shared', () => {
  const backend = defaultBackend();
  assert.is(backend.name, 'node');
  assert.is(defaultBackend(), backend, 'the same object every time');
  assert.is(selectBackend('node'), backend, "selectBackend('node') is the same shared backend");
});

test('listen, connect and bind given no backend use it', async () => {
  let take!: (connection: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => (take = resolve));
  let stop = (): void => undefined;
  const port = await within(5000, 'listen', new Promise<number>((resolve) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, onListening: (info) => resolve(info.port!) }).subscribe(take);
    stop = () => subscription.unsubscribe();
  }));
  try {
    const client = await within(5000, 'connect', openConnection({ host: '127.0.0.1', port }));
    assert.is(client.backend, defaultBackend(), 'connect without a backend');
    const server = await within(5000, 'the accept', accepted);
    assert.is(server.backend, defaultBackend(), 'listen without a backend');
    client.write('x');
    client.end();
    assert.is((await within(5000, 'the bytes', readAll(server))).toString(), 'x');
    server.close();
  } finally {
    stop();
  }
  const socket = await within(5000, 'bind', firstValueFrom(bind({ port: 0, address: '127.0.0.1' })));
  assert.ok(socket.address?.kind === 'inet' && socket.address.port > 0, 'bound on the default backend');
});

test.run();
