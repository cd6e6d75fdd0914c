import * as dgram from 'node:dgram';
import type { BindSpec, DatagramSink, DatagramTransport, SocketAddress } from '../Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { toSetupError } from './toSetupError.js';
import { toSocketAddress } from '../shared/toSocketAddress.js';

/**
 * A {@link DatagramTransport} over a `dgram.Socket`. Errors are reported with `failed`, then the socket closes and
 * `closed` follows.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * const socket = nodeBackend().bind({ type: 'udp4', address: '127.0.0.1', port: 0 }, {
 *   listening: (address) => console.log('bound to', address),
 *   received: (data, from) => {
 *     if (from.kind === 'inet') socket.send(data, from.port, from.address, () => {});
 *   },
 *   failed: (error) => console.error(error.code),
 *   closed: () => console.log('closed'),
 * });
 * ```
 *
 * @internal
 */
export class NodeDatagramTransport implements DatagramTransport {
  private readonly socket: dgram.Socket;
  private readonly sink: DatagramSink;
  private readonly where: string;
  private bound: SocketAddress | undefined;
  private closing = false;
  private closed = false;

  /**
   * @param spec the socket type and where to bind
   * @param sink receives `listening`, `received`, `failed` and `closed`
   */
  constructor(spec: BindSpec, sink: DatagramSink) {
    this.sink = sink;
    const host = spec.address ?? (spec.type === 'udp6' ? '::' : '0.0.0.0');
    this.where = `${spec.type} ${host.includes(':') ? `[${host}]` : host}:${String(spec.port ?? 0)}`;
    this.socket = dgram.createSocket({ type: spec.type, reuseAddr: spec.reuseAddr ?? false });
    this.socket.on('listening', this.onListening);
    this.socket.on('message', this.onMessage);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
    try {
      this.socket.bind({ port: spec.port ?? 0, address: spec.address });
    } catch (error) {
      const failure = toSetupError(error, `bind ${this.where}`);
      queueMicrotask(() => this.fail(failure));
    }
  }

  get address(): SocketAddress | undefined {
    return this.bound;
  }

  send(data: Uint8Array, port: number, address: string, done: (error: RxloopError | undefined) => void): void {
    const to = `${address.includes(':') ? `[${address}]` : address}:${String(port)}`;
    if (this.closing) {
      const error = new RxloopError(ErrorCode.SOCKET_CLOSED, `expected an open datagram socket to send to ${to}, it was closed`);
      queueMicrotask(() => done(error));
      return;
    }
    try {
      this.socket.send(data, port, address, (error) => {
        done(error === null || error === undefined ? undefined : toRxloopError(error, `send to ${to}`));
      });
    } catch (error) {
      const failure = toSetupError(error, `send to ${to}`);
      queueMicrotask(() => done(failure));
    }
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close();
  }

  private fail(error: RxloopError): void {
    if (this.closed) return;
    this.sink.failed(error);
    this.close();
  }

  private readonly onListening = (): void => {
    this.bound = toSocketAddress(this.socket.address());
    if (this.bound !== undefined && !this.closing) this.sink.listening(this.bound);
  };

  private readonly onMessage = (data: Buffer, from: dgram.RemoteInfo): void => {
    if (this.closing) return;
    this.sink.received(data, { kind: 'inet', family: from.family, address: from.address, port: from.port });
  };

  private readonly onError = (error: Error): void => {
    this.fail(toRxloopError(error, this.bound === undefined ? `bind ${this.where}` : `receive on ${this.where}`));
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.sink.closed();
  };
}
