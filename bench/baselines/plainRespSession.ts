// A reference, not a target: the RESP example's own engine (RespSession: parser, command table, keyspace,
// writer) on plain node:net 'data' events, without RxJS. Against plainResp.ts it shows what the example's engine
// costs; against the rxloop server it shows what the rxloop plumbing costs. Prints {"ready":true,"port":N}.
import * as net from 'node:net';
import { Keyspace } from '../../examples/resp/Keyspace.js';
import { RespSession } from '../../examples/resp/RespSession.js';
import { RespWriter } from '../../examples/resp/RespWriter.js';
import { childControl } from '../servers/childControl.js';

const keyspace = new Keyspace();
const writer = new RespWriter();

const server = net.createServer({ noDelay: true }, (socket) => {
  const session = new RespSession(keyspace, { writer });
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    const reply = session.handle(chunk);
    if (reply.length > 0) socket.write(reply);
    if (session.closing) socket.end();
  });
});

server.listen(Number(childControl.arg('port', '0')), '127.0.0.1', () => {
  childControl.send({ ready: true, port: (server.address() as net.AddressInfo).port });
});
childControl.commands();
childControl.onStop(() => server.close());
