import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { ConnectAttempt, ConnectSink, ConnectSpec } from '../Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { describeEndpoint } from '../node/describeEndpoint.js';
import { ringError, type RingOwner, type UringLoop } from './UringLoop.js';
import { UringTransport } from './UringTransport.js';

const CONNECT = 1;

/**
 * An outgoing connection of the uring backend: a socket, then a connect request; host names are resolved first
 * (`dns.lookup`, as Node does).
 *
 * ## Example
 * ```ts
 * import { uringBackend } from 'rxloop';
 *
 * const attempt = uringBackend().connect({ host: '127.0.0.1', port: 6379, timeout: 1000 }, {
 *   connected: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code), // 'ERR_CONNECT_REFUSED', 'ERR_CONNECT_TIMEOUT', …
 * });
 * process.once('SIGINT', () => attempt.cancel());
 * ```
 *
 * @internal
 */
export class UringConnectAttempt implements ConnectAttempt, RingOwner {
  private readonly loop: UringLoop;
  private readonly spec: ConnectSpec;
  private readonly sink: ConnectSink;
  private readonly where: string;
  private fd = -1;
  private slot = 0;
  private timer: Subscription | undefined;
  private done = false;

  constructor(loop: UringLoop, spec: ConnectSpec, sink: ConnectSink, scheduler: SchedulerLike) {
    this.loop = loop;
    this.spec = spec;
    this.sink = sink;
    this.where = describeEndpoint(spec, 'localhost');
    if ((spec.port === undefined) === (spec.path === undefined)) {
      const got = spec.port === undefined ? 'neither' : 'both';
      this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected exactly one of port and path to connect to, got ${got}`));
      return;
    }
    if (spec.timeout !== undefined) this.timer = scheduler.schedule(() => this.timedOut(), spec.timeout);
    if (spec.path !== undefined) {
      const path = spec.path;
      queueMicrotask(() => this.start(0, (fd) => loop.ring.connectUnix(fd, path)));
      return;
    }
    const port = spec.port!;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a port from 1 to 65535 to connect to, got ${String(port)}`));
      return;
    }
    const host = spec.host ?? 'localhost';
    const family = isIP(host);
    if (family !== 0) {
      queueMicrotask(() => this.start(family === 6 ? 6 : 4, (fd) => loop.ring.connectInet(fd, host, port)));
      return;
    }
    lookup(host, (error, address, found) => {
      if (this.done) return;
      if (error !== null) this.finishWith(toRxloopError(error, `connect to ${this.where}`));
      else this.start(found === 6 ? 6 : 4, (fd) => loop.ring.connectInet(fd, address, port));
    });
  }

  cancel(): void {
    if (this.done) return;
    this.finish(false);
  }

  complete(_kind: number, res: number): void {
    this.slot = 0;
    if (this.done) {
      return;
    }
    if (res < 0) {
      this.finishWith(ringError(res, `connect to ${this.where}`, 'connect'));
      return;
    }
    const fd = this.fd;
    this.fd = -1;
    this.finish(true);
    const unix = this.spec.path !== undefined;
    if (!unix) this.loop.ring.setNoDelay(fd, this.spec.noDelay ?? true);
    this.sink.connected(new UringTransport(this.loop, fd, unix, unix ? { local: '', remote: this.spec.path! } : undefined));
  }

  private start(kind: 0 | 4 | 6, connect: (fd: number) => number): void {
    if (this.done) return;
    const ring = this.loop.ring;
    const fd = ring.socket(kind);
    if (fd < 0) {
      this.finishWith(ringError(fd, `connect to ${this.where}`, 'socket'));
      return;
    }
    this.fd = fd;
    const slot = this.loop.own(connect(fd), this, CONNECT);
    if (slot < 0) {
      this.finishWith(ringError(slot, `connect to ${this.where}`, 'connect'));
      return;
    }
    this.slot = slot;
  }

  private timedOut(): void {
    if (this.done) return;
    this.finishWith(new RxloopError(ErrorCode.CONNECT_TIMEOUT, `expected a connection to ${this.where} within ${String(this.spec.timeout)} ms, none was established in time`));
  }

  /** Ends the attempt; unless the socket was handed on, the connect is cancelled and the socket closed. */
  private finish(handedOn: boolean): void {
    this.done = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (handedOn) return;
    const ring = this.loop.ring;
    if (this.slot !== 0) ring.abandon(this.slot);
    if (this.fd >= 0) ring.closeNow(this.fd);
    this.fd = -1;
  }

  private finishWith(error: RxloopError): void {
    this.finish(false);
    this.sink.failed(error);
  }

  private failLater(error: RxloopError): void {
    queueMicrotask(() => {
      if (this.done) return;
      this.finishWith(error);
    });
  }
}
