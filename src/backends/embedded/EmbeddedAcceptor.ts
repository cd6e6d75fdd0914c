import type { Acceptor, AcceptorSink, SocketAddress } from '../Backend.js';
import type { RxloopError } from '../../errors.js';

/**
 * A listener in an embedded backend's table of ports and paths. It accepts connections only once `listening`
 * was delivered, so a `connect` issued before `listen` in the same turn is refused, as with real sockets.
 *
 * @internal
 */
export class EmbeddedAcceptor implements Acceptor {
  /** Where it listens, set when `listening` is delivered. */
  address: SocketAddress | undefined = undefined;
  /** Closed by the user or failed; no sink call follows. */
  closed = false;

  /**
   * @param sink receives this listener's events
   * @param secure whether TLS options were given (accepted transports report it in `features.secure`)
   * @param release frees the address in the backend's table
   */
  constructor(
    readonly sink: AcceptorSink,
    readonly secure: boolean,
    private readonly release: () => void,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  /** Delivers `listening`, unless the acceptor was closed first. */
  announce(address: SocketAddress): void {
    if (this.closed) return;
    this.address = address;
    this.sink.listening(address);
  }

  /** Delivers `failed`, unless the acceptor was closed first. */
  fail(error: RxloopError): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.failed(error);
  }
}
