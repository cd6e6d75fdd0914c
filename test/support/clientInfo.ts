import { connect, type Socket } from 'node:net';

/**
 * Opens a connection to the RESP server (or a balancer in front of it) on 127.0.0.1:`port`, sends `CLIENT INFO`
 * and resolves with the reply's text and the socket, which stays open (it is pushed on `sockets` for the
 * test's cleanup). The reply's `addr=` is who the server thinks this client is.
 */
export async function clientInfo(port: number, sockets: Socket[]): Promise<{ socket: Socket; info: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((connected, failed) => socket.once('connect', connected).once('error', failed));
  socket.write('CLIENT INFO\r\n');
  let text = '';
  const info = await new Promise<string>((answered, failed) => {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const head = /^\$(\d+)\r\n/.exec(text);
      if (head !== null && Buffer.byteLength(text) >= head[0].length + Number(head[1]) + 2) answered(text.slice(head[0].length, head[0].length + Number(head[1])));
      else if (text.startsWith('-')) failed(new Error(`CLIENT INFO failed: ${text}`));
    });
    socket.once('close', () => failed(new Error(`closed before the reply to CLIENT INFO (got ${JSON.stringify(text)})`)));
    socket.once('error', failed);
  });
  return { socket, info };
}
