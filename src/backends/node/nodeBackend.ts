import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Backend, Transport } from '../Backend.js';
import { NodeTransport } from './NodeTransport.js';
import { leasedReads } from './leasedReads.js';
import { NodeAcceptor } from './NodeAcceptor.js';
import { NodeConnectAttempt } from './NodeConnectAttempt.js';
import { NodeDatagramTransport } from './NodeDatagramTransport.js';

/**
 * Options of {@link nodeBackend}.
 *
 * ## Example
 * ```ts
 * import { listen, nodeBackend, type NodeBackendOptions } from 'rxloop';
 * import { asyncScheduler } from 'rxjs';
 *
 * // Keep leased reads on Node's public path (one copy per read), for example to measure what zero-copy saves.
 * const options: NodeBackendOptions = { scheduler: asyncScheduler, zeroCopyLeasedReads: false };
 * listen({ port: 0, backend: nodeBackend(options) }).subscribe();
 * ```
 */
export interface NodeBackendOptions {
  /** Runs timers (connect timeouts) and is the clock of everything above the backend. Default: `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Lets `'leased'` reads on TCP and Unix sockets go straight into the leased buffers through Node's internal
   * `onread` fields, where a feature check at startup finds them (default `true`). `false` keeps every transport
   * on the public path, which copies `'data'` chunks into the leases.
   */
  readonly zeroCopyLeasedReads?: boolean;
}

/**
 * The `node` backend: a {@link Backend} plus a way to adopt a socket that arrived from elsewhere.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, Connection } from 'rxloop';
 *
 * const backend = nodeBackend();
 * process.on('message', (message, socket) => {
 *   if (socket) new Connection(backend.adopt(socket as import('node:net').Socket), backend).close();
 * });
 * ```
 */
export interface NodeBackend extends Backend {
  /**
   * Wraps a connected `net.Socket` (or `tls.TLSSocket`) that this backend did not create, for example one a
   * parent process handed over with `child.send(message, socket)`. The socket should be paused (accepted with
   * `pauseOnConnect`); reading stays stopped until the transport is told to read.
   */
  adopt(socket: Socket): Transport;
}

/**
 * The backend over Node's own event loop (libuv): TCP, Unix and TLS sockets from `node:net` and `node:tls`, UDP
 * from `node:dgram`.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * const backend = nodeBackend();
 * const acceptor = backend.listen({ port: 0, host: '127.0.0.1' }, {
 *   listening: (address) => console.log('listening on', address),
 *   accepted(transport) {
 *     transport.attach({
 *       readable: () => {},
 *       completed: (chunks) => chunks.forEach((chunk) => transport.write(chunk)),
 *       writable: () => {},
 *       ended: () => transport.end(),
 *       closed: () => {},
 *     });
 *     transport.setReadMode('completion');
 *     transport.setReading(true);
 *   },
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 *
 * @param options the scheduler, and whether zero-copy leased reads may be used
 * @returns a backend named `'node'`
 */
export function nodeBackend(options: NodeBackendOptions = {}): NodeBackend {
  const scheduler = options.scheduler ?? asyncScheduler;
  const hooks = options.zeroCopyLeasedReads === false ? undefined : leasedReads();
  return {
    name: 'node',
    scheduler,
    endOfTurn: (callback) => process.nextTick(callback),
    listen: (spec, sink) => new NodeAcceptor(spec, sink, hooks),
    connect: (spec, sink) => new NodeConnectAttempt(spec, sink, scheduler, hooks),
    bind: (spec, sink) => new NodeDatagramTransport(spec, sink),
    adopt: (socket) => {
      // Sockets handed over IPC come back with Node's defaults; rxloop's contract is half-open, no Nagle.
      socket.allowHalfOpen = true;
      socket.setNoDelay(true);
      return new NodeTransport(socket, { secure: socket instanceof TLSSocket, leasedReads: hooks });
    },
  };
}
