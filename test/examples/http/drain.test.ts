import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { serve } from '../../../schedulers/serve.js';
import { singleReactor } from '../../../schedulers/singleReactor.js';
import { until } from '../../backends/node/until.js';

// The HTTP example drains itself when the server stops (it subscribes to connection.draining$): an idle
// keep-alive connection is closed at once, and a request under way gets its response, with Connection: close,
// before the connection closes. Nothing is cut off, and stop() does not wait for the deadline.

const handler = new URL('../../../examples/http/handler.js', import.meta.url);

function client(port: number): { socket: Socket; text: () => string; ended: Promise<string> } {
  const socket = netConnect({ host: '127.0.0.1', port });
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  return { socket, text: () => text, ended };
}

test('stop(): idle keep-alive connections close at once; a request under way is answered with Connection: close', async () => {
  const server = await serve(handler, { host: '127.0.0.1', port: 0, scheduler: singleReactor() });
  const idle = client(server.port!);
  const busy = client(server.port!);
  await Promise.all([once(idle.socket, 'connect'), once(busy.socket, 'connect')]);
  idle.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => /hello$/.test(idle.text()), 'the first response');
  assert.match(idle.text(), /Connection: keep-alive|HTTP\/1.1 200/);
  // Half a request: the head, and 5 of the 10 body bytes.
  busy.socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello');
  await new Promise((resolve) => setTimeout(resolve, 20));

  const stopped = server.stop({ deadline: 10_000 });
  let done = false;
  void stopped.then(() => (done = true));
  assert.is(await idle.ended, 'end', 'the idle keep-alive connection is closed in order, at once');

  busy.socket.write('world');
  assert.is(await busy.ended, 'end');
  const response = busy.text();
  assert.match(response, /^HTTP\/1\.1 200 /);
  assert.match(response, /\r\nConnection: close\r\n/i);
  assert.match(response, /helloworld$/);
  await stopped;
  assert.ok(done);
  idle.socket.destroy();
  busy.socket.destroy();
});

test.run();
