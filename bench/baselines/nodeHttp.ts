// The node:http reference: the same "hello" answer through Node's own HTTP server. Prints {"ready":true,"port":N}.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { childControl } from '../servers/childControl.js';

const headers = { 'Content-Type': 'text/plain', 'Content-Length': '5' };
const server = http.createServer({ noDelay: true }, (_request, response) => {
  response.writeHead(200, headers);
  response.end('hello');
});
server.keepAliveTimeout = 60_000;

server.listen(Number(childControl.arg('port', '0')), '127.0.0.1', () => {
  childControl.send({ ready: true, port: (server.address() as AddressInfo).port });
});
childControl.commands();
childControl.onStop(() => server.close());
