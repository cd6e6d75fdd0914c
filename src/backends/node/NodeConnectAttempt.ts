import * as net from 'node:net';
import * as tls from 'node:tls';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { ConnectAttempt, ConnectSink, ConnectSpec } from '../Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { describeEndpoint } from './describeEndpoint.js';
import type { LeasedReadHooks } from './leasedReads.js';
import { NodeTransport } from './NodeTransport.js';
import { toSetupError } from './toSetupError.js';

/**
 * A {@link ConnectAttempt} over `net.connect` or `tls.connect`. The socket is paused at once, so no byte is read
 * before the transport's reader asks; the attempt ends with `connected` (after the TLS handshake for TLS),
 * `failed`, or nothing when cancelled.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, ErrorCode } from 'rxloop';
 *
 * const attempt = nodeBackend().connect({ port: 6379, host: '127.0.0.1', timeout: 1000 }, {
 *   connected: (transport) => transport.close(),
 *   failed: (error) => console.log(error.code === ErrorCode.CONNECT_REFUSED),
 * });
 * process.once('SIGINT', () => attempt.cancel());
 * ```
 *
 * @internal
 */
export class NodeConnectAttempt implements ConnectAttempt {
  private readonly sink: ConnectSink;
  private readonly spec: ConnectSpec;
  private readonly leasedReads: LeasedReadHooks | undefined;
  private readonly where: string;
  private socket: net.Socket | undefined;
  private timer: Subscription | undefined;
  private done = false;

  /**
   * @param spec where to connect, the timeout, Nagle and the TLS options
   * @param sink receives `connected` or `failed`
   * @param scheduler runs the connect timeout
   * @param leasedReads the zero-copy hooks the transport may use, or `undefined`
   */
  constructor(
    spec: ConnectSpec,
    sink: ConnectSink,
    scheduler: SchedulerLike,
    leasedReads: LeasedReadHooks | undefined,
  ) {
    this.spec = spec;
    this.sink = sink;
    this.leasedReads = leasedReads;
    this.where = describeEndpoint(spec, 'localhost');
    if ((spec.port === undefined) === (spec.path === undefined)) {
      const got = spec.port === undefined ? 'neither' : 'both';
      this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected exactly one of port and path to connect to, got ${got}`));
      return;
    }
    const noDelay = spec.noDelay ?? true;
    const target = spec.path !== undefined ? { path: spec.path } : { host: spec.host, port: spec.port as number };
    let socket: net.Socket;
    try {
      if (spec.tls !== undefined) {
        // tls.connect honours allowHalfOpen (it passes it to the TLSSocket) though @types/node does not list it.
        const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = { ...spec.tls, ...target, allowHalfOpen: true };
        socket = tls.connect(options);
      } else {
        socket = net.connect({ ...target, allowHalfOpen: true, noDelay });
      }
    } catch (error) {
      this.failLater(toSetupError(error, `connect to ${this.where}`));
      return;
    }
    this.socket = socket;
    // Paused before the connection completes, Node never starts reading on its own (a TLS handshake still runs).
    socket.pause();
    socket.on('error', this.onError);
    if (spec.tls !== undefined) {
      socket.once('connect', () => socket.setNoDelay(noDelay));
      socket.once('secureConnect', this.onConnect);
    } else {
      socket.once('connect', this.onConnect);
    }
    if (spec.timeout !== undefined) this.timer = scheduler.schedule(this.onTimeout, spec.timeout);
  }

  cancel(): void {
    if (this.done) return;
    this.finish();
  }

  /** Ends the attempt: no more sink calls, the timer stops, and the socket is destroyed unless it was handed on. */
  private finish(socket?: net.Socket): void {
    this.done = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (socket === undefined) this.socket?.destroy();
    this.socket = undefined;
  }

  private failLater(error: RxloopError): void {
    queueMicrotask(() => {
      if (this.done) return;
      this.finish();
      this.sink.failed(error);
    });
  }

  private readonly onConnect = (): void => {
    const socket = this.socket;
    if (this.done || socket === undefined) return;
    this.finish(socket);
    // The transport adds its own 'error' listener before ours goes, so there is never a moment without one.
    const transport = new NodeTransport(socket, {
      secure: this.spec.tls !== undefined,
      leasedReads: this.leasedReads,
      unixPaths: this.spec.path === undefined ? undefined : { local: '', remote: this.spec.path },
    });
    socket.off('error', this.onError);
    this.sink.connected(transport);
  };

  private readonly onError = (error: Error): void => {
    if (this.done) return;
    this.finish();
    this.sink.failed(toRxloopError(error, `connect to ${this.where}`));
  };

  private readonly onTimeout = (): void => {
    if (this.done) return;
    this.finish();
    const what = this.spec.tls !== undefined ? 'a TLS connection' : 'a connection';
    this.sink.failed(
      new RxloopError(
        ErrorCode.CONNECT_TIMEOUT,
        `expected ${what} to ${this.where} within ${String(this.spec.timeout)} ms, none was established in time`,
      ),
    );
  };
}
