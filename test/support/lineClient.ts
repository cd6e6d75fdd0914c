import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { within } from './spawned.js';

/** A client of a line protocol: one request line, one answer line. */
export interface LineClient {
  readonly socket: Socket;
  /** Sends `line` and resolves with the next answer line (within 10 s, else rejects). */
  ask(line: string): Promise<string>;
  /** Resolves once the server has closed the connection. */
  readonly closed: Promise<void>;
  /** Whether `closed` has resolved. */
  isClosed: boolean;
}

/**
 * Connects to 127.0.0.1:`port` (within 10 s) and speaks lines; the socket is pushed onto `sockets`, for the test's
 * teardown to destroy.
 */
export async function lineClient(port: number, sockets: Socket[]): Promise<LineClient> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await within(10_000, 'connect', once(socket, 'connect'));
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
      waiting.shift()?.(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  const client: LineClient = {
    socket,
    isClosed: false,
    closed: new Promise<void>((resolve) => socket.once('close', () => {
      client.isClosed = true;
      resolve();
    })),
    ask: (line) => within(10_000, `the answer to ${line}`, new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(`${line}\n`);
    })),
  };
  return client;
}
