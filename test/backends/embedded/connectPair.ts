import type { SocketAddress, Transport } from '../../../src/backends/Backend.js';
import type { EmbeddedBackend } from '../../../src/backends/embedded/EmbeddedBackend.js';

/** Two ends of one embedded connection, and the listener that made them. */
export interface Pair {
  readonly client: Transport;
  readonly server: Transport;
  readonly address: SocketAddress;
  closeListener(): void;
}

/**
 * Listens on a free port, connects to it, and runs the scheduler (`flush`) until both ends exist. Neither end
 * has a sink yet.
 */
export function connectPair(backend: EmbeddedBackend, flush: () => void): Pair {
  let address: SocketAddress | undefined;
  let server: Transport | undefined;
  let client: Transport | undefined;
  const fail = (error: Error): never => {
    throw error;
  };
  const acceptor = backend.listen(
    { port: 0 },
    { listening: (at) => (address = at), accepted: (transport) => (server = transport), failed: fail },
  );
  flush();
  if (address?.kind !== 'inet') throw new Error('expected an inet listener');
  backend.connect({ port: address.port }, { connected: (transport) => (client = transport), failed: fail });
  flush();
  if (client === undefined || server === undefined) throw new Error('expected both ends after flush');
  return { client, server, address, closeListener: () => acceptor.close() };
}
