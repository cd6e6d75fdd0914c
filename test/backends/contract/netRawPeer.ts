import { connect, createServer, type Socket } from 'node:net';
import type { SocketAddress } from '../../../src/backends/Backend.js';
import type { RawPeer } from './BackendHarness.js';
import { RawPeerLog } from './RawPeerLog.js';
import { until } from '../node/until.js';

/** Wraps a connected `node:net` socket as a {@link RawPeer}: it reads everything and records how it ended. */
function wrap(socket: Socket): RawPeer {
  const log = new RawPeerLog();
  socket.on('data', (chunk: Buffer) => log.receive(chunk));
  socket.on('end', () => (log.ended = true));
  socket.on('error', (error: NodeJS.ErrnoException) => (log.errno ??= error.code));
  socket.on('close', () => (log.closed = true));
  return log.peer({
    write: (bytes) => void socket.write(bytes),
    end: () => void socket.end(),
    reset: () => {
      if (!socket.destroyed) socket.resetAndDestroy();
    },
  });
}

/**
 * Connects a plain `node:net` socket to `address` (half-open allowed, Nagle off so small writes leave as small
 * segments): the raw peer of every backend over real sockets.
 */
export async function netRawPeer(address: SocketAddress): Promise<RawPeer> {
  const target = address.kind === 'unix' ? { path: address.path } : { host: address.address, port: address.port };
  const socket = connect({ ...target, allowHalfOpen: true, noDelay: true });
  const peer = wrap(socket);
  let failure: Error | undefined;
  let up = false;
  socket.once('connect', () => (up = true));
  socket.once('error', (error) => (failure = error));
  await until(() => up || failure !== undefined, 'the raw peer to connect');
  if (failure !== undefined) throw failure;
  return peer;
}

/**
 * A connected socket accepted by a plain `node:net` server with `pauseOnConnect` (never read, as a socket moved
 * from another process arrives), and the raw peer on its other end: what `backend.adopt` takes.
 */
export async function netAdoptable(): Promise<{ socket: Socket; peer: RawPeer }> {
  let accepted: Socket | undefined;
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => (accepted = socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const peer = await netRawPeer({ kind: 'inet', family: 'IPv4', address: '127.0.0.1', port });
    await until(() => accepted !== undefined, 'the plain server to accept');
    return { socket: accepted!, peer };
  } finally {
    server.close();
  }
}
