import type { Acceptor, Backend, ConnectSpec, ListenSpec, SocketAddress, Transport } from '../../../src/backends/Backend.js';
import type { RxloopError } from '../../../src/errors.js';
import { until } from './until.js';

/** Everything a test opened, so `after` hooks can close it. */
export class OpenSockets {
  private readonly acceptors = new Set<Acceptor>();
  private readonly transports = new Set<Transport>();

  acceptor<T extends Acceptor>(acceptor: T): T {
    this.acceptors.add(acceptor);
    return acceptor;
  }

  transport<T extends Transport>(transport: T): T {
    this.transports.add(transport);
    return transport;
  }

  /** Closes acceptors and resets transports (a transport already closed ignores the reset). */
  closeAll(): void {
    for (const acceptor of this.acceptors) acceptor.close();
    for (const transport of this.transports) transport.abort();
    this.acceptors.clear();
    this.transports.clear();
  }
}

/** A listening acceptor whose accepted transports queue up in `accepted`. */
export interface Listening {
  readonly acceptor: Acceptor;
  readonly address: SocketAddress;
  readonly accepted: Transport[];
}

/** Listens (on 127.0.0.1, port 0 unless told otherwise) and waits for `listening`. */
export async function listenOn(
  backend: Backend,
  open: OpenSockets,
  spec: ListenSpec = { host: '127.0.0.1', port: 0 },
): Promise<Listening> {
  const accepted: Transport[] = [];
  let address: SocketAddress | undefined;
  let failure: RxloopError | undefined;
  const acceptor = open.acceptor(
    backend.listen(spec, {
      listening: (at) => (address = at),
      accepted: (transport) => accepted.push(open.transport(transport)),
      failed: (error) => (failure = error),
    }),
  );
  await until(() => address !== undefined || failure !== undefined, 'listening');
  if (failure !== undefined) throw failure;
  return { acceptor, address: address as SocketAddress, accepted };
}

/** Connects and waits for the outcome; resolves the transport or rejects with the RxloopError. */
export async function connectTo(backend: Backend, open: OpenSockets, spec: ConnectSpec): Promise<Transport> {
  let transport: Transport | undefined;
  let failure: RxloopError | undefined;
  backend.connect(spec, {
    connected: (t) => (transport = open.transport(t)),
    failed: (error) => (failure = error),
  });
  await until(() => transport !== undefined || failure !== undefined, 'connect outcome');
  if (failure !== undefined) throw failure;
  return transport as Transport;
}

/** A connected pair: the server's accepted transport and the client's. */
export interface Pair {
  readonly listening: Listening;
  readonly server: Transport;
  readonly client: Transport;
}

/** Listens, connects one client and waits until both ends exist. */
export async function connectPair(
  backend: Backend,
  open: OpenSockets,
  listen: ListenSpec = { host: '127.0.0.1', port: 0 },
  connect: Partial<ConnectSpec> = {},
): Promise<Pair> {
  const listening = await listenOn(backend, open, listen);
  const target: ConnectSpec =
    listening.address.kind === 'unix'
      ? { path: listening.address.path, ...connect }
      : { host: listening.address.address, port: listening.address.port, ...connect };
  const client = await connectTo(backend, open, target);
  await until(() => listening.accepted.length > 0, 'the server to accept');
  return { listening, server: listening.accepted.shift() as Transport, client };
}
