import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import { serve, singleReactor, type Server } from '../../../schedulers/index.js';

let server: Server;
let previous: string | undefined;

test.before(async () => {
  previous = process.env['RXLOOP_RESP_IDLE_TIMEOUT'];
  process.env['RXLOOP_RESP_IDLE_TIMEOUT'] = '200';
  server = await serve(new URL('../../../examples/resp/handler.js', import.meta.url), { host: '127.0.0.1', port: 0, scheduler: singleReactor() });
});

test.after(async () => {
  if (previous === undefined) delete process.env['RXLOOP_RESP_IDLE_TIMEOUT'];
  else process.env['RXLOOP_RESP_IDLE_TIMEOUT'] = previous;
  await server.stop({ deadline: 500 });
});

function open(): Promise<Socket> {
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

test('a slowloris that trickles half a command and stalls is closed after the idle timeout', async () => {
  const socket = await open();
  const closed = new Promise<string>((resolve) => {
    const guard = setTimeout(() => resolve('still open after 3 s'), 3000);
    socket.on('end', () => { clearTimeout(guard); resolve('ended'); });
    socket.on('close', () => { clearTimeout(guard); resolve('closed'); });
  });
  socket.write('*1\r\n$4\r\nPI');
  const outcome = await closed;
  assert.ok(['ended', 'closed'].includes(outcome), outcome);
  socket.destroy();
});

test('a client that keeps talking is not closed, and gets every reply', async () => {
  const socket = await open();
  let replies = '';
  let closed = false;
  socket.on('data', (d) => (replies += d.toString()));
  socket.on('close', () => (closed = true));
  for (let i = 0; i < 8; i++) {
    socket.write('PING\r\n');
    await new Promise((r) => setTimeout(r, 60));
  }
  assert.is(closed, false);
  assert.is(replies, '+PONG\r\n'.repeat(8));
  socket.destroy();
});

test.run();
