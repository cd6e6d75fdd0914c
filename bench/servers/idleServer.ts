// The idle-memory scenario's servers, both echo servers that hold connections open:
//   --mode plain       node:net, a 'data' listener that writes back
//   --mode plain-rx    node:net with one RxJS subscription per connection (fromEvent 'data' -> write): what RxJS
//                      alone adds to a connection, the floor for any design that subscribes per connection
//   --mode rx-listen   rxloop listen() + mergeMap(connection => connection.data$.pipe(sendTo(connection)))
//                      [--backend node|uring|auto] (rx-listen only; default node)
// Prints {"ready":true,"port":N}; answers `mem` and `connections`; run it with --expose-gc.
import * as net from 'node:net';
import { fromEvent, mergeMap } from 'rxjs';
import { listen } from '../../src/listen.js';
import { selectBackend } from '../../src/backends/selectBackend.js';
import { sendTo } from '../../operators/sendTo.js';
import { childControl } from './childControl.js';

const mode = childControl.arg('mode');
let connections = 0;

if (mode === 'plain') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    connections++;
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => connections--);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    childControl.send({ ready: true, port: (server.address() as net.AddressInfo).port });
  });
  childControl.onStop(() => server.close());
} else if (mode === 'plain-rx') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    connections++;
    fromEvent<Buffer>(socket, 'data').subscribe((chunk) => socket.write(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => connections--);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    childControl.send({ ready: true, port: (server.address() as net.AddressInfo).port });
  });
  childControl.onStop(() => server.close());
} else if (mode === 'rx-listen') {
  const subscription = listen({
    host: '127.0.0.1',
    port: 0,
    backlog: 4096,
    backend: selectBackend(childControl.arg('backend', 'node') as 'node' | 'uring' | 'auto'),
    onListening: (server) => childControl.send({ ready: true, port: server.address.kind === 'inet' ? server.address.port : 0 }),
  })
    .pipe(mergeMap((connection) => {
      connections++;
      connection.closed$.subscribe(() => connections--);
      return connection.data$.pipe(sendTo(connection));
    }))
    .subscribe({ error: (error: unknown) => console.error(error) });
  childControl.onStop(() => subscription.unsubscribe());
} else {
  throw new Error(`unknown mode ${mode}`);
}
childControl.commands({ connections: () => ({ connections }) });
