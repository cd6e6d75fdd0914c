// The fairness scenario's heavy client: floods one connection with pipelined RESP SETs (1000 per write, with write
// backpressure) and reads and drops the replies, until SIGTERM. Prints {"ready":true} once connected and
// {"replies":N,"seconds":S} when stopped.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';

const value = 'v'.repeat(100);
let text = '';
for (let i = 0; i < 1000; i++) text += `*3\r\n$3\r\nSET\r\n$8\r\nkey:${String(i).padStart(4, '0')}\r\n$100\r\n${value}\r\n`;
const pipeline = Buffer.from(text);
const REPLY_BYTES = 5; // "+OK\r\n"

let receivedBytes = 0;
let started = 0;
const socket = net.connect({ port: Number(childControl.arg('port')), host: '127.0.0.1', noDelay: true });
socket.on('error', () => undefined);
socket.on('data', (chunk: Buffer) => (receivedBytes += chunk.length));
socket.once('connect', () => {
  started = performance.now();
  childControl.send({ ready: true });
  const flood = (): void => {
    while (socket.write(pipeline));
    socket.once('drain', flood);
  };
  flood();
});
childControl.commands();
childControl.onStop(() => {
  childControl.send({ replies: Math.floor(receivedBytes / REPLY_BYTES), seconds: (performance.now() - started) / 1000 });
  socket.destroy();
});
