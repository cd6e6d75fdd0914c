import { isIPv6 } from 'node:net';
import { asapScheduler, type SchedulerLike } from 'rxjs';
import type {
  Acceptor,
  AcceptorSink,
  Backend,
  BindSpec,
  ConnectAttempt,
  ConnectSink,
  ConnectSpec,
  DatagramSink,
  DatagramTransport,
  ListenSpec,
  SocketAddress,
} from '../Backend.js';
import { ErrorCode, RxloopError } from '../../errors.js';
import { EmbeddedAcceptor } from './EmbeddedAcceptor.js';
import type { EmbeddedBackendOptions } from './EmbeddedBackendOptions.js';
import { EmbeddedConnectAttempt } from './EmbeddedConnectAttempt.js';
import { EmbeddedDatagram } from './EmbeddedDatagram.js';
import { EmbeddedTransport } from './EmbeddedTransport.js';
import type { EmbeddedWire } from './EmbeddedWire.js';

const FIRST_LISTEN_PORT = 40000;
const FIRST_CLIENT_PORT = 50000;
const LAST_PORT = 65535;

/**
 * A backend that keeps its sockets in memory and its time in a scheduler: the deterministic test double for
 * `node` (compare Netty's `EmbeddedChannel`). Create it with {@link embeddedBackend}.
 *
 * - `listen` registers a port (0 takes a free one from 40000 up) or a path; `connect` to it creates both ends
 *   and delivers `accepted` and `connected` on the next turn; `connect` where nobody listens fails with
 *   `ERR_CONNECT_REFUSED`. Hosts are reported but not matched: a port is one namespace.
 * - Transports model kernel buffers (see the options): a write is copied, split by `fragment` and queued at the
 *   peer; everything queued in one turn is delivered in one task (one `completed` batch in `'completion'` mode).
 *   `'readiness'` calls `readable()` again while the reader makes progress; `'leased'` fills one lease at a time
 *   with at most one segment, so fragmentation shows up as short reads (a lease of length 0 counts as no credit).
 *   `bytesRead` counts bytes handed to the sink; `readableLength` the queued bytes within the receive window.
 * - `end` reaches the peer as `ended()` once it took every byte before it. A transport gets `closed(undefined)`
 *   when both directions are done, so after `close` it waits for the peer to take its FIN (use `abort` to close
 *   at once); writes that reach a peer that closed are discarded silently (real TCP may answer with a reset).
 *   `abort` drops the queues and gives the peer `closed(ERR_CONNECTION_RESET)`. Writes after `end` return `false`
 *   and are dropped.
 * - `connect`'s `timeout` (milliseconds; 0 or absent: none) runs on the scheduler, so it fires in virtual time;
 *   {@link EmbeddedBackend.holdAccepts} makes a listener leave connections waiting so the timeout can happen.
 * - `bind` opens in-memory UDP sockets: datagrams to a bound port arrive on the next turn, others are dropped.
 * - TLS options are accepted and ignored; `features.secure` reports whether they were given. `backlog`,
 *   `noDelay` and `reuseAddr` are ignored.
 *
 * ## Example
 * ```ts
 * import { embeddedBackend, ErrorCode } from 'rxloop';
 * import { TestScheduler } from 'rxjs/testing';
 *
 * const scheduler = new TestScheduler((actual, expected) => console.assert(actual === expected));
 * scheduler.run(({ flush }) => {
 *   const backend = embeddedBackend({ scheduler });
 *   backend.listen({ port: 6379 }, { listening() {}, accepted() {}, failed() {} });
 *   backend.holdAccepts(6379, true);
 *   backend.connect({ port: 6379, timeout: 5000 }, {
 *     connected: () => console.log('unexpected'),
 *     failed: (error) => console.log(error.code === ErrorCode.CONNECT_TIMEOUT, scheduler.now()), // true 5000
 *   });
 *   flush();
 * });
 * ```
 */
export class EmbeddedBackend implements Backend {
  /** Always `'embedded'`. */
  readonly name = 'embedded';
  /** Runs every delivery and timer of this backend. */
  readonly scheduler: SchedulerLike;
  private readonly wire: EmbeddedWire;
  private readonly listeners = new Map<string, EmbeddedAcceptor>();
  private readonly held = new Set<string>();
  private readonly backlogs = new Map<string, EmbeddedConnectAttempt[]>();
  private readonly datagrams = new Map<number, EmbeddedDatagram>();
  private readonly datagramTable = {
    at: (port: number): EmbeddedDatagram | undefined => this.datagrams.get(port),
    unbind: (socket: EmbeddedDatagram): void => {
      const port = (socket.bound as { port: number }).port;
      if (this.datagrams.get(port) === socket) this.datagrams.delete(port);
    },
  };
  private nextListenPort = FIRST_LISTEN_PORT;
  private nextDatagramPort = FIRST_LISTEN_PORT;
  private nextClientPort = FIRST_CLIENT_PORT;
  private open = 0;

  /**
   * @param options the scheduler, fragmentation, receive window and high-water mark
   * @throws RxloopError `ERR_INVALID_ARGUMENT` when `receiveWindow` or `highWaterMark` is not a valid size
   */
  constructor(options: EmbeddedBackendOptions = {}) {
    const receiveWindow = options.receiveWindow ?? 65536;
    const highWaterMark = options.highWaterMark ?? 16384;
    if (!Number.isInteger(receiveWindow) || receiveWindow < 0) {
      throw invalid('embeddedBackend receiveWindow', 'an integer >= 0', receiveWindow);
    }
    if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
      throw invalid('embeddedBackend highWaterMark', 'a positive integer', highWaterMark);
    }
    this.scheduler = options.scheduler ?? asapScheduler;
    this.wire = {
      scheduler: this.scheduler,
      fragment: options.fragment,
      receiveWindow,
      highWaterMark,
      released: () => {
        this.open--;
      },
    };
  }

  /** Stream transports created and not yet closed (both ends count): 0 after a test means nothing leaked. */
  get openTransports(): number {
    return this.open;
  }

  /** Stream listeners holding a port or path now. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Makes the listener at `portOrPath` stop (`true`) or resume (`false`) accepting. Held connections wait, as in
   * a full backlog, until released, cancelled, refused by the listener closing, or failed by their `timeout`.
   * The hold belongs to the address, so it may be set before `listen`.
   *
   * @param portOrPath the listener's port or Unix path
   * @param on `true` to hold new connections, `false` to accept them (and the waiting ones) again
   * @throws RxloopError `ERR_INVALID_ARGUMENT` when `portOrPath` is neither a port from 1 to 65535 nor a path
   */
  holdAccepts(portOrPath: number | string, on: boolean): void {
    if (!validPort(portOrPath, 1) && !(typeof portOrPath === 'string' && portOrPath.length > 0)) {
      throw invalid('holdAccepts', 'a port from 1 to 65535 or a non-empty path', portOrPath);
    }
    const key = typeof portOrPath === 'number' ? portKey(portOrPath) : pathKey(portOrPath);
    if (on) {
      this.held.add(key);
      return;
    }
    if (!this.held.delete(key)) return;
    const waiting = this.backlogs.get(key);
    if (waiting === undefined) return;
    this.backlogs.delete(key);
    for (const attempt of waiting) this.retry(attempt);
  }

  /**
   * Runs `callback` once after the tasks already scheduled on this backend's scheduler (the events of this turn).
   *
   * @param callback what to run
   */
  endOfTurn(callback: () => void): void {
    this.scheduler.schedule(() => callback());
  }

  listen(spec: ListenSpec, sink: AcceptorSink): Acceptor {
    const problem = endpointProblem('listen', spec, 0) ?? (spec.reusePort === true
      ? new RxloopError(ErrorCode.UNSUPPORTED, 'listen with reusePort expected a backend that can share a port; the embedded backend cannot')
      : undefined);
    if (problem !== undefined) {
      const failed = new EmbeddedAcceptor(sink, false, () => {});
      this.scheduler.schedule(() => failed.fail(problem));
      return failed;
    }
    let address: SocketAddress;
    if (spec.path !== undefined) {
      address = { kind: 'unix', path: spec.path };
    } else {
      const host = spec.host ?? '127.0.0.1';
      const port = spec.port || this.freePort('listen');
      address = { kind: 'inet', family: isIPv6(host) ? 'IPv6' : 'IPv4', address: host, port };
    }
    const key = address.kind === 'unix' ? pathKey(address.path) : portKey(address.port);
    const acceptor: EmbeddedAcceptor = new EmbeddedAcceptor(sink, spec.tls !== undefined, () => {
      if (this.listeners.get(key) !== acceptor) return;
      this.listeners.delete(key);
      // Connections waiting in its backlog are refused, or taken by a listener that replaced it meanwhile.
      const waiting = this.backlogs.get(key);
      this.backlogs.delete(key);
      for (const attempt of waiting ?? []) this.retry(attempt);
    });
    if (this.listeners.has(key) || (address.kind === 'inet' && address.port === 0)) {
      const where = describe(address);
      const error = new RxloopError(
        ErrorCode.ADDRESS_IN_USE,
        `listen on ${where} expected a free address, but another embedded listener holds it`,
        { errno: 'EADDRINUSE', syscall: 'listen' },
      );
      this.scheduler.schedule(() => acceptor.fail(error));
      return acceptor;
    }
    this.listeners.set(key, acceptor);
    this.scheduler.schedule(() => acceptor.announce(address));
    return acceptor;
  }

  connect(spec: ConnectSpec, sink: ConnectSink): ConnectAttempt {
    const key = spec.path !== undefined ? pathKey(spec.path) : portKey(spec.port ?? 0);
    const attempt = new EmbeddedConnectAttempt(spec, key, sink, (settled) => this.forget(settled));
    const problem =
      endpointProblem('connect', spec, 1) ??
      (spec.timeout !== undefined && !(Number.isFinite(spec.timeout) && spec.timeout >= 0)
        ? invalid('connect timeout', 'a number of milliseconds >= 0', spec.timeout)
        : undefined);
    if (problem !== undefined) {
      attempt.timers.push(this.scheduler.schedule(() => attempt.fail(problem)));
      return attempt;
    }
    this.retry(attempt);
    const timeout = spec.timeout ?? 0;
    if (timeout > 0) {
      const error = new RxloopError(
        ErrorCode.CONNECT_TIMEOUT,
        `connect to ${where(spec)} expected a connection within ${timeout} ms, but the listener did not accept in time`,
        { errno: 'ETIMEDOUT', syscall: 'connect' },
      );
      attempt.timers.push(this.scheduler.schedule(() => attempt.fail(error), timeout));
    }
    return attempt;
  }

  bind(spec: BindSpec, sink: DatagramSink): DatagramTransport {
    const udp6 = spec.type === 'udp6';
    let problem: RxloopError | undefined;
    if (spec.type !== 'udp4' && !udp6) problem = invalid('bind type', "'udp4' or 'udp6'", spec.type);
    else if (spec.port !== undefined && !validPort(spec.port, 0)) {
      problem = invalid('bind port', 'an integer from 0 to 65535', spec.port);
    }
    const port = problem === undefined ? spec.port || this.freePort('bind') : 0;
    const bound: SocketAddress = {
      kind: 'inet',
      family: udp6 ? 'IPv6' : 'IPv4',
      address: spec.address ?? (udp6 ? '::1' : '127.0.0.1'),
      port,
    };
    const socket = new EmbeddedDatagram(this.scheduler, this.datagramTable, sink, bound);
    if (problem === undefined && (port === 0 || this.datagrams.has(port))) {
      problem = new RxloopError(
        ErrorCode.ADDRESS_IN_USE,
        `bind to ${describe(bound)} expected a free port, but another embedded socket holds it`,
        { errno: 'EADDRINUSE', syscall: 'bind' },
      );
    }
    if (problem !== undefined) {
      socket.refuse(problem);
      return socket;
    }
    this.datagrams.set(port, socket);
    socket.open();
    return socket;
  }

  /** Schedules a turn in which `attempt` is accepted, held, or refused. */
  private retry(attempt: EmbeddedConnectAttempt): void {
    attempt.timers.push(this.scheduler.schedule(() => this.accept(attempt)));
  }

  private accept(attempt: EmbeddedConnectAttempt): void {
    if (!attempt.pending) return;
    const listener = this.listeners.get(attempt.key);
    const serverAddress = listener?.address;
    if (listener === undefined || serverAddress === undefined) {
      attempt.fail(
        new RxloopError(
          ErrorCode.CONNECT_REFUSED,
          `connect to ${where(attempt.spec)} expected an embedded listener there, but found none`,
          { errno: 'ECONNREFUSED', syscall: 'connect' },
        ),
      );
      return;
    }
    if (this.held.has(attempt.key)) {
      const waiting = this.backlogs.get(attempt.key);
      if (waiting === undefined) this.backlogs.set(attempt.key, [attempt]);
      else waiting.push(attempt);
      return;
    }
    const sink = attempt.take()!;
    const clientAddress: SocketAddress =
      serverAddress.kind === 'unix'
        ? { kind: 'unix', path: '' }
        : {
            kind: 'inet',
            family: serverAddress.family,
            address: serverAddress.family === 'IPv6' ? '::1' : '127.0.0.1',
            port: this.clientPort(),
          };
    const client = new EmbeddedTransport(this.wire, clientAddress, serverAddress, attempt.spec.tls !== undefined);
    const server = new EmbeddedTransport(this.wire, serverAddress, clientAddress, listener.secure);
    EmbeddedTransport.link(client, server);
    this.open += 2;
    listener.sink.accepted(server);
    sink.connected(client);
  }

  private forget(attempt: EmbeddedConnectAttempt): void {
    const waiting = this.backlogs.get(attempt.key);
    if (waiting === undefined) return;
    const index = waiting.indexOf(attempt);
    if (index !== -1) waiting.splice(index, 1);
    if (waiting.length === 0) this.backlogs.delete(attempt.key);
  }

  /** A free port from 40000 up (wrapping), or 0 when every one is taken. */
  private freePort(kind: 'listen' | 'bind'): number {
    const span = LAST_PORT - FIRST_LISTEN_PORT + 1;
    const start = kind === 'listen' ? this.nextListenPort : this.nextDatagramPort;
    for (let i = 0; i < span; i++) {
      const port = FIRST_LISTEN_PORT + ((start - FIRST_LISTEN_PORT + i) % span);
      const taken = kind === 'listen' ? this.listeners.has(portKey(port)) : this.datagrams.has(port);
      if (taken) continue;
      if (kind === 'listen') this.nextListenPort = port + 1;
      else this.nextDatagramPort = port + 1;
      return port;
    }
    return 0;
  }

  /** The next ephemeral port for a client end, from 50000 up (wrapping). */
  private clientPort(): number {
    const port = this.nextClientPort;
    this.nextClientPort = port === LAST_PORT ? FIRST_CLIENT_PORT : port + 1;
    return port;
  }
}

function portKey(port: number): string {
  return `port:${port}`;
}

function pathKey(path: string): string {
  return `path:${path}`;
}

function validPort(port: unknown, min: number): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= min && port <= LAST_PORT;
}

function invalid(what: string, expected: string, got: unknown): RxloopError {
  return new RxloopError(ErrorCode.INVALID_ARGUMENT, `${what} expected ${expected}, got ${String(got)}`);
}

/** Checks that exactly one of `port` (from `minPort`) and `path` (non-empty) is given. */
function endpointProblem(
  doing: string,
  spec: { readonly port?: number; readonly path?: string },
  minPort: number,
): RxloopError | undefined {
  if ((spec.port === undefined) === (spec.path === undefined)) {
    return invalid(doing, 'exactly one of port and path', `port ${spec.port} and path ${spec.path}`);
  }
  if (spec.path !== undefined) {
    return typeof spec.path === 'string' && spec.path.length > 0
      ? undefined
      : invalid(`${doing} path`, 'a non-empty string', spec.path);
  }
  return validPort(spec.port, minPort) ? undefined : invalid(`${doing} port`, `an integer from ${minPort} to 65535`, spec.port);
}

function describe(address: SocketAddress): string {
  return address.kind === 'unix' ? address.path : `${address.address}:${address.port}`;
}

function where(spec: ConnectSpec): string {
  return spec.path ?? `${spec.host ?? '127.0.0.1'}:${spec.port}`;
}
