import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Acceptor, AcceptorSink, ListenSpec, SocketAddress } from '../Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { describeEndpoint } from './describeEndpoint.js';
import type { LeasedReadHooks } from './leasedReads.js';
import { nodeFeatures } from './nodeFeatures.js';
import { NodeTransport } from './NodeTransport.js';
import { toSetupError } from './toSetupError.js';
import { toSocketAddress } from '../shared/toSocketAddress.js';
import { registerSecureContextTarget } from '../shared/secureContextUpdates.js';

/**
 * An {@link Acceptor} over a `net.Server` or `tls.Server`. Accepted sockets arrive with reading stopped
 * (`pauseOnConnect`), half-open allowed and Nagle off.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * const acceptor = nodeBackend().listen({ port: 0, host: '127.0.0.1' }, {
 *   listening: (address) => console.log('listening on', address),
 *   accepted: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code), // 'ERR_ADDRESS_IN_USE', …
 * });
 * setTimeout(() => acceptor.close(), 1000);
 * ```
 *
 * @internal
 */
export class NodeAcceptor implements Acceptor {
  private readonly server: net.Server;
  private readonly sink: AcceptorSink;
  private readonly spec: ListenSpec;
  private readonly leasedReads: LeasedReadHooks | undefined;
  private readonly where: string;
  private state: 'opening' | 'listening' | 'done' = 'opening';
  private bound: SocketAddress | undefined;
  private unregisterTls: () => void = noop;

  /**
   * @param spec where to listen, and the TLS options for a TLS server
   * @param sink receives `listening`, `accepted` and `failed`
   * @param leasedReads the zero-copy hooks accepted transports may use, or `undefined`
   */
  constructor(spec: ListenSpec, sink: AcceptorSink, leasedReads: LeasedReadHooks | undefined) {
    this.spec = spec;
    this.sink = sink;
    this.leasedReads = leasedReads;
    this.where = describeEndpoint(spec, 'every interface');
    const options = { allowHalfOpen: true, pauseOnConnect: true, noDelay: true };
    const secure = spec.tls !== undefined;
    // A TLS client that closes its side before its handshake (a TCP health check) would hold a half-open socket
    // until the handshake timeout: half-open is allowed only once the handshake is done (see onConnection).
    this.server = secure ? tls.createServer({ ...spec.tls, ...options, allowHalfOpen: false }) : net.createServer(options);
    this.server.on(secure ? 'secureConnection' : 'connection', this.onConnection);
    if (secure) {
      // A handshake that failed or timed out (`handshakeTimeout`) costs its socket only: with a listener for
      // 'tlsClientError', Node leaves closing it to us (a timed-out one would otherwise stay open).
      this.server.on('tlsClientError', this.onTlsClientError);
      this.unregisterTls = registerSecureContextTarget(spec.tls!, this.server as tls.Server);
    }
    this.server.on('listening', this.onListening);
    this.server.on('error', this.onError);
    if ((spec.port === undefined) === (spec.path === undefined)) {
      const got = spec.port === undefined ? 'neither' : 'both';
      this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected exactly one of port and path to listen on, got ${got}`));
      return;
    }
    if (spec.reusePort === true) {
      if (spec.path !== undefined) {
        this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected reusePort with a TCP port, got the Unix path ${spec.path}`));
        return;
      }
      // Node 20 takes the option and ignores it, which would leave the second listener with EADDRINUSE.
      void nodeFeatures().then(({ reusePort }) => {
        if (this.state !== 'opening') return;
        if (reusePort) this.bind(spec);
        else this.fail(new RxloopError(ErrorCode.UNSUPPORTED,
          `listen on ${this.where} with reusePort expected a Node.js that honours it (22.12 or later), got ${process.version}, which ignores it`));
      });
      return;
    }
    this.bind(spec);
  }

  private bind(spec: ListenSpec): void {
    try {
      this.server.listen(
        spec.path !== undefined
          ? { path: spec.path, backlog: spec.backlog }
          : { host: spec.host, port: spec.port, backlog: spec.backlog, reusePort: spec.reusePort === true },
      );
    } catch (error) {
      this.failLater(toSetupError(error, `listen on ${this.where}`));
    }
  }

  get address(): SocketAddress | undefined {
    return this.bound;
  }

  close(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.unregisterTls();
    // Closes the listening handle now; sockets already accepted stay open. (Node's own 'close' event waits for
    // them, which is why we do not wait for it.) A listen still resolving its host is cancelled by this too.
    this.server.close();
  }

  private failLater(error: RxloopError): void {
    // `listen` returns before its sink hears anything, as with every other outcome.
    queueMicrotask(() => this.fail(error));
  }

  private fail(error: RxloopError): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.unregisterTls();
    if (this.server.listening) this.server.close();
    this.sink.failed(error);
  }

  private readonly onListening = (): void => {
    if (this.state !== 'opening') return;
    this.state = 'listening';
    this.bound = toSocketAddress(this.server.address());
    if (this.bound === undefined) {
      this.fail(new RxloopError(ErrorCode.SOCKET, `expected an address after listening on ${this.where}, got none`));
      return;
    }
    this.sink.listening(this.bound);
  };

  private readonly onError = (error: Error): void => {
    // Once listening, an accept that fails (EMFILE, ENFILE, ECONNABORTED) costs one connection, not the server:
    // libuv keeps polling the listening socket, so report it and keep accepting.
    if (this.state === 'listening' && (error as NodeJS.ErrnoException).syscall === 'accept') {
      this.sink.acceptFailed?.(toRxloopError(error, `accept on ${this.where}`));
      return;
    }
    this.fail(toRxloopError(error, `listen on ${this.where}`));
  };

  private readonly onTlsClientError = (error: Error, socket: tls.TLSSocket): void => {
    const remoteAddress = socket.remoteAddress;
    const remoteFamily = socket.remoteFamily;
    const remotePort = socket.remotePort;
    socket.destroy();
    if (this.state !== 'listening') return;
    const timedOut = (error as NodeJS.ErrnoException).code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
    const remote = this.spec.path === undefined ? toSocketAddress({ address: remoteAddress, family: remoteFamily, port: remotePort }) : undefined;
    const doing = `TLS handshake with a client of ${this.where}`;
    this.sink.handshakeFailed?.(
      timedOut ? new RxloopError(ErrorCode.TIMEOUT, `${doing} expected to finish within the handshake timeout, got no complete handshake`, { cause: error, errno: 'ERR_TLS_HANDSHAKE_TIMEOUT' })
        : tlsError(error, doing),
      remote,
    );
  };

  private readonly onConnection = (socket: net.Socket): void => {
    if (this.state !== 'listening') {
      socket.on('error', ignore);
      socket.destroy();
      return;
    }
    const path = this.spec.path;
    // Read when the peer's end arrives, so setting it now gives TLS connections the half-close of TCP ones.
    socket.allowHalfOpen = true;
    const transport = new NodeTransport(socket, {
      secure: this.spec.tls !== undefined,
      leasedReads: this.leasedReads,
      unixPaths: path === undefined ? undefined : { local: path, remote: '' },
    });
    this.sink.accepted(transport);
  };
}

function ignore(): void {}

function noop(): void {}

/** A handshake failure as `ERR_TLS`, or `ERR_CONNECTION_RESET` when the peer went away in the middle of it. */
function tlsError(error: Error, doing: string): RxloopError {
  const converted = toRxloopError(error, doing);
  if (converted.code === ErrorCode.CONNECTION_RESET || converted.code === ErrorCode.TLS) return converted;
  return new RxloopError(ErrorCode.TLS, converted.message, { cause: error, errno: converted.errno, syscall: converted.syscall });
}
