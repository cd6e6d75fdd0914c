// The HTTP baseline: a plain node:net server that answers "hello" to every request head (keep-alive, pipelining
// allowed), with the same response bytes as rxloop's HTTP example (status line, Date, Content-Type,
// Content-Length). No parsing beyond finding the end of each head: the ceiling for a Node HTTP/1.1 server.
// Prints {"ready":true,"port":N}.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';

const END_OF_HEAD = Buffer.from('\r\n\r\n');
let response = prepare();
// A new buffer each second rather than restamping in place: a queued write may still hold the old one.
setInterval(() => (response = prepare()), 1000).unref();

function prepare(): Buffer {
  return Buffer.from(
    `HTTP/1.1 200 OK\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`,
    'latin1',
  );
}

const server = net.createServer({ noDelay: true }, (socket) => {
  // The unfinished tail of the last read, kept only when a head is split across reads.
  let tail: Buffer | undefined;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    let buf = chunk;
    if (tail !== undefined) {
      buf = Buffer.concat([tail, chunk]);
      tail = undefined;
    }
    let count = 0;
    let pos = 0;
    for (let end = buf.indexOf(END_OF_HEAD, pos); end !== -1; end = buf.indexOf(END_OF_HEAD, pos)) {
      count++;
      pos = end + 4;
    }
    if (pos < buf.length) tail = Buffer.from(buf.subarray(pos));
    if (count === 1) socket.write(response);
    else if (count > 1) {
      const out = Buffer.allocUnsafe(response.length * count);
      for (let i = 0; i < count; i++) response.copy(out, i * response.length);
      socket.write(out);
    }
  });
});

server.listen(Number(childControl.arg('port', '0')), '127.0.0.1', () => {
  childControl.send({ ready: true, port: (server.address() as net.AddressInfo).port });
});
childControl.commands();
childControl.onStop(() => server.close());
