/**
 * The backend contract: the event demultiplexer under every rxloop socket.
 *
 * A backend turns operating-system events into calls on a sink. It reports **readiness** ("bytes are waiting,
 * read them now", "the write buffer drained, write now") and **completions** ("these bytes were read into this
 * buffer"). Everything above it (`Connection`, `listen`, `connect`, `bind`, the operators and the schedulers) is
 * written against these interfaces only, so the same pipeline runs on `node` (libuv), on `embedded` (memory and
 * virtual time) and on a later native io_uring backend.
 *
 * The shape is chosen for io_uring as much as for libuv:
 * - reads may complete into buffers the reader leased out ({@link BufferSource}); the reader decides how many are
 *   out at once, and that number is the read credit;
 * - completions arrive as a batch (`completed(chunks)`), one call for everything one poll produced.
 *
 * Calls on a sink are made from the backend's loop, never re-entrantly from inside a call the sink made into the
 * transport (a `write` does not synchronously call `readable`), so sinks need no re-entrancy guards.
 *
 * @packageDocumentation
 */
import type { SchedulerLike } from 'rxjs';
import type { Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions, TlsOptions } from 'node:tls';
import type { RxloopError } from '../errors.js';

/**
 * Where a socket is: an IP address and port, or a Unix socket path.
 *
 * ## Example
 * ```ts
 * import type { SocketAddress } from 'rxloop';
 *
 * function show(address: SocketAddress): string {
 *   return address.kind === 'unix' ? address.path : `${address.address}:${address.port}`;
 * }
 * ```
 */
export type SocketAddress =
  | {
      /** An IP socket (TCP or UDP). */
      readonly kind: 'inet';
      /** The IP version of `address`. */
      readonly family: 'IPv4' | 'IPv6';
      /** The IP address as text (`'127.0.0.1'`, `'::1'`). */
      readonly address: string;
      /** The port number. */
      readonly port: number;
    }
  | {
      /** A Unix domain socket. */
      readonly kind: 'unix';
      /** The socket's file system path. */
      readonly path: string;
    };

/**
 * How a transport hands over the bytes it reads.
 * - `'readiness'`: the transport keeps bytes and calls `readable()`; the reader pulls them with `read(n)`.
 * - `'completion'`: the transport allocates chunks and calls `completed(chunks)`; the chunks are the reader's.
 * - `'leased'`: the transport reads into buffers taken from a {@link BufferSource} and calls `completed(views)`
 *   with views of the filled bytes; the reader gives each buffer back to its source when done.
 * - `'provided'`: the transport reads into buffers of the backend's own (an io_uring provided buffer ring: the
 *   kernel picks a buffer when bytes arrive, several reads in flight) and calls `completed(views)` with views of
 *   them; the reader gives each back with {@link Transport.releaseProvided}. Only where
 *   `features.providedBuffers` is true; see {@link ProvidedReads}.
 *
 * ## Example
 * ```ts
 * import type { ReadMode, Transport } from 'rxloop';
 *
 * // 'leased' also needs a BufferSource, so this helper only offers the other two modes.
 * function startReading(transport: Transport, mode: Exclude<ReadMode, 'leased'>): void {
 *   transport.setReadMode(mode);
 *   transport.setReading(true);
 * }
 * ```
 */
export type ReadMode = 'readiness' | 'completion' | 'leased' | 'provided';

/**
 * What a reader in `'provided'` mode asks of the transport. The views it holds are its read credit: while it
 * holds `credit` of them, the transport stops reading (the peer is slowed by TCP), and reading resumes as views
 * come back through {@link Transport.releaseProvided}. The credit is counted in whole buffers and is soft by at
 * most what one poll of the kernel brings (a multishot receive completes for all the bytes already waiting
 * before it can be stopped). When the backend's buffers are all lent, every reader of that backend waits for
 * some to come back: exhaustion is back-pressure, never an error.
 *
 * ## Example
 * ```ts
 * import type { ProvidedReads, Transport } from 'rxloop';
 *
 * // Hold at most 8 of the ring's buffers; give each back once its bytes are written on.
 * function forward(from: Transport, to: Transport): void {
 *   const reads: ProvidedReads = { credit: 8 };
 *   from.setReadMode('provided', reads);
 *   from.attach({
 *     readable: () => {},
 *     completed: (views) => views.forEach((view) => {
 *       to.write(Buffer.from(view));
 *       from.releaseProvided?.(view);
 *     }),
 *     writable: () => {},
 *     ended: () => to.end(),
 *     closed: () => to.close(),
 *   });
 *   from.setReading(true);
 * }
 * ```
 */
export interface ProvidedReads {
  /** The most of the backend's buffers the reader holds at once (a positive integer). */
  readonly credit: number;
}

/**
 * Supplies the buffers a transport reads into in `'leased'` mode. Returning `null` means "no credit": the
 * transport stops reading until `setReading(true)` is called again.
 *
 * A backend keeps at most one buffer from `lease()` posted per transport: it delivers the completion for that
 * buffer (through `completed`, possibly in a batch with other transports' work) before it asks for the next.
 * Exact-size readers rely on this to post the unfilled tail of a buffer again after a short read. A posted
 * buffer that never completes (reading stopped, input ended) is simply abandoned; the source takes it back.
 *
 * ## Example
 * ```ts
 * import type { BufferSource, Transport } from 'rxloop';
 *
 * // Two fixed buffers are the read credit: reading stops while both are out. The reader gives one back with
 * // free.push(buffer) and transport.setReading(true).
 * const free = [Buffer.alloc(4096), Buffer.alloc(4096)];
 * const source: BufferSource = { lease: () => free.pop() ?? null };
 * const readLeased = (transport: Transport) => transport.setReadMode('leased', source);
 * ```
 */
export interface BufferSource {
  /** The next buffer to read into, or `null` when every buffer is out. */
  lease(): Buffer | null;
}

/**
 * Receives a stream transport's events. Exactly one sink is attached to a transport.
 *
 * ## Example
 * ```ts
 * import type { Transport, TransportSink } from 'rxloop';
 *
 * // Readiness mode: count the bytes a peer sends, pulling them when told they are waiting.
 * function countBytes(transport: Transport, done: (total: number) => void): void {
 *   let total = 0;
 *   const sink: TransportSink = {
 *     readable: () => { total += transport.read()?.length ?? 0; },
 *     completed: () => {},
 *     writable: () => {},
 *     ended: () => transport.close(),
 *     closed: () => done(total),
 *   };
 *   transport.attach(sink);
 *   transport.setReadMode('readiness');
 *   transport.setReading(true);
 * }
 * ```
 */
export interface TransportSink {
  /** Readiness: bytes are waiting in the transport; take them with `read()`. */
  readable(): void;
  /**
   * Completion: the transport read these chunks, in order. The array is valid only during the call (backends
   * reuse it); the chunks themselves are the receiver's in `'completion'` mode and views of leased buffers in
   * `'leased'` mode.
   */
  completed(chunks: readonly Buffer[]): void;
  /** Readiness: the write buffer fell below its high-water mark after a `write` returned `false`. */
  writable(): void;
  /** The peer closed its output (end of input). Our output stays open until `end`, `close` or `abort`. */
  ended(): void;
  /** The transport is closed for good; `error` says why when it was not an orderly close. Always the last call. */
  closed(error: RxloopError | undefined): void;
}

/**
 * What a transport can do beyond the common contract, so callers can pick the fastest path.
 *
 * ## Example
 * ```ts
 * import type { ReadMode, TransportFeatures } from 'rxloop';
 *
 * // Lease buffers only where the backend reads straight into them; otherwise take its own chunks.
 * const readModeFor = (features: TransportFeatures): ReadMode =>
 *   features.zeroCopyLeasedReads ? 'leased' : 'completion';
 * ```
 */
export interface TransportFeatures {
  /** `'leased'` reads go straight into the leased buffers (no copy). When false, the backend copies into them. */
  readonly zeroCopyLeasedReads: boolean;
  /**
   * The transport offers `'provided'` reads: views of the backend's own receive buffers (the io_uring provided
   * buffer ring), filled by the kernel, `bufferSize` bytes at most each. `undefined` where it does not.
   */
  readonly providedBuffers?: { readonly bufferSize: number } | undefined;
  /** The transport is encrypted (TLS). */
  readonly secure: boolean;
}

/**
 * One stream socket (TCP, Unix or TLS) as a backend exposes it.
 *
 * ## Example
 * ```ts
 * import type { Transport } from 'rxloop';
 *
 * // An echo on a bare transport: completions in, the same chunks out, close when the peer ends.
 * function echo(transport: Transport): void {
 *   transport.attach({
 *     readable: () => {},
 *     completed: (chunks) => chunks.forEach((chunk) => transport.write(chunk)),
 *     writable: () => {},
 *     ended: () => transport.close(),
 *     closed: (error) => { if (error) console.error(error.code); },
 *   });
 *   transport.setReadMode('completion');
 *   transport.setReading(true);
 * }
 * ```
 */
export interface Transport {
  /** The local end, once known. */
  readonly localAddress: SocketAddress | undefined;
  /** The peer's end, once known. */
  readonly remoteAddress: SocketAddress | undefined;
  /** What this transport can do. */
  readonly features: TransportFeatures;
  /** Bytes received and not yet handed over (readiness mode keeps them here). */
  readonly readableLength: number;
  /** Bytes accepted by `write` and not yet handed to the operating system. */
  readonly writableLength: number;
  /** The `writableLength` above which `write` returns `false`. */
  readonly writableHighWaterMark: number;
  /** Total bytes received so far. */
  readonly bytesRead: number;
  /** Total bytes handed to the operating system so far. */
  readonly bytesWritten: number;
  /**
   * Attaches the sink. Called once, before reading starts; a backend holds events that happen earlier (a close,
   * an end) and delivers them after `attach`.
   */
  attach(sink: TransportSink): void;
  /**
   * Chooses how bytes are handed over; `source` is required for `'leased'` (a {@link BufferSource}) and for
   * `'provided'` (a {@link ProvidedReads}, where `features.providedBuffers` says the transport has them; elsewhere
   * `'provided'` throws `ERR_UNSUPPORTED`). Takes effect for the next read.
   */
  setReadMode(mode: ReadMode, source?: BufferSource | ProvidedReads): void;
  /**
   * `'provided'` mode: gives back a view that `completed` delivered, so its buffer can be filled again. Call it
   * once per view, also after the transport closed (the buffer belongs to the backend, not to the socket); a
   * second return of the same view is ignored. Absent on transports without provided buffers.
   */
  releaseProvided?(view: Buffer): void;
  /** Starts (`true`) or stops (`false`) taking bytes from the operating system. Starts stopped. */
  setReading(on: boolean): void;
  /** Readiness mode: up to `size` buffered bytes (all of them without `size`), or `null` when none are buffered. */
  read(size?: number): Buffer | null;
  /** Queues bytes for sending. Returns `false` when the write buffer is at or over its high-water mark. */
  write(chunk: Uint8Array): boolean;
  /** Holds writes until `uncork`, so several writes leave in one system call. */
  cork(): void;
  /** Releases corked writes. */
  uncork(): void;
  /** Half-closes: sends end of output after the queued writes; input stays open. */
  end(): void;
  /** Closes in order: flushes queued writes, then closes both directions. */
  close(): void;
  /** Closes at once with a reset (RST), dropping queued writes. */
  abort(): void;
}

/**
 * Receives a listening socket's events.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type AcceptorSink } from 'rxloop';
 *
 * const sink: AcceptorSink = {
 *   listening: (address) => console.log('listening on', address),
 *   accepted: (transport) => transport.close(),
 *   failed: (error) => console.error('cannot listen:', error.code),
 *   acceptFailed: (error) => console.warn('one accept failed:', error.code),
 * };
 * nodeBackend().listen({ host: '127.0.0.1', port: 0 }, sink);
 * ```
 */
export interface AcceptorSink {
  /** The socket is bound and accepting; `address` is where (with the real port when 0 was asked). */
  listening(address: SocketAddress): void;
  /** A peer connected. The transport starts with reading stopped. */
  accepted(transport: Transport): void;
  /** The listening socket failed (for example the address was in use). No more calls follow. */
  failed(error: RxloopError): void;
  /**
   * Accepting one connection failed (out of file descriptors, the peer gave up) but the socket keeps listening.
   * Optional: a sink that does not care ignores these.
   */
  acceptFailed?(error: RxloopError): void;
  /**
   * A TLS peer connected but its handshake failed or timed out (`ERR_TIMEOUT`); its socket is already closed and
   * the listener goes on. Optional, like `acceptFailed`.
   */
  handshakeFailed?(error: RxloopError, remoteAddress: SocketAddress | undefined): void;
}

/**
 * A listening socket.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type Acceptor } from 'rxloop';
 *
 * const acceptor: Acceptor = nodeBackend().listen({ host: '127.0.0.1', port: 0 }, {
 *   listening: (address) => console.log('listening on', address),
 *   accepted: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code),
 * });
 * process.once('SIGTERM', () => acceptor.close());
 * ```
 */
export interface Acceptor {
  /** Where it listens, once listening. */
  readonly address: SocketAddress | undefined;
  /** Stops accepting and releases the address. Connections already accepted are not touched. */
  close(): void;
}

/**
 * Receives the outcome of a `connect`. Exactly one of the two is called, unless the attempt was cancelled.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type ConnectSink } from 'rxloop';
 *
 * const sink: ConnectSink = {
 *   connected: (transport) => {
 *     console.log('connected to', transport.remoteAddress);
 *     transport.close();
 *   },
 *   failed: (error) => console.error('cannot connect:', error.code),
 * };
 * nodeBackend().connect({ host: '127.0.0.1', port: 6380, timeout: 1000 }, sink);
 * ```
 */
export interface ConnectSink {
  /** The connection is established (and, for TLS, the handshake is done). Reading is stopped. */
  connected(transport: Transport): void;
  /** The attempt failed. */
  failed(error: RxloopError): void;
}

/**
 * An outgoing connection attempt.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type ConnectAttempt } from 'rxloop';
 *
 * const attempt: ConnectAttempt = nodeBackend().connect({ host: '127.0.0.1', port: 6380 }, {
 *   connected: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code),
 * });
 * // Stop waiting when the user gives up; no sink call follows.
 * process.once('SIGINT', () => attempt.cancel());
 * ```
 */
export interface ConnectAttempt {
  /** Abandons the attempt; no sink call follows. Does nothing once `connected` or `failed` was called. */
  cancel(): void;
}

/**
 * What to listen on. Exactly one of `port` and `path` is set.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type ListenSpec } from 'rxloop';
 *
 * const spec: ListenSpec = { path: '/tmp/rxloop.sock', backlog: 511 };
 * nodeBackend().listen(spec, {
 *   listening: (address) => console.log('listening on', address),
 *   accepted: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 */
export interface ListenSpec {
  /** The address to bind with `port` (absent: all interfaces). */
  readonly host?: string;
  /** The TCP port; 0 lets the operating system choose. */
  readonly port?: number;
  /** A Unix socket path. */
  readonly path?: string;
  /** The length of the kernel's queue of connections not yet accepted (absent: the backend's default). */
  readonly backlog?: number;
  /** TLS server options (certificate and key); plain TCP without them. */
  readonly tls?: TlsOptions;
  /**
   * Lets several listening sockets (in other threads or processes) bind the same address and port, the kernel
   * spreading new connections between them (SO_REUSEPORT; TCP only). A backend or Node.js line that cannot do
   * it fails the listen with `ERR_UNSUPPORTED` rather than ignore the option.
   */
  readonly reusePort?: boolean;
}

/**
 * Where to connect. Exactly one of `port` and `path` is set.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type ConnectSpec } from 'rxloop';
 *
 * const spec: ConnectSpec = { host: '127.0.0.1', port: 6380, timeout: 1000, noDelay: true };
 * nodeBackend().connect(spec, {
 *   connected: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 */
export interface ConnectSpec {
  /** The host name or IP address to connect to with `port`. */
  readonly host?: string;
  /** The TCP port. */
  readonly port?: number;
  /** A Unix socket path. */
  readonly path?: string;
  /** Milliseconds to wait for the connection (and TLS handshake) before failing with `ERR_CONNECT_TIMEOUT`. */
  readonly timeout?: number;
  /** Disables Nagle's algorithm (default true: rxloop batches writes itself). */
  readonly noDelay?: boolean;
  /** TLS client options; plain TCP without them. */
  readonly tls?: TlsConnectionOptions;
}

/**
 * Which datagram socket to open.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type BindSpec } from 'rxloop';
 *
 * const spec: BindSpec = { type: 'udp4', address: '127.0.0.1', port: 0 };
 * nodeBackend().bind(spec, {
 *   listening: (address) => console.log('bound at', address),
 *   received: (data, from) => console.log(data.length, 'bytes from', from),
 *   failed: (error) => console.error(error.code),
 *   closed: () => console.log('closed'),
 * });
 * ```
 */
export interface BindSpec {
  /** The IP version: `'udp4'` or `'udp6'`. */
  readonly type: 'udp4' | 'udp6';
  /** The local address (absent: all interfaces). */
  readonly address?: string;
  /** The local port; 0 or absent lets the operating system choose. */
  readonly port?: number;
  /** Lets other sockets bind the same address and port (SO_REUSEADDR). */
  readonly reuseAddr?: boolean;
}

/**
 * Receives a datagram socket's events.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type DatagramSink } from 'rxloop';
 *
 * // A UDP echo: every datagram goes back to where it came from.
 * const sink: DatagramSink = {
 *   listening: (address) => console.log('bound at', address),
 *   received: (data, from) => {
 *     if (from.kind === 'inet') socket.send(data, from.port, from.address, () => {});
 *   },
 *   failed: (error) => console.error(error.code),
 *   closed: () => console.log('closed'),
 * };
 * const socket = nodeBackend().bind({ type: 'udp4', port: 0 }, sink);
 * ```
 */
export interface DatagramSink {
  /** The socket is bound at `address`. */
  listening(address: SocketAddress): void;
  /** One datagram arrived. `data` is the receiver's. */
  received(data: Buffer, from: SocketAddress): void;
  /** The socket failed; `closed` follows. */
  failed(error: RxloopError): void;
  /** The socket is closed. Always the last call. */
  closed(): void;
}

/**
 * A datagram (UDP) socket as a backend exposes it.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, type DatagramTransport } from 'rxloop';
 *
 * const socket: DatagramTransport = nodeBackend().bind({ type: 'udp4', port: 0 }, {
 *   listening: () => socket.send(Buffer.from('ping'), 9999, '127.0.0.1', () => socket.close()),
 *   received: () => {},
 *   failed: (error) => console.error(error.code),
 *   closed: () => {},
 * });
 * ```
 */
export interface DatagramTransport {
  /** Where it is bound, once bound. */
  readonly address: SocketAddress | undefined;
  /** Sends one datagram; `done` is called once it was handed to the operating system, or with the error. */
  send(data: Uint8Array, port: number, address: string, done: (error: RxloopError | undefined) => void): void;
  /** Closes the socket. */
  close(): void;
}

/**
 * An event source for sockets: `node` (libuv) or `embedded` (memory and virtual time).
 *
 * ## Example
 * ```ts
 * import { listen, embeddedBackend } from 'rxloop';
 *
 * const backend = embeddedBackend();
 * listen({ port: 7, backend }).subscribe((connection) => connection.close());
 * ```
 */
export interface Backend {
  /** A short name for logs and stats (`'node'`, `'embedded'`). */
  readonly name: string;
  /** The clock and timer source that goes with this backend (virtual time for `embedded`). */
  readonly scheduler: SchedulerLike;
  /**
   * Runs `callback` once, at the end of the current turn of this backend's loop (after the events being
   * dispatched now, before the next poll). Writers cork until then so one turn's writes leave together.
   * `node` uses `process.nextTick`; `embedded` schedules on its scheduler, so virtual time covers it.
   */
  endOfTurn(callback: () => void): void;
  /** Opens a listening socket. */
  listen(spec: ListenSpec, sink: AcceptorSink): Acceptor;
  /** Starts connecting. */
  connect(spec: ConnectSpec, sink: ConnectSink): ConnectAttempt;
  /** Opens a datagram socket. */
  bind(spec: BindSpec, sink: DatagramSink): DatagramTransport;
  /**
   * Optional: takes over a connected socket that another process or thread accepted and moved here (a
   * `net.Socket` that arrived with `child.send(message, socket)` or `postMessage(socket, [socket])`), paused and
   * never read from. Reading stays stopped until the transport is told to read. The multi-reactor's acceptor
   * mode needs it; a backend without it fails there with `ERR_UNSUPPORTED`. The node backend wraps the socket;
   * a backend with sockets of its own (io_uring) takes its file descriptor.
   */
  adopt?(socket: Socket): Transport;
  /**
   * Optional, with {@link Backend.adoptDescriptor} and {@link Backend.closeDescriptor}: the descriptor of a
   * connected socket this thread accepted (paused, never read), duplicated for another thread of this process to
   * adopt, and the socket here closed. Descriptors belong to the process, so the number travels in a message:
   * how the multi-reactor's acceptor hands connections to sub-reactor threads on backends with sockets of their
   * own (io_uring), on any Node.js line. `undefined` where the socket has no descriptor to give (TLS, already
   * closed): nothing was closed then.
   *
   * The returned descriptor is the caller's, to close exactly once with {@link Backend.closeDescriptor}: after the
   * other thread says it has adopted it (or refused it), or once that thread is gone. Only the thread that
   * detached it closes it; a number closed twice could close some unrelated descriptor opened in between.
   */
  detachDescriptor?(socket: Socket): { readonly fd: number; readonly unix: boolean } | undefined;
  /**
   * Optional: serves a descriptor {@link Backend.detachDescriptor} gave, in the thread that serves it, on a
   * duplicate of its own (this backend's, closed with the transport). `fd` itself stays open and stays the
   * detaching side's to close, whether this succeeds or throws. Reading stays stopped until the transport is
   * told to read. Throws a coded {@link RxloopError} (`ERR_SOCKET` for a descriptor that is not open) where it
   * cannot.
   */
  adoptDescriptor?(fd: number, unix: boolean): Transport;
  /**
   * Optional: closes a descriptor {@link Backend.detachDescriptor} gave, in the thread that detached it: once the
   * adopting thread has its own duplicate (or refused it), or when no thread took it (its message found nobody,
   * the thread died before it read it).
   */
  closeDescriptor?(fd: number): void;
}
