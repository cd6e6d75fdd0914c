import type { Socket } from 'node:net';
import type {
  BufferSource,
  ProvidedReads,
  ReadMode,
  SocketAddress,
  Transport,
  TransportFeatures,
  TransportSink,
} from '../Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import type { LeasedReadHooks } from './leasedReads.js';
import { toSocketAddress } from '../shared/toSocketAddress.js';
import { allocOwned } from '../shared/allocOwned.js';

/**
 * How a {@link NodeTransport} is set up; the backend fills it in for every accepted or connected socket.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * // `secure` and the zero-copy hooks show up as the transport's features.
 * nodeBackend({ zeroCopyLeasedReads: false }).connect({ port: 7, host: '127.0.0.1' }, {
 *   connected: (transport) => console.log(transport.features), // { zeroCopyLeasedReads: false, secure: false }
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 *
 * @internal
 */
export interface NodeTransportOptions {
  /** The socket is a `tls.TLSSocket`. */
  readonly secure: boolean;
  /** The zero-copy hooks when the backend may use them; `undefined` makes `'leased'` reads copy. */
  readonly leasedReads: LeasedReadHooks | undefined;
  /** For Unix sockets: the local and remote paths (`''` for the unnamed end). */
  readonly unixPaths?: { readonly local: string; readonly remote: string };
}

/** Sink calls that may happen before `attach` and wait for it. */
type HeldEvent = 'ended' | 'writable' | 'closed';

let scratch: Buffer | undefined;

/**
 * How much a stopped completion reader reads ahead (see `setReading`): enough to notice a peer that sends a
 * request or two and then resets or ends, little enough to bound what a paused connection holds.
 */
const READ_AHEAD = 16 * 1024;

/** The array `completed` gets, shared by all transports (it is only valid during the call), and its guard. */
const NO_CHUNK = Buffer.alloc(0);
const sharedBatch: Buffer[] = [NO_CHUNK];
let batchBusy = false;

/** The four feature sets, shared rather than one object per connection. */
const FEATURES: readonly TransportFeatures[] = [
  Object.freeze({ zeroCopyLeasedReads: false, secure: false }),
  Object.freeze({ zeroCopyLeasedReads: true, secure: false }),
  Object.freeze({ zeroCopyLeasedReads: false, secure: true }),
  Object.freeze({ zeroCopyLeasedReads: true, secure: true }),
];

/**
 * The read target while no lease is posted. One buffer serves every transport: libuv reads into it and our
 * callback copies the bytes out before the loop can run any other read.
 */
function scratchBuffer(): Buffer {
  if (scratch === undefined) scratch = Buffer.allocUnsafeSlow(64 * 1024);
  return scratch;
}

/**
 * A {@link Transport} over a `net.Socket` or `tls.TLSSocket`.
 *
 * Readiness mode is Node's paused mode (`'readable'` plus `read(n)`); completion mode is flowing mode (`'data'`);
 * leased mode reads into the reader's buffers, without a copy through Node's internal `onread` fields where the
 * feature check passes (plain TCP and Unix sockets), by copying `'data'` chunks otherwise.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * nodeBackend().connect({ port: 7, host: '127.0.0.1' }, {
 *   connected(transport) {
 *     transport.attach({
 *       readable: () => console.log(transport.read()),
 *       completed: () => {},
 *       writable: () => {},
 *       ended: () => transport.end(),
 *       closed: (error) => console.log('closed', error?.code),
 *     });
 *     transport.setReadMode('readiness');
 *     transport.setReading(true);
 *     transport.write(Buffer.from('ping'));
 *   },
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 *
 * @internal
 */
export class NodeTransport implements Transport {
  readonly features: TransportFeatures;
  private readonly socket: Socket;
  /** Set only when zero-copy leased reads apply to this socket. */
  private readonly hooks: LeasedReadHooks | undefined;
  private readonly unixPaths: NodeTransportOptions['unixPaths'];
  private sink: TransportSink | undefined;
  /** Events waiting for `attach` (and for the microtask after it); `undefined` once delivered. */
  private held: HeldEvent[] | undefined = [];
  private mode: ReadMode = 'completion';
  private source: BufferSource | undefined;
  /** What the sink asked for with `setReading`. */
  private reading = false;
  /** Our listeners for `mode` are on the socket. */
  private active = false;
  /** `close` or `abort` was called: input is read and dropped from now on. */
  private shutting = false;
  /** `closed` was delivered; no sink call follows. */
  private closed = false;
  private error: RxloopError | undefined;
  /** Bytes taken from the socket and not handed over yet (no lease was free, or they predate a mode switch). */
  private pending: Buffer | undefined;
  /** `'end'` (and `'close'`) arrived while `pending` still held bytes. */
  private endHeld = false;
  private closeHeld = false;
  private drainScheduled = false;
  /** The zero-copy read path is installed on the socket: 0 no, 1 without a next-buffer generator, 2 with one. */
  private installed: 0 | 1 | 2 = 0;
  /** What the handle reads into once the zero-copy path is installed: a posted lease or the scratch buffer. */
  private readInto: Buffer | undefined;
  /** The read target `nextReadBuffer` hands to Node after the current read callback. */
  private next: Buffer | undefined;
  /** A lease taken to confirm credit before restarting reads into the scratch buffer; used by the next copy. */
  private spare: Buffer | undefined;
  /** We are inside `onLeasedRead`, where the read target may only change through `nextReadBuffer`. */
  private inReadCallback = false;
  /** A `read` returned bytes since the last `readable` call began. */
  private tookBytes = false;
  private local: SocketAddress | undefined;
  private remote: SocketAddress | undefined;

  /**
   * @param socket a connected socket whose reading is stopped (accepted with `pauseOnConnect`, or paused at once)
   * @param options whether it is TLS, the zero-copy hooks, and the Unix paths
   */
  constructor(socket: Socket, options: NodeTransportOptions) {
    this.socket = socket;
    this.unixPaths = options.unixPaths;
    const hooks = options.secure ? undefined : options.leasedReads;
    this.hooks = hooks !== undefined && hooks.supports(socket) ? hooks : undefined;
    this.features = FEATURES[(this.hooks !== undefined ? 1 : 0) + (options.secure ? 2 : 0)]!;
    (socket as OwnedSocket)[kTransport] = this;
    // An 'error' listener is always present, so a failing socket never becomes an uncaught exception.
    socket.on('error', socketError);
    socket.on('end', socketEnd);
    socket.on('close', socketClose);
    socket.on('drain', socketDrain);
    socket.pause();
  }

  get localAddress(): SocketAddress | undefined {
    if (this.local === undefined) {
      const socket = this.socket;
      this.local = this.unixPaths !== undefined
        ? { kind: 'unix', path: this.unixPaths.local }
        : toSocketAddress({ address: socket.localAddress, family: socket.localFamily, port: socket.localPort });
    }
    return this.local;
  }

  get remoteAddress(): SocketAddress | undefined {
    if (this.remote === undefined) {
      const socket = this.socket;
      this.remote = this.unixPaths !== undefined
        ? { kind: 'unix', path: this.unixPaths.remote }
        : toSocketAddress({ address: socket.remoteAddress, family: socket.remoteFamily, port: socket.remotePort });
    }
    return this.remote;
  }

  get readableLength(): number {
    return this.socket.readableLength + (this.pending?.length ?? 0);
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  get writableHighWaterMark(): number {
    return this.socket.writableHighWaterMark;
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten ?? 0;
  }

  attach(sink: TransportSink): void {
    if (this.sink !== undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected attach to be called once per transport, got a second call');
    }
    this.sink = sink;
    // Held events go out after attach returns, never from inside it.
    queueMicrotask(() => this.flush());
    if (this.reading) this.resumeReading();
  }

  setReadMode(mode: ReadMode, source?: BufferSource | ProvidedReads): void {
    if (mode === 'provided') {
      throw new RxloopError(ErrorCode.UNSUPPORTED, "expected a transport with provided buffers for read mode 'provided', but the node backend has none (the uring backend has)");
    }
    if (mode === 'leased' && source === undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, "expected a BufferSource with read mode 'leased', got none");
    }
    if (this.active) this.stopReader();
    // The posted lease belongs to the old mode and source: never read into it again.
    this.abandonPostedLease();
    this.mode = mode;
    this.source = mode === 'leased' ? (source as BufferSource) : undefined;
    if (this.reading) this.resumeReading();
  }

  setReading(on: boolean): void {
    this.reading = on;
    if (on) {
      this.resumeReading();
      return;
    }
    if (!this.active) return;
    // Completion reads through the hooks read ahead while stopped, up to READ_AHEAD bytes: a peer that ends or
    // resets while its reader is paused (waiting on work) is still noticed, at the cost of those bytes held here.
    // (Node's own paused stream reads ahead up to its high-water mark the same way.)
    if (this.installed !== 0 && this.mode === 'completion' && this.pending === undefined) return;
    this.stopReader();
  }

  read(size?: number): Buffer | null {
    if (size !== undefined && !(size >= 0)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a read size of 0 or more, got ${String(size)}`);
    }
    if (size === 0) return null;
    if (this.pending !== undefined) return this.readPending(this.pending, size);
    const socket = this.socket;
    const available = socket.readableLength;
    if (available === 0) return null;
    // Always with a size, and never more than is buffered: `read(n)` returns null while fewer than n bytes wait,
    // and `read()` without a size means "everything" up to Node 25 but "the first buffered chunk" from Node 26
    // (nodejs/node#60441). Asked for exactly what is there, every line returns all of it, in one buffer.
    const bytes = socket.read(size === undefined || size > available ? available : size) as Buffer | null;
    if (bytes !== null) this.tookBytes = true;
    // A read that empties the buffer does not let Node notice a pending end of input (it emits 'end' only from a
    // read that finds nothing left); this zero-byte read does, and otherwise only asks libuv for more.
    if (socket.readableLength === 0) socket.read(0);
    return bytes;
  }

  write(chunk: Uint8Array): boolean {
    const socket = this.socket;
    // The layer above reports writes on a closed transport; here they are simply refused.
    if (this.closed || socket.destroyed || socket.writableEnded) return false;
    return socket.write(chunk);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  end(): void {
    const socket = this.socket;
    if (!socket.destroyed && !socket.writableEnded) socket.end();
  }

  close(): void {
    if (this.shutting || this.closed) return;
    this.beginShutdown();
    // Keep reading and drop the bytes: closing with unread input makes the kernel send a reset, not a FIN.
    if (this.installed === 0) this.socket.on('data', socketData);
    this.socket.resume();
    this.socket.destroySoon();
  }

  abort(): void {
    if (this.closed) return;
    if (!this.shutting) this.beginShutdown();
    const socket = this.socket;
    if (socket.destroyed) return;
    // Once our end of output is under way (end, or a flushing close), libuv refuses the reset (EINVAL: the handle
    // is shutting down) and Node then never closes the handle: destroy it instead, which drops what is queued.
    if (socket.writableEnded) {
      socket.destroy();
      return;
    }
    try {
      socket.resetAndDestroy();
    } catch {
      // Only TCP handles can send a reset; TLS and Unix sockets just close.
      socket.destroy();
    }
  }

  private beginShutdown(): void {
    this.shutting = true;
    if (this.active) this.stopReader();
    this.abandonPostedLease();
    this.pending = undefined;
    this.endHeld = false;
    if (this.closeHeld) {
      // The socket closed while bytes waited for the reader; nobody wants them now.
      this.closeHeld = false;
      queueMicrotask(() => this.emitClosed());
    }
  }

  /** Starts what the current mode reads with, unless held bytes must go first. */
  private resumeReading(): void {
    if (this.sink === undefined || this.shutting || this.closed) return;
    if (this.mode === 'readiness') {
      this.startReader();
      // Node emits 'readable' only for new bytes; bytes that waited while reading was off need a nudge.
      if (this.readableLength > 0 || this.endHeld) this.scheduleDrain();
      return;
    }
    if (this.pending !== undefined || this.endHeld) this.scheduleDrain();
    else this.startReader();
  }

  private startReader(): void {
    const socket = this.socket;
    if (this.mode === 'readiness') {
      if (!this.active) {
        this.active = true;
        socket.on('readable', socketReadable);
      }
      // Node starts the OS read itself only the first time a 'readable' listener is added.
      socket.read(0);
      return;
    }
    if (this.hooks !== undefined) {
      // Completion mode reads through the same hooks, into the shared scratch buffer, and copies each read out:
      // Node's stream machinery ('data' events, its buffering) is skipped, which is most of a small read's cost.
      this.startZeroCopy(this.hooks);
      return;
    }
    if (!this.active) {
      this.active = true;
      socket.on('data', socketData);
    }
    socket.resume();
  }

  private startZeroCopy(hooks: LeasedReadHooks): void {
    const socket = this.socket;
    if (socket.readableLength > 0) {
      // Bytes Node buffered in an earlier mode are older than anything the handle reads next.
      const buffered = socket.read() as Buffer | null;
      if (buffered !== null) {
        this.holdBack(buffered, true);
        this.scheduleDrain();
        return;
      }
    }
    if (this.mode !== 'leased') {
      if (this.installed === 0) {
        this.readInto = scratchBuffer();
        hooks.install(socket, this.readInto, socketLeasedRead, null);
        this.installed = 1;
      }
    } else if (this.readInto === undefined || this.readInto === scratch) {
      // Reading into scratch is only allowed with credit: take a lease now (the copy will fill it first).
      if (this.spare === undefined) {
        const lease = this.takeLease();
        if (lease === null) return;
        this.spare = lease;
      }
      if (this.installed === 0) {
        this.readInto = this.spare;
        this.spare = undefined;
        hooks.install(socket, this.readInto, socketLeasedRead, () => this.nextReadBuffer());
        this.installed = 2;
      } else if (this.installed === 1) {
        // Installed for completion reads: leases need the next-buffer step too.
        hooks.setNextBuffer(socket, () => this.nextReadBuffer());
        this.installed = 2;
      }
    }
    this.active = true;
    socket.resume();
  }

  /**
   * Stops reading into the lease posted for the next read (and drops the spare). The source takes an abandoned
   * lease back, so the handle must read into scratch from now on.
   */
  private abandonPostedLease(): void {
    this.spare = undefined;
    if (this.installed === 0 || this.readInto === scratch || this.hooks === undefined) return;
    const buffer = scratchBuffer();
    if (this.inReadCallback) {
      this.next = buffer;
    } else {
      this.hooks.retarget(this.socket, buffer);
      this.readInto = buffer;
    }
  }

  private stopReader(): void {
    this.active = false;
    const socket = this.socket;
    socket.pause();
    socket.off('readable', socketReadable);
    socket.off('data', socketData);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => this.drain());
  }

  /** Hands over bytes that waited (for a lease, or for a mode switch), then the held end, then resumes reading. */
  private drain(): void {
    this.drainScheduled = false;
    if (!this.reading || this.sink === undefined || this.shutting || this.closed) return;
    if (this.mode === 'readiness') {
      if (this.readableLength > 0) this.emitReadable();
      else if (this.endHeld) this.releaseHeldEnd();
      return;
    }
    const chunk = this.pending;
    if (chunk !== undefined) {
      this.pending = undefined;
      if (this.mode === 'leased') this.copyIntoLeases(chunk, true);
      else this.deliverChunk(chunk);
      if (this.pending !== undefined || !this.reading || this.shutting || this.closed) return;
    }
    if (this.endHeld) this.releaseHeldEnd();
    else this.startReader();
  }

  private releaseHeldEnd(): void {
    this.endHeld = false;
    this.emitEnded();
    if (this.closeHeld) {
      this.closeHeld = false;
      this.emitClosed();
    }
  }

  private readPending(pending: Buffer, size: number | undefined): Buffer {
    this.tookBytes = true;
    if (size !== undefined && size < pending.length) {
      this.pending = pending.subarray(size);
      return pending.subarray(0, size);
    }
    this.pending = undefined;
    const more = size === pending.length ? null : this.read(size === undefined ? undefined : size - pending.length);
    if (this.endHeld) this.scheduleDrain();
    return more === null ? pending : Buffer.concat([pending, more]);
  }

  /** Keeps bytes for later, after any already kept; `owned` says whether `chunk` may be kept without a copy. */
  private holdBack(chunk: Buffer, owned: boolean): void {
    if (this.pending === undefined) this.pending = owned ? chunk : Buffer.from(chunk);
    else this.pending = Buffer.concat([this.pending, chunk]);
  }

  private takeLease(): Buffer | null {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    const lease = this.source?.lease() ?? null;
    // A zero-length buffer cannot be read into (libuv reports ENOBUFS); treat it as no credit.
    return lease !== null && lease.length > 0 ? lease : null;
  }

  /**
   * Copies `chunk` into leases, one at a time: each is delivered before the next is asked for, as the contract
   * promises exact-size readers. What cannot go out now (no credit, reading stopped, mode switched inside
   * `completed`) waits in `pending`, and the socket pauses.
   */
  private copyIntoLeases(chunk: Buffer, owned: boolean): void {
    let offset = 0;
    while (offset < chunk.length && this.reading && this.mode === 'leased' && !this.shutting && !this.closed) {
      const lease = this.takeLease();
      if (lease === null) break;
      const copied = chunk.copy(lease, 0, offset);
      offset += copied;
      this.deliverChunk(copied === lease.length ? lease : lease.subarray(0, copied));
    }
    if (offset === chunk.length || this.shutting || this.closed) return;
    this.holdBack(offset === 0 ? chunk : chunk.subarray(offset), owned);
    this.socket.pause();
    // Switched to another mode inside `completed`: the held bytes go out in that mode.
    if (this.reading && this.mode !== 'leased') this.scheduleDrain();
  }

  private deliverChunk(chunk: Buffer): void {
    // One array serves every transport; a delivery nested inside another (from the sink's code) gets its own.
    // Its one slot is overwritten, never emptied: `length = 0` is a runtime call and frees the backing store.
    if (batchBusy) {
      this.deliver([chunk]);
      return;
    }
    batchBusy = true;
    sharedBatch[0] = chunk;
    try {
      this.deliver(sharedBatch);
    } finally {
      sharedBatch[0] = NO_CHUNK;
      batchBusy = false;
    }
  }

  private deliver(batch: readonly Buffer[]): void {
    if (this.held !== undefined) this.flush();
    if (!this.closed && !this.shutting) this.sink?.completed(batch);
  }

  /**
   * The `onread` callback of the zero-copy path: `buffer` is the lease (or scratch) the handle just filled.
   *
   * @internal called through the shared socket callback below
   */
  onLeasedRead(nread: number, buffer: Buffer): boolean {
    this.inReadCallback = true;
    try {
      return this.leasedRead(nread, buffer);
    } finally {
      this.inReadCallback = false;
    }
  }

  private leasedRead(nread: number, buffer: Buffer): boolean {
    if (this.closed) return false;
    if (this.shutting) return true;
    if (this.mode !== 'leased') {
      // Completion reads (and readiness reads on a socket installed earlier) land in scratch: copy them out.
      const copy = allocOwned(nread);
      buffer.copy(copy, 0, 0, nread);
      if (this.mode === 'readiness') return this.socket.push(copy);
      if (!this.reading) {
        // The read ahead of a stopped reader: keep it, and go on reading ahead while little is held.
        this.holdBack(copy, true);
        if (this.pending!.length < READ_AHEAD) return true;
        this.active = false;
        return false;
      }
      if (this.pending !== undefined) {
        this.holdBack(copy, true);
        return false;
      }
      this.deliverChunk(copy);
      return !this.closed;
    }
    if (buffer === scratch || this.pending !== undefined) {
      if (this.pending !== undefined) this.holdBack(buffer.subarray(0, nread), false);
      else this.copyIntoLeases(buffer.subarray(0, nread), false);
    } else {
      // This lease now belongs to the reader: the next read must go elsewhere, whatever happens below.
      this.next = scratchBuffer();
      // A full read hands over the lent buffer itself: no view to allocate.
      this.deliverChunk(nread === buffer.length ? buffer : buffer.subarray(0, nread));
    }
    if (this.closed) return false;
    if (this.shutting || this.mode !== 'leased') return true;
    if (this.pending !== undefined) return false;
    // The completion went out above; only now may the next lease be asked for.
    const lease = this.takeLease();
    if (lease === null) return false;
    this.next = lease;
    return true;
  }

  private nextReadBuffer(): Buffer | undefined {
    const next = this.next;
    this.next = undefined;
    // A lease released during the delivery comes straight back (the pool is last-in first-out): the handle
    // already points at it, and re-pointing it costs a native call per read.
    if (next === undefined || next === this.readInto) return undefined;
    this.readInto = next;
    return next;
  }

  /** @internal called through the socket listeners below (one shared function per event, not per socket). */
  onData(chunk: Buffer): void {
    if (this.shutting || this.closed) return;
    if (this.pending !== undefined) {
      this.holdBack(chunk, true);
      this.socket.pause();
    } else if (this.mode === 'leased') {
      this.copyIntoLeases(chunk, true);
    } else {
      this.deliverChunk(chunk);
    }
  }

  /** @internal called through the socket listeners below (one shared function per event, not per socket). */
  onReadable(): void {
    if (this.mode === 'readiness' && this.reading) this.emitReadable();
  }

  /** @internal called through the socket listeners below (one shared function per event, not per socket). */
  onEnd(): void {
    if (this.shutting) return;
    if (this.pending !== undefined) this.endHeld = true;
    else this.emitEnded();
  }

  /** @internal called through the socket listeners below (one shared function per event, not per socket). */
  onDrain(): void {
    if (this.closed) return;
    if (this.held !== undefined) this.held.push('writable');
    else this.sink?.writable();
  }

  /** @internal called through the socket listeners below (one shared function per event, not per socket). */
  onError(error: Error): void {
    if (this.error !== undefined) return;
    const syscall = (error as NodeJS.ErrnoException).syscall;
    const peer = describeAddress(this.remote ?? this.remoteAddress);
    const doing = syscall === 'write' ? `write to ${peer}` : syscall === 'read' ? `read from ${peer}` : `I/O with ${peer}`;
    this.error = toRxloopError(error, doing);
  }

  /** @internal called through the socket listeners below (one shared function per event, not per socket). */
  onClose(): void {
    if (this.closed) return;
    // An orderly close waits until the reader has taken the bytes we still hold.
    if (!this.shutting && this.error === undefined && (this.pending !== undefined || this.endHeld)) {
      this.closeHeld = true;
      return;
    }
    this.emitClosed();
  }

  private emitReadable(): void {
    if (this.held !== undefined) this.flush();
    if (this.closed || this.shutting) return;
    this.tookBytes = false;
    this.sink?.readable();
    // Level-triggered, like the other backends: Node emits 'readable' only for new bytes, so a reader that took
    // part of what waits (one frame) is called again from the loop; one that took nothing waits for new bytes.
    if (this.tookBytes && this.reading && this.mode === 'readiness' && !this.closed && !this.shutting && this.readableLength > 0) {
      this.scheduleDrain();
    }
  }

  private emitEnded(): void {
    if (this.closed) return;
    if (this.held !== undefined) this.held.push('ended');
    else this.sink?.ended();
  }

  private emitClosed(): void {
    if (this.closed) return;
    if (this.held !== undefined) {
      this.held.push('closed');
      return;
    }
    this.closed = true;
    this.active = false;
    this.pending = undefined;
    this.spare = undefined;
    this.source = undefined;
    this.sink?.closed(this.error);
  }

  private flush(): void {
    const held = this.held;
    if (held === undefined || this.sink === undefined) return;
    this.held = undefined;
    for (const event of held) {
      if (event === 'ended') this.emitEnded();
      else if (event === 'writable') this.onDrain();
      else this.emitClosed();
    }
  }
}

function describeAddress(address: SocketAddress | undefined): string {
  if (address === undefined) return 'an unknown peer';
  if (address.kind === 'unix') return address.path === '' ? 'a Unix socket peer' : address.path;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

/** Where a socket's listeners find their transport: one set of listener functions serves every socket. */
const kTransport = Symbol('rxloop.nodeTransport');
type OwnedSocket = Socket & { [kTransport]?: NodeTransport };

// Module-level listeners (`this` is the socket): per-socket closures cost memory on every idle connection.
function socketError(this: OwnedSocket, error: Error): void {
  this[kTransport]!.onError(error);
}
function socketEnd(this: OwnedSocket): void {
  this[kTransport]!.onEnd();
}
function socketClose(this: OwnedSocket): void {
  this[kTransport]!.onClose();
}
function socketLeasedRead(this: Socket, nread: number, buffer: Buffer): boolean {
  return (this as OwnedSocket)[kTransport]!.onLeasedRead(nread, buffer);
}
function socketDrain(this: OwnedSocket): void {
  this[kTransport]!.onDrain();
}
function socketData(this: OwnedSocket, chunk: Buffer): void {
  this[kTransport]!.onData(chunk);
}
function socketReadable(this: OwnedSocket): void {
  this[kTransport]!.onReadable();
}
