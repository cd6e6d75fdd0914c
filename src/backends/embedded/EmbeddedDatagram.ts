import type { SchedulerLike } from 'rxjs';
import type { DatagramSink, DatagramTransport, SocketAddress } from '../Backend.js';
import { ErrorCode, RxloopError } from '../../errors.js';

/** What a datagram socket needs from its backend. */
interface DatagramTable {
  /** The socket bound at `port`, if any. */
  at(port: number): EmbeddedDatagram | undefined;
  /** Releases `socket`'s port. */
  unbind(socket: EmbeddedDatagram): void;
}

/**
 * An in-memory UDP socket. A datagram goes to whichever socket is bound at its port when it arrives (the address
 * is not checked), one scheduler task after `send`; datagrams to a port nobody holds are dropped, as UDP does.
 *
 * @internal
 */
export class EmbeddedDatagram implements DatagramTransport {
  /** Where it is bound, set when `listening` is delivered. */
  address: SocketAddress | undefined = undefined;
  private closed = false;

  /**
   * @param scheduler runs every delivery
   * @param table the backend's port table
   * @param sink receives this socket's events
   * @param bound the address it is bound at
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly table: DatagramTable,
    private readonly sink: DatagramSink,
    readonly bound: SocketAddress,
  ) {}

  /** Schedules `listening`. */
  open(): void {
    this.scheduler.schedule(() => {
      if (this.closed) return;
      this.address = this.bound;
      this.sink.listening(this.bound);
    });
  }

  /** Schedules `failed(error)` then `closed()`; the socket never opens. */
  refuse(error: RxloopError): void {
    this.closed = true;
    this.scheduler.schedule(() => {
      this.sink.failed(error);
      this.sink.closed();
    });
  }

  send(data: Uint8Array, port: number, address: string, done: (error: RxloopError | undefined) => void): void {
    let error: RxloopError | undefined;
    if (this.closed) {
      error = new RxloopError(ErrorCode.SOCKET_CLOSED, `expected an open socket to send to ${address}:${port}, but it is closed`);
    } else if (!Number.isInteger(port) || port < 1 || port > 65535) {
      error = new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a port from 1 to 65535 to send to, got ${port}`);
    }
    if (error !== undefined) {
      const failure = error;
      this.scheduler.schedule(() => done(failure));
      return;
    }
    // Copy now: the sender may reuse its buffer, and the receiver owns what it gets.
    const copy = Buffer.allocUnsafe(data.byteLength);
    copy.set(data);
    const from = this.bound;
    this.scheduler.schedule(() => {
      done(undefined);
      this.table.at(port)?.receive(copy, from);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table.unbind(this);
    this.scheduler.schedule(() => this.sink.closed());
  }

  /** Delivers one datagram, unless the socket was closed. */
  receive(data: Buffer, from: SocketAddress): void {
    if (!this.closed) this.sink.received(data, from);
  }
}
