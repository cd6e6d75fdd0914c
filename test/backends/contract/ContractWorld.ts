import type { Acceptor, ConnectSpec, ListenSpec, SocketAddress, Transport } from '../../../src/backends/Backend.js';
import type { RxloopError } from '../../../src/errors.js';
import type { BackendHarness, ContractClock, HarnessRun, RawPeer } from './BackendHarness.js';
import { type RecorderOptions, TransportRecorder } from './TransportRecorder.js';

/** A listening acceptor whose accepted transports queue up in `accepted`. */
export interface Listening {
  readonly acceptor: Acceptor;
  readonly address: SocketAddress;
  readonly accepted: Transport[];
}

/** Two ends of one connection made by the backend under test. */
export interface Pair {
  readonly listening: Listening;
  readonly server: Transport;
  readonly client: Transport;
}

/** Where `address` is, as a connect spec. */
export function connectSpecFor(address: SocketAddress): ConnectSpec {
  return address.kind === 'unix' ? { path: address.path } : { host: address.address, port: address.port };
}

/**
 * What a contract case works with: the harness's run plus listen, connect and recorders that are tracked, so
 * that after the case every sink is checked (nothing after `closed`) and everything is closed.
 */
export class ContractWorld {
  readonly clock: ContractClock;
  private readonly acceptors = new Set<Acceptor>();
  private readonly transports = new Set<Transport>();
  private readonly recorders: TransportRecorder[] = [];
  private readonly peers: RawPeer[] = [];

  /**
   * @param harness the backend under test (what it declares)
   * @param run this case's backend and clock
   */
  constructor(
    readonly harness: BackendHarness,
    readonly run: HarnessRun,
  ) {
    this.clock = run.clock;
  }

  get backend() {
    return this.run.backend;
  }

  /** Waits until `condition()` holds (see {@link ContractClock.until}). */
  until(condition: () => boolean, what: string): Promise<void> {
    return this.clock.until(condition, what);
  }

  /** Lets `count` turns pass. */
  turns(count = 1): Promise<void> {
    return this.clock.turns(count);
  }

  /** A tracked recorder attached to `transport`. */
  record(transport: Transport, options?: RecorderOptions): TransportRecorder {
    const recorder = new TransportRecorder(transport, options);
    this.recorders.push(recorder);
    return recorder;
  }

  /** Tracks a transport made outside {@link listen} and {@link connect} (adopted), so it is closed after. */
  track(transport: Transport): Transport {
    this.transports.add(transport);
    return transport;
  }

  /** Listens (TCP on 127.0.0.1 port 0 unless told otherwise) and waits for `listening`. */
  async listen(spec: ListenSpec = { host: '127.0.0.1', port: 0 }): Promise<Listening> {
    const accepted: Transport[] = [];
    let address: SocketAddress | undefined;
    let failure: RxloopError | undefined;
    const acceptor = this.backend.listen(spec, {
      listening: (at) => (address = at),
      accepted: (transport) => accepted.push(this.track(transport)),
      failed: (error) => (failure = error),
    });
    this.acceptors.add(acceptor);
    if (address !== undefined || failure !== undefined) throw new Error('listen called its sink from inside listen');
    await this.until(() => address !== undefined || failure !== undefined, 'listening');
    if (failure !== undefined) throw failure;
    return { acceptor, address: address!, accepted };
  }

  /** Connects and waits for the outcome: the transport, or the RxloopError it failed with (rejected). */
  async connect(spec: ConnectSpec): Promise<Transport> {
    let transport: Transport | undefined;
    let failure: RxloopError | undefined;
    this.backend.connect(spec, {
      connected: (t) => (transport = this.track(t)),
      failed: (error) => (failure = error),
    });
    if (transport !== undefined || failure !== undefined) throw new Error('connect called its sink from inside connect');
    await this.until(() => transport !== undefined || failure !== undefined, 'the connect outcome');
    if (failure !== undefined) throw failure;
    return transport!;
  }

  /** Listens, connects one client and waits until both ends exist. Neither has a sink yet. */
  async pair(spec?: ListenSpec): Promise<Pair> {
    const listening = await this.listen(spec);
    const client = await this.connect(connectSpecFor(listening.address));
    await this.until(() => listening.accepted.length > 0, 'the server to accept');
    return { listening, server: listening.accepted.shift()!, client };
  }

  /** Listens and connects a raw peer; resolves the accepted transport (no sink yet) and the peer. */
  async rawPair(): Promise<{ server: Transport; peer: RawPeer }> {
    const listening = await this.listen();
    const peer = await this.run.rawPeer!(listening.address);
    this.peers.push(peer);
    await this.until(() => listening.accepted.length > 0, 'the server to accept the raw peer');
    return { server: listening.accepted.shift()!, peer };
  }

  /** Keeps a raw peer made elsewhere (adopt) so it is reset after the case. */
  trackPeer(peer: RawPeer): RawPeer {
    this.peers.push(peer);
    return peer;
  }

  /**
   * Ends the case: checks every recorder saw no call after `closed` (so `closed` came once, last), then closes
   * acceptors, resets transports and peers, and stops the run.
   *
   * @param check whether to check the recorders (false when the case already failed: its error comes first)
   */
  finish(check: boolean): void {
    try {
      for (const recorder of check ? this.recorders : []) {
        if (recorder.lateCalls.length > 0) {
          throw new Error(`a sink got ${recorder.lateCalls.join(', ')} after closed (calls: ${recorder.calls.join(', ')})`);
        }
      }
    } finally {
      for (const acceptor of this.acceptors) acceptor.close();
      for (const transport of this.transports) transport.abort();
      for (const peer of this.peers) if (!peer.closed) peer.reset();
      this.run.stop();
    }
  }
}
