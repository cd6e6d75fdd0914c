import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Socket } from 'node:net';
import type { Backend } from '../Backend.js';
import { ErrorCode, RxloopError } from '../../errors.js';
import { nodeBackend } from '../node/nodeBackend.js';
import { UringAcceptor } from './UringAcceptor.js';
import { UringConnectAttempt } from './UringConnectAttempt.js';
import { closeDescriptor, duplicateDescriptor, ringError, UringLoop, uringLoop, type UringRingStats } from './UringLoop.js';
import { UringTransport } from './UringTransport.js';
import { uringSupport } from './uringSupport.js';

/**
 * Options of {@link uringBackend}.
 *
 * ## Example
 * ```ts
 * import { asyncScheduler } from 'rxjs';
 * import { uringBackend, type UringBackendOptions } from 'rxloop';
 *
 * const options: UringBackendOptions = { scheduler: asyncScheduler };
 * const backend = uringBackend(options);
 * ```
 */
export interface UringBackendOptions {
  /** The scheduler for timers (connect timeouts, and what the layers above schedule). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * A ring of this backend's own, with these sizes, instead of the thread's shared one: `entries` submission
   * queue entries (default 1024; the completion queue is four times that), `buffers` provided receive buffers (a
   * power of two, default 1024) of `bufferSize` bytes (default 16384). Few small buffers show how exhaustion
   * behaves: receives wait for buffers to come back, nothing fails.
   */
  readonly ring?: { readonly entries?: number; readonly buffers?: number; readonly bufferSize?: number };
}

/** Where the uring backend finds a `net.Socket`'s descriptor (Node keeps it on the handle). */
type SocketWithHandle = Socket & { _handle?: { fd?: number } | null };

/**
 * The io_uring backend (Linux): a true proactor. The kernel accepts (one multishot request per listening socket),
 * receives (into a provided buffer ring, or straight into the reader's leased buffer), sends and closes, and
 * reports completions that reach JavaScript in one call per poll of the ring; libuv watches the ring, so timers,
 * other sockets and the rest of Node share the loop. Submissions made while JavaScript runs go to the kernel in
 * one system call before the loop waits again.
 *
 * TCP and Unix stream sockets run on the ring. TLS (a `tls` option on `listen` or `connect`) and UDP (`bind`) go
 * to the node backend, chosen automatically: same loop, same contract. One ring serves each thread (the
 * environment the backend is made in), so every worker thread of a thread-per-core server has its own.
 *
 * Throws `ERR_UNSUPPORTED` where io_uring cannot run (not Linux, the addon not built, the kernel too old or
 * io_uring disabled); {@link uringSupport} says why beforehand, and `selectBackend('auto')` falls back to node.
 *
 * ## Example
 * ```ts
 * import { listen, uringBackend, uringSupport } from 'rxloop';
 *
 * if (uringSupport().available) {
 *   listen({ host: '127.0.0.1', port: 6380, backend: uringBackend() }).subscribe((connection) => {
 *     connection.data$.subscribe((chunk) => connection.write(chunk)); // echo
 *   });
 * }
 * ```
 *
 * @param options the scheduler, and the ring's sizes
 * @returns a backend named `'uring'`
 * @throws RxloopError `ERR_UNSUPPORTED` where io_uring cannot run here (the message says why)
 */
export function uringBackend(options: UringBackendOptions = {}): UringBackend {
  const support = uringSupport();
  if (!support.available) {
    throw new RxloopError(ErrorCode.UNSUPPORTED, `expected io_uring to work here, but ${support.reason ?? 'it does not'}; use the node backend (or 'auto')`);
  }
  const ring = options.ring;
  // The ring is made on first use: a backend that only hands descriptors on (a multi-reactor's acceptor) needs none.
  let made: UringLoop | undefined;
  const ringLoop = (): UringLoop => {
    if (made !== undefined) return made;
    made = ring === undefined ? uringLoop() : new UringLoop(ring.entries, ring.buffers, ring.bufferSize);
    if (ring !== undefined) made.trackTransports();
    return made;
  };
  const scheduler = options.scheduler ?? asyncScheduler;
  /** A connected socket's descriptor as this ring's transport (`own` is already the ring's, tracked and blocking). */
  const onRing = (loop: UringLoop, own: number, unix: boolean): UringTransport => {
    if (!unix) loop.ring.setNoDelay(own, true);
    return new UringTransport(loop, own, unix, unix ? { local: '', remote: '' } : undefined);
  };
  /** Whether a net.Socket is a Unix socket (Node names no remote end for those). */
  const isUnix = (socket: Socket): boolean => socket.remoteFamily === undefined && socket.remoteAddress === undefined;
  const fallback = nodeBackend({ scheduler });
  const backend: UringBackend = {
    name: 'uring',
    stats: () => ringLoop().stats(),
    close: () => {
      if (ring !== undefined) made?.close();
    },
    scheduler,
    endOfTurn: (callback) => process.nextTick(callback),
    listen: (spec, sink) => (spec.tls !== undefined ? fallback.listen(spec, sink) : new UringAcceptor(ringLoop(), spec, sink)),
    connect: (spec, sink) => (spec.tls !== undefined ? fallback.connect(spec, sink) : new UringConnectAttempt(ringLoop(), spec, sink, scheduler)),
    bind: (spec, sink) => fallback.bind(spec, sink),
    adopt: (socket) => {
      const handle = (socket as SocketWithHandle)._handle;
      const fd = handle?.fd;
      if (typeof fd !== 'number' || fd < 0 || 'encrypted' in socket) return fallback.adopt!(socket);
      const loop = ringLoop();
      const own = loop.ring.adopt(fd);
      if (own < 0) return fallback.adopt!(socket);
      const unix = isUnix(socket);
      // Our descriptor is a duplicate: Node's socket goes, the connection stays.
      socket.destroy();
      return onRing(loop, own, unix);
    },
    detachDescriptor: (socket) => {
      const fd = (socket as SocketWithHandle)._handle?.fd;
      if (typeof fd !== 'number' || fd < 0 || 'encrypted' in socket) return undefined;
      const copy = duplicateDescriptor(fd);
      if (copy < 0) return undefined;
      const unix = isUnix(socket);
      socket.destroy();
      return { fd: copy, unix };
    },
    adoptDescriptor: (fd, unix) => {
      // Our own duplicate, made blocking and tracked by this thread's ring. The one that travelled stays open:
      // it is the caller's to close (closeDescriptor, in the thread that detached it), whether this succeeds or not.
      const loop = ringLoop();
      const own = loop.ring.adopt(fd);
      if (own < 0) throw ringError(own, 'adopt a connection another thread accepted', 'fcntl');
      return onRing(loop, own, unix);
    },
    closeDescriptor: (fd) => closeDescriptor(fd),
  };
  return backend;
}

/**
 * The uring backend: a {@link Backend} whose ring can be asked for its counters.
 *
 * ## Example
 * ```ts
 * import { uringBackend, type UringBackend } from 'rxloop';
 *
 * const backend: UringBackend = uringBackend();
 * console.log(backend.stats().buffersInKernelUse); // 0 when every receive buffer is back in the ring
 * ```
 */
export interface UringBackend extends Backend {
  /** The counters of this backend's ring. */
  stats(): UringRingStats;
  /**
   * Closes a ring of the backend's own (made with the `ring` option), with the sockets it still has; does
   * nothing for the thread's shared ring, which lives as long as its thread.
   */
  close(): void;
}
