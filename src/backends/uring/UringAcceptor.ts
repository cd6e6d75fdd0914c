import { lookup } from 'node:dns';
import { unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { constants } from 'node:os';
import type { Acceptor, AcceptorSink, ListenSpec, SocketAddress } from '../Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { describeEndpoint } from '../node/describeEndpoint.js';
import { ringError, type RingOwner, type UringLoop } from './UringLoop.js';
import { UringTransport } from './UringTransport.js';

const ACCEPT = 1;
const { ECANCELED, EMFILE, ENFILE, ENOBUFS, ENOMEM, EAFNOSUPPORT, EINTR, EAGAIN, ECONNABORTED } = constants.errno;
/** After the process ran out of descriptors, accepting resumes this much later (the queue waits in the kernel). */
const RETRY_MS = 50;

/**
 * A listening socket of the uring backend: bound with ordinary system calls, then one multishot accept request
 * that completes once per connection until it is cancelled.
 *
 * ## Example
 * ```ts
 * import { uringBackend } from 'rxloop';
 *
 * const acceptor = uringBackend().listen({ host: '127.0.0.1', port: 0 }, {
 *   listening: (address) => console.log('listening on', address),
 *   accepted: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code),
 * });
 * setTimeout(() => acceptor.close(), 1000);
 * ```
 *
 * @internal
 */
export class UringAcceptor implements Acceptor, RingOwner {
  private readonly loop: UringLoop;
  private readonly spec: ListenSpec;
  private readonly sink: AcceptorSink;
  private readonly where: string;
  private state: 'opening' | 'listening' | 'done' = 'opening';
  private fd = -1;
  private slot = 0;
  private retry: NodeJS.Timeout | undefined;
  private bound: SocketAddress | undefined;

  constructor(loop: UringLoop, spec: ListenSpec, sink: AcceptorSink) {
    this.loop = loop;
    this.spec = spec;
    this.sink = sink;
    this.where = describeEndpoint(spec, 'every interface');
    if ((spec.port === undefined) === (spec.path === undefined)) {
      const got = spec.port === undefined ? 'neither' : 'both';
      this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected exactly one of port and path to listen on, got ${got}`));
      return;
    }
    if (spec.path !== undefined) {
      if (spec.reusePort === true) {
        this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected reusePort with a TCP port, got the Unix path ${spec.path}`));
        return;
      }
      const path = spec.path;
      queueMicrotask(() => this.open(() => loop.ring.listenUnix(path, spec.backlog ?? 511)));
      return;
    }
    const port = spec.port!;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      this.failLater(new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a port from 0 to 65535 to listen on, got ${String(port)}`));
      return;
    }
    const host = spec.host;
    const bindTo = (address: string) => this.open(() => loop.ring.listenInet(address, port, spec.backlog ?? 511, spec.reusePort === true));
    if (host === undefined) {
      // Like Node: every interface, IPv6 with IPv4 mapped in, or IPv4 alone where there is no IPv6.
      queueMicrotask(() => this.open(() => {
        const fd = loop.ring.listenInet('::', port, spec.backlog ?? 511, spec.reusePort === true);
        return fd === -EAFNOSUPPORT ? loop.ring.listenInet('0.0.0.0', port, spec.backlog ?? 511, spec.reusePort === true) : fd;
      }));
    } else if (isIP(host) !== 0) {
      queueMicrotask(() => bindTo(host));
    } else {
      lookup(host, (error, address) => {
        if (this.state !== 'opening') return;
        if (error !== null) this.fail(toRxloopError(error, `listen on ${this.where}`));
        else bindTo(address);
      });
    }
  }

  get address(): SocketAddress | undefined {
    return this.bound;
  }

  close(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    clearTimeout(this.retry);
    this.release();
  }

  complete(_kind: number, res: number, more: boolean): void {
    if (!more) this.slot = 0;
    if (res >= 0) {
      if (this.state !== 'listening') {
        this.loop.ring.closeNow(res);
        return;
      }
      const ring = this.loop.ring;
      ring.track(res);
      const unix = this.spec.path !== undefined;
      if (!unix) ring.setNoDelay(res, true);
      this.sink.accepted(new UringTransport(this.loop, res, unix, unix ? { local: this.spec.path!, remote: '' } : undefined));
      if (!more && this.state === 'listening') this.arm();
      return;
    }
    if (this.state !== 'listening') return;
    if (res === -ECANCELED || res === -EINTR || res === -EAGAIN || res === -ECONNABORTED) {
      if (!more) this.arm();
      return;
    }
    const error = ringError(res, `accept on ${this.where}`, 'accept');
    if (res === -EMFILE || res === -ENFILE || res === -ENOBUFS || res === -ENOMEM) {
      // One connection's worth of trouble: say so, and accept again a little later.
      this.sink.acceptFailed?.(error);
      if (!more) this.retry = setTimeout(() => this.arm(), RETRY_MS);
      return;
    }
    this.fail(error);
  }

  private open(bind: () => number): void {
    if (this.state !== 'opening') return;
    const fd = bind();
    if (fd < 0) {
      this.fail(ringError(fd, `listen on ${this.where}`, 'listen'));
      return;
    }
    this.fd = fd;
    if (this.spec.path !== undefined) {
      this.bound = { kind: 'unix', path: this.spec.path };
    } else {
      const found = this.loop.ring.address(fd, false);
      if (typeof found !== 'number') {
        this.bound = { kind: 'inet', family: found[0] === 6 ? 'IPv6' : 'IPv4', address: found[1], port: found[2] };
      }
    }
    this.state = 'listening';
    this.arm();
    if (this.state === 'listening') this.sink.listening(this.bound!);
  }

  private arm(): void {
    this.retry = undefined;
    if (this.state !== 'listening' || this.slot !== 0) return;
    const slot = this.loop.own(this.loop.ring.accept(this.fd), this, ACCEPT);
    if (slot < 0) {
      this.fail(ringError(slot, `accept on ${this.where}`, 'accept'));
      return;
    }
    this.slot = slot;
  }

  /** Cancels the accept at once (so no connection is taken after this) and closes the listening socket. */
  private release(): void {
    const ring = this.loop.ring;
    // A ring already closed (a backend's own, closed first) took its requests and descriptors with it.
    const ringOpen = !this.loop.isClosed;
    if (this.slot !== 0 && ringOpen) ring.abandon(this.slot);
    if (this.fd >= 0) {
      if (ringOpen) ring.closeNow(this.fd);
      this.fd = -1;
      if (this.spec.path !== undefined) {
        try {
          unlinkSync(this.spec.path);
        } catch {
          // Already gone.
        }
      }
    }
  }

  private failLater(error: RxloopError): void {
    queueMicrotask(() => this.fail(error));
  }

  private fail(error: RxloopError): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.release();
    this.sink.failed(error);
  }
}
