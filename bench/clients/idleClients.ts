// Opens --count idle connections to 127.0.0.1:--port, a batch at a time, and keeps them open until SIGTERM.
// Prints {"ready":true,"opened":N,"failed":N,"fdLimit":N} once every attempt has settled.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';

const port = Number(childControl.arg('port'));
const count = Number(childControl.arg('count'));
const batch = Number(childControl.arg('batch', '256'));
const sockets: net.Socket[] = [];
let failed = 0;
let firstError = '';

function open(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      sockets.push(socket);
      resolve();
    });
    socket.once('error', (error) => {
      failed++;
      firstError ||= error.message;
      resolve();
    });
  });
}

for (let done = 0; done < count; done += batch) {
  const attempts: Promise<void>[] = [];
  for (let i = done; i < Math.min(count, done + batch); i++) attempts.push(open());
  await Promise.all(attempts);
}
childControl.send({ ready: true, opened: sockets.length, failed, firstError, fdLimit: Number(process.env['FD_LIMIT'] ?? 0) });
childControl.commands();
childControl.onStop(() => {
  for (const socket of sockets) socket.destroy();
});
