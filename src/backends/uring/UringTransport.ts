import type {
  BufferSource,
  ProvidedReads,
  ReadMode,
  SocketAddress,
  Transport,
  TransportFeatures,
  TransportSink,
} from '../Backend.js';
import { constants } from 'node:os';
import { ErrorCode, RxloopError } from '../../errors.js';
import { ringError, type RingOwner, type UringLoop } from './UringLoop.js';

/** Request kinds a transport owns. */
const RECV_MULTI = 1;
const RECV_LEASE = 2;
const SEND = 3;
const SHUTDOWN = 4;
const CLOSE = 5;
const RECV_PROVIDED = 6;

const { ECANCELED, ENOBUFS, EINVAL, EINTR, EAGAIN } = constants.errno;
const SHUT_WR = 1;
/** Bytes read ahead while the reader is stopped, before the receive is cancelled (the kernel then holds the rest). */
const READ_AHEAD = 64 * 1024;
/** Node's default for sockets from Node 22 on. */
const HIGH_WATER_MARK = 64 * 1024;
/** The most buffers one vectored send takes (IOV_MAX). */
const MAX_PARTS = 1024;

type HeldEvent = 'ended' | 'writable' | 'closed';

/** The one-chunk array provided views are delivered in (valid only during the call; see TransportSink.completed). */
const SINGLE: Buffer[] = [];

/**
 * A stream socket (TCP or Unix) driven by io_uring: receives complete into the provided buffer ring (completion
 * and readiness modes; multishot, copied out in one buffer per batch), into ring buffers lent to the reader as
 * they are (provided mode: views given back through `releaseProvided`), or straight into the reader's leased
 * buffer (leased mode: the kernel fills it), sends are requests whose buffers stay referenced until they
 * complete, and end, close and reset are requests too.
 *
 * ## Example
 * ```ts
 * import { uringBackend } from 'rxloop';
 *
 * uringBackend().connect({ host: '127.0.0.1', port: 6379 }, {
 *   connected: (transport) => {
 *     console.log(transport.features); // { zeroCopyLeasedReads: true, secure: false, providedBuffers: { bufferSize: 16384 } }
 *     transport.close();
 *   },
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 *
 * @internal
 */
export class UringTransport implements Transport, RingOwner {
  readonly writableHighWaterMark = HIGH_WATER_MARK;
  bytesRead = 0;
  bytesWritten = 0;
  private readonly loop: UringLoop;
  private fd: number;
  private readonly unix: boolean;
  private sink: TransportSink | undefined;
  private held: HeldEvent[] | undefined = [];
  private mode: ReadMode = 'completion';
  private source: BufferSource | undefined;
  /** The `'provided'` reader's terms, and the lent views it holds now (its credit is spent at `credit`). */
  private provided: ProvidedReads | undefined;
  private heldViews = 0;
  /** A receive ended with ENOBUFS while buffers were lent: it waits for some to come back (`buffersBack`). */
  private parked = false;
  private reading = false;
  /** The receive in flight (0: none) and what kind it is. */
  private recvSlot = 0;
  private recvKind = 0;
  /** The receive in flight is being cancelled (mode switch, read-ahead full, shutdown). */
  private recvCancelling = false;
  /** The lease the kernel is receiving into. */
  private posted: Buffer | undefined;
  /** Bytes received and not handed over yet (the reader stopped, or they predate a mode switch). Owned. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** A filled lease that came back while the reader was stopped (a view of its own buffer). */
  private heldLease: Buffer | undefined;
  /** Chunks of the batch being dispatched, delivered in one `completed` call when it ends. */
  private batch: Buffer[] = [];
  private inBatch = false;
  private drainScheduled = false;
  /** The peer ended its output; `endHeld` while bytes before the end still wait. */
  private inputEnded = false;
  private endHeld = false;
  /**
   * The receive failed (the peer reset) in the batch that also brought bytes for the reader, which reads: the
   * failure comes after them, when the batch is delivered, so they are not lost.
   */
  private failAfterBatch: RxloopError | undefined;
  private endDelivered = false;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private sendSlot = 0;
  private sending: Uint8Array[] | undefined;
  private sendingBytes = 0;
  private corked = 0;
  private needDrain = false;
  private endRequested = false;
  private shutdownSlot = 0;
  private outputEnded = false;
  /** `close` (orderly) or `abort`/failure (at once) began; nothing is delivered from now on but `closed`. */
  private shutting = false;
  private aborting = false;
  private closeSlot = 0;
  private closed = false;
  private error: RxloopError | undefined;
  private local: SocketAddress | undefined;
  private remote: SocketAddress | undefined;

  /**
   * @param loop this thread's ring
   * @param fd a connected socket the ring may use (tracked, so it is closed if the thread ends)
   * @param unix whether it is a Unix socket
   * @param unixPaths the paths to report for a Unix socket (the kernel names only the listening end)
   */
  constructor(loop: UringLoop, fd: number, unix: boolean, private readonly unixPaths?: { local: string; remote: string }) {
    this.loop = loop;
    this.fd = fd;
    this.unix = unix;
    loop.opened(this);
  }

  /** The ring was closed under this transport (its descriptor with it): it is closed too, with an error. @internal */
  ringClosed(): void {
    if (this.closed) return;
    this.error ??= new RxloopError(ErrorCode.SOCKET_CLOSED, `the connection to ${this.describePeer()} was closed with its backend's ring`);
    this.fd = -1;
    this.shutting = true;
    this.aborting = true;
    this.dropInput();
    this.queue = [];
    this.queuedBytes = 0;
    this.recvSlot = this.sendSlot = this.shutdownSlot = this.closeSlot = 0;
    this.emitClosed();
  }

  get features(): TransportFeatures {
    return this.loop.features;
  }

  get localAddress(): SocketAddress | undefined {
    this.local ??= this.address(false);
    return this.local;
  }

  get remoteAddress(): SocketAddress | undefined {
    this.remote ??= this.address(true);
    return this.remote;
  }

  private address(peer: boolean): SocketAddress | undefined {
    if (this.unix) return { kind: 'unix', path: this.unixPaths === undefined ? '' : peer ? this.unixPaths.remote : this.unixPaths.local };
    if (this.fd < 0) return undefined;
    const found = this.loop.ring.address(this.fd, peer);
    if (typeof found === 'number') return undefined;
    const [kind, where, port] = found;
    if (kind === 0) return { kind: 'unix', path: where };
    return { kind: 'inet', family: kind === 6 ? 'IPv6' : 'IPv4', address: where, port };
  }

  get readableLength(): number {
    return this.pendingBytes + (this.heldLease?.length ?? 0);
  }

  get writableLength(): number {
    return this.queuedBytes + this.sendingBytes;
  }

  attach(sink: TransportSink): void {
    if (this.sink !== undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected attach to be called once per transport, got a second call');
    }
    this.sink = sink;
    queueMicrotask(() => this.flushHeld());
    if (this.reading) this.scheduleDrain();
  }

  setReadMode(mode: ReadMode, source?: BufferSource | ProvidedReads): void {
    if (mode === 'leased' && source === undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, "expected a BufferSource with read mode 'leased', got none");
    }
    if (mode === 'provided') {
      if (this.loop.arena === undefined) {
        throw new RxloopError(ErrorCode.UNSUPPORTED, "expected a transport with provided buffers for read mode 'provided', but this ring lends none (Node-API refused external memory here)");
      }
      const credit = (source as ProvidedReads | undefined)?.credit;
      if (!(Number.isInteger(credit) && credit! > 0)) {
        throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected read mode 'provided' with a credit that is a positive integer, got ${String(credit)}`);
      }
    }
    const wasLeased = this.mode === 'leased';
    this.mode = mode;
    this.source = mode === 'leased' ? (source as BufferSource) : undefined;
    this.provided = mode === 'provided' ? (source as ProvidedReads) : undefined;
    // Views a reader of another kind cannot give back become copies, and their buffers go back to the ring.
    if (mode !== 'provided') this.copyViews();
    if (this.heldLease !== undefined) {
      // A filled lease of the old reader: its bytes go to the new one as a copy; the buffer is the old source's.
      this.keep(Buffer.from(this.heldLease), true);
      this.heldLease = undefined;
    }
    if (this.recvSlot !== 0 && !this.recvCancelling) {
      if (this.recvKind === RECV_LEASE) this.abandonLease();
      else if (mode === 'leased' && !wasLeased) this.cancelRecv();
      // A receive of the other buffer kind (lent views or copies) is replaced by one of the reader's kind.
      else if ((this.recvKind === RECV_PROVIDED) !== (mode === 'provided')) this.cancelRecv();
    }
    if (this.reading) this.scheduleDrain();
  }

  setReading(on: boolean): void {
    this.reading = on;
    if (on) this.scheduleDrain();
    else if (this.recvKind === RECV_PROVIDED || (this.recvKind === RECV_MULTI && this.pendingBytes >= READ_AHEAD)) this.cancelRecv();
  }

  releaseProvided(view: Buffer): void {
    if (!this.loop.giveBack(view)) return;
    if (this.heldViews > 0) this.heldViews--;
    if (this.mode === 'provided' && this.reading && this.recvSlot === 0 && !this.closed && !this.shutting) this.scheduleDrain();
  }

  /** Lent buffers came back to the ring after a receive of this transport found none. @internal */
  buffersBack(): void {
    this.parked = false;
    if (!this.closed && !this.shutting) this.scheduleDrain();
  }

  read(size?: number): Buffer | null {
    if (size !== undefined && !(size >= 0)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a read size of 0 or more, got ${String(size)}`);
    }
    if (size === 0 || this.pendingBytes === 0) return null;
    const want = size === undefined || size > this.pendingBytes ? this.pendingBytes : size;
    let out: Buffer;
    const first = this.pending[0]!;
    if (first.length === want) {
      this.pending.shift();
      out = first;
    } else if (first.length > want) {
      this.pending[0] = first.subarray(want);
      out = first.subarray(0, want);
    } else {
      out = Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const chunk = this.pending[0]!;
        const take = Math.min(chunk.length, want - filled);
        chunk.copy(out, filled, 0, take);
        filled += take;
        if (take === chunk.length) this.pending.shift();
        else this.pending[0] = chunk.subarray(take);
      }
    }
    this.pendingBytes -= want;
    // Room again for the kernel's bytes, or the end that waited behind these.
    if (this.pendingBytes < READ_AHEAD || this.endHeld) this.scheduleDrain();
    return out;
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.shutting || this.endRequested || chunk.length === 0) return !(this.closed || this.shutting || this.endRequested);
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.corked === 0 && this.sendSlot === 0) this.loop.scheduleFlush(this);
    // Writes leave at the end of the turn, so whether the kernel takes them is not known yet: a write is refused
    // only once more than the high-water mark waits (one mark's worth may always be on its way).
    if (this.writableLength > HIGH_WATER_MARK) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked === 0) return;
    this.corked--;
    if (this.corked === 0 && this.queue.length > 0 && this.sendSlot === 0) this.loop.scheduleFlush(this);
  }

  end(): void {
    if (this.endRequested || this.closed || this.aborting) return;
    this.endRequested = true;
    this.afterWrites();
  }

  close(): void {
    if (this.shutting || this.closed) return;
    this.shutting = true;
    this.dropInput();
    // Orderly: what is queued leaves first (even corked), then our end, then the descriptor.
    this.corked = 0;
    this.endRequested = true;
    if (this.queue.length > 0 && this.sendSlot === 0) this.loop.scheduleFlush(this);
    this.afterWrites();
  }

  abort(): void {
    if (this.closed || this.aborting) return;
    this.shutting = true;
    this.aborting = true;
    this.dropInput();
    this.queue = [];
    this.queuedBytes = 0;
    // A zero linger makes the close send a reset; unsent bytes are dropped.
    if (!this.unix && this.fd >= 0) this.loop.ring.setLingerZero(this.fd);
    this.teardown();
  }

  /** Hands the queued writes to the ring: one send (or one vectored send) in flight at a time. @internal */
  flushWrites(): void {
    if (this.sendSlot !== 0 || this.queue.length === 0 || this.fd < 0 || this.aborting || this.closed) return;
    if (this.corked > 0 && !this.shutting) return;
    const ring = this.loop.ring;
    let parts: Uint8Array[];
    if (this.queue.length <= MAX_PARTS) {
      parts = this.queue;
      this.queue = [];
    } else {
      parts = this.queue.splice(0, MAX_PARTS);
    }
    let bytes = 0;
    for (const part of parts) bytes += part.length;
    const slot = parts.length === 1 ? ring.send(this.fd, parts[0]!) : ring.sendv(this.fd, parts);
    if (slot < 0) {
      this.queue = parts.concat(this.queue);
      this.fail(ringError(slot, `write to ${this.describePeer()}`, 'send'));
      return;
    }
    this.loop.own(slot, this, SEND, parts);
    this.sendSlot = slot;
    this.sending = parts;
    this.sendingBytes = bytes;
    this.queuedBytes -= bytes;
  }

  complete(kind: number, res: number, more: boolean, bytes: Buffer | undefined): void {
    switch (kind) {
      case RECV_MULTI:
      case RECV_PROVIDED:
        this.received(res, more, bytes);
        break;
      case RECV_LEASE:
        this.leaseReceived(res, bytes);
        break;
      case SEND:
        this.sent(res);
        break;
      case SHUTDOWN:
        this.shutdownSlot = 0;
        this.outputEnded = true;
        if (res < 0 && !this.shutting && res !== -constants.errno.ENOTCONN) this.fail(ringError(res, `end the output to ${this.describePeer()}`, 'shutdown'));
        else this.maybeFinish();
        break;
      case CLOSE:
        this.closeSlot = 0;
        this.emitClosed();
        break;
    }
  }

  batchEnd(): void {
    this.inBatch = false;
    const batch = this.batch;
    if (batch.length > 0) {
      this.batch = [];
      this.deliver(batch);
    }
    const failed = this.failAfterBatch;
    if (failed !== undefined) {
      this.failAfterBatch = undefined;
      this.fail(failed);
      return;
    }
    if (!this.closed) this.pump();
  }

  // ---- receiving ----

  private touch(): void {
    if (this.inBatch) return;
    this.inBatch = true;
    this.loop.touch(this);
  }

  private received(res: number, more: boolean, bytes: Buffer | undefined): void {
    if (!more) {
      this.recvSlot = 0;
      this.recvCancelling = false;
    }
    this.touch();
    if (res > 0 && bytes !== undefined) {
      this.bytesRead += res;
      this.take(bytes);
      return;
    }
    if (res === 0) {
      this.peerEnded();
      return;
    }
    if (res === -ENOBUFS) {
      // Every provided buffer is out: back-pressure, not an error. Buffers copied out went back with the batch
      // (pump re-arms); buffers lent to readers come back when they give them, and the receive waits for that.
      this.loop.noBuffers++;
      // Copied-out buffers are back in the ring by now; only when readers hold them all is there none yet.
      if (this.loop.lentNow >= this.loop.bufferCount) {
        this.parked = true;
        this.loop.waitForBuffers(this);
      }
      return;
    }
    if (res === -ECANCELED || res === -EINTR || res === -EAGAIN) return; // re-armed by pump
    if (res === -EINVAL && this.loop.multishot) {
      // Multishot receives arrived in 6.0: fall back to one buffer-select receive at a time.
      this.loop.multishot = false;
      return;
    }
    if (res < 0) this.failInput(ringError(res, `read from ${this.describePeer()}`, 'recv'));
  }

  /**
   * The receive failed: the connection fails at once (a reset is noticed while the reader is stopped, and what
   * it had not taken is dropped, as on every backend), except that bytes of this same batch, for a reader that
   * reads, are delivered first.
   */
  private failInput(error: RxloopError): void {
    if (this.batch.length === 0) {
      this.fail(error);
      return;
    }
    this.inputEnded = true;
    this.failAfterBatch ??= error;
  }

  private leaseReceived(res: number, bytes: Buffer | undefined): void {
    const lease = this.posted;
    const abandoned = this.recvCancelling;
    this.posted = undefined;
    this.recvSlot = 0;
    this.recvCancelling = false;
    this.touch();
    if (res > 0) {
      this.bytesRead += res;
      if (abandoned) {
        // Copied by the ring when the lease was abandoned; the buffer went back to its source.
        if (bytes !== undefined) this.keep(bytes, false);
        return;
      }
      const view = res === lease!.length ? lease! : lease!.subarray(0, res);
      if (this.shutting) return;
      if (this.reading && this.mode === 'leased' && this.pendingBytes === 0) this.batch.push(view);
      else if (this.mode === 'leased') this.heldLease = view;
      else this.keep(Buffer.from(view), false);
      return;
    }
    if (res === 0) {
      this.peerEnded();
      return;
    }
    if (res === -ECANCELED || res === -EINTR || res === -EAGAIN) return;
    this.failInput(ringError(res, `read from ${this.describePeer()}`, 'recv'));
  }

  /**
   * Bytes from the buffer ring, copied out (owned) or a lent view (the ring's until given back): straight to the
   * reader when it reads in this mode, else kept. A view that reaches a reader of another kind becomes a copy.
   */
  private take(bytes: Buffer): void {
    const loop = this.loop;
    if (this.shutting) {
      loop.giveBack(bytes);
      return;
    }
    if (this.mode !== 'provided' && loop.isView(bytes)) {
      const copy = Buffer.from(bytes);
      loop.giveBack(bytes);
      bytes = copy;
    }
    if (this.reading && this.pendingBytes === 0 && this.heldLease === undefined && (this.mode === 'completion' || this.mode === 'provided')) {
      this.batch.push(bytes);
      return;
    }
    this.keep(bytes, false);
  }

  /** Turns the lent views this transport keeps into copies, giving their buffers back to the ring. */
  private copyViews(): void {
    const loop = this.loop;
    for (const list of [this.pending, this.batch]) {
      for (let i = 0; i < list.length; i++) {
        const chunk = list[i]!;
        if (!loop.isView(chunk)) continue;
        list[i] = Buffer.from(chunk);
        loop.giveBack(chunk);
      }
    }
  }

  /** Gives back the lent views among `chunks` (input dropped, or nobody to deliver them to). */
  private giveBackViews(chunks: readonly Buffer[]): void {
    for (const chunk of chunks) this.loop.giveBack(chunk);
  }

  private keep(bytes: Buffer, front: boolean): void {
    if (this.batch.length > 0) {
      // Order: what is already in this batch goes first.
      const batch = this.batch;
      this.batch = [];
      for (const chunk of batch) this.pending.push(this.mode === 'leased' ? Buffer.from(chunk) : chunk);
      this.pendingBytes += batch.reduce((sum, chunk) => sum + chunk.length, 0);
    }
    if (front) this.pending.unshift(bytes);
    else this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private peerEnded(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (this.shutting) {
      this.maybeFinish();
      return;
    }
    this.endHeld = true;
    // Delivered after the bytes before it, at the end of this batch or when the reader takes them.
  }

  /** Starts or stops the kernel's receive to match what the reader wants, after handing over what waits. */
  private pump(): void {
    if (this.sink === undefined || this.closed || this.shutting) {
      if (this.shutting) this.maybeFinish();
      return;
    }
    if (this.reading) this.handOver();
    if (this.closed || this.shutting || this.inputEnded) {
      if (this.inputEnded && !this.endHeld) this.maybeFinish();
      return;
    }
    if (this.recvSlot !== 0) {
      if (this.recvKind === RECV_MULTI && !this.recvCancelling && !this.reading && this.pendingBytes >= READ_AHEAD) this.cancelRecv();
      // The provided reader's credit is spent (or it stopped): no more buffers for it until it gives some back.
      if (this.recvKind === RECV_PROVIDED && !this.recvCancelling && (!this.reading || this.heldViews >= this.provided!.credit)) this.cancelRecv();
      return;
    }
    if (this.parked) return;
    if (!this.reading && this.pendingBytes >= READ_AHEAD) return;
    if (this.mode === 'leased') {
      if (!this.reading || this.pendingBytes > 0 || this.heldLease !== undefined) return;
      const lease = this.source?.lease() ?? null;
      if (lease === null || lease.length === 0) return; // no credit: setReading(true) asks again
      const slot = this.loop.own(this.loop.ring.recvInto(this.fd, lease), this, RECV_LEASE, lease);
      if (slot < 0) {
        this.fail(ringError(slot, `read from ${this.describePeer()}`, 'recv'));
        return;
      }
      this.posted = lease;
      this.recvSlot = slot;
      this.recvKind = RECV_LEASE;
      return;
    }
    const views = this.mode === 'provided';
    let multishot = this.loop.multishot;
    let limit = 0;
    if (views) {
      // The provided reader reads only while it reads and has credit (no read-ahead into lent buffers). The
      // receive takes at most the credit left: a multishot receive capped at that many bytes where the kernel
      // caps them, else one buffer per receive.
      const left = this.provided!.credit - this.heldViews;
      if (!this.reading || this.pendingBytes > 0 || left <= 0) return;
      if (this.loop.ring.cappedReceives) limit = left * this.loop.bufferSize;
      else multishot = false;
    }
    const kind = views ? RECV_PROVIDED : RECV_MULTI;
    const slot = this.loop.own(this.loop.ring.recvMultishot(this.fd, multishot, views, limit), this, kind);
    if (slot < 0) {
      this.fail(ringError(slot, `read from ${this.describePeer()}`, 'recv'));
      return;
    }
    this.recvSlot = slot;
    this.recvKind = kind;
  }

  /** Delivers what waited: kept bytes in the reader's mode, then the end behind them. */
  private handOver(): void {
    if (this.heldLease !== undefined && this.mode === 'leased') {
      const lease = this.heldLease;
      this.heldLease = undefined;
      this.deliver([lease]);
      if (!this.reading || this.closed || this.shutting) return;
    }
    if (this.pendingBytes > 0) {
      if (this.mode === 'readiness') {
        this.emitReadable();
        return;
      }
      if (this.mode === 'completion' || this.mode === 'provided') {
        const chunks = this.pending;
        this.pending = [];
        this.pendingBytes = 0;
        this.deliver(chunks);
      } else {
        this.copyIntoLeases();
      }
      if (this.pendingBytes > 0 || !this.reading || this.closed || this.shutting) return;
    }
    if (this.endHeld) {
      this.endHeld = false;
      this.emitEnded();
    }
  }

  private copyIntoLeases(): void {
    while (this.pendingBytes > 0 && this.reading && this.mode === 'leased' && !this.closed && !this.shutting) {
      const lease = this.source?.lease() ?? null;
      if (lease === null || lease.length === 0) return;
      let filled = 0;
      while (filled < lease.length && this.pending.length > 0) {
        const chunk = this.pending[0]!;
        const take = Math.min(chunk.length, lease.length - filled);
        chunk.copy(lease, filled, 0, take);
        filled += take;
        if (take === chunk.length) this.pending.shift();
        else this.pending[0] = chunk.subarray(take);
      }
      this.pendingBytes -= filled;
      this.deliver([filled === lease.length ? lease : lease.subarray(0, filled)]);
    }
  }

  private cancelRecv(): void {
    if (this.recvSlot === 0 || this.recvCancelling) return;
    this.recvCancelling = true;
    this.loop.ring.cancel(this.recvSlot);
  }

  /** The posted lease belongs to the old reader: cancel its receive now, keeping what it already received. */
  private abandonLease(): void {
    this.recvCancelling = true;
    this.loop.ring.abandon(this.recvSlot);
  }

  private dropInput(): void {
    this.giveBackViews(this.pending);
    this.giveBackViews(this.batch);
    this.pending = [];
    this.pendingBytes = 0;
    this.heldLease = undefined;
    this.batch = [];
    this.endHeld = false;
    this.failAfterBatch = undefined;
    this.source = undefined;
    if (this.recvKind === RECV_LEASE && this.recvSlot !== 0 && !this.recvCancelling) this.abandonLease();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      if (this.inBatch) return; // batchEnd pumps
      this.pump();
    });
  }

  // ---- sending ----

  private sent(res: number): void {
    const parts = this.sending!;
    const bytes = this.sendingBytes;
    this.sendSlot = 0;
    this.sending = undefined;
    this.sendingBytes = 0;
    if (res < 0) {
      if (res === -EINTR || res === -EAGAIN) {
        this.requeue(parts, 0, bytes);
        this.flushWrites();
        return;
      }
      if (!this.aborting) this.fail(ringError(res, `write to ${this.describePeer()}`, 'send'));
      else this.maybeFinish();
      return;
    }
    this.bytesWritten += res;
    if (res < bytes) this.requeue(parts, res, bytes);
    if (this.aborting) {
      this.maybeFinish();
      return;
    }
    if (this.queue.length > 0) this.flushWrites();
    if (this.needDrain && this.writableLength < HIGH_WATER_MARK && !this.closed) {
      this.needDrain = false;
      this.emitWritable();
    }
    this.afterWrites();
  }

  /** Puts what a short send left back at the front of the queue. */
  private requeue(parts: Uint8Array[], done: number, total: number): void {
    const rest: Uint8Array[] = [];
    let skip = done;
    for (const part of parts) {
      if (skip >= part.length) {
        skip -= part.length;
        continue;
      }
      rest.push(skip > 0 ? part.subarray(skip) : part);
      skip = 0;
    }
    this.queue = rest.concat(this.queue);
    this.queuedBytes += total - done;
  }

  /** Once the writes are out: our end of output when asked, then the close when closing. */
  private afterWrites(): void {
    if (!this.endRequested || this.outputEnded || this.shutdownSlot !== 0 || this.aborting || this.closed) return;
    if (this.queue.length > 0 || this.sendSlot !== 0) return;
    const slot = this.loop.own(this.loop.ring.shutdown(this.fd, SHUT_WR), this, SHUTDOWN);
    if (slot < 0) {
      this.outputEnded = true;
      this.maybeFinish();
      return;
    }
    this.shutdownSlot = slot;
  }

  // ---- closing ----

  /** Closes the descriptor once nothing more is wanted from it (both directions done, or closing). */
  private maybeFinish(): void {
    if (this.closed || this.closeSlot !== 0 || this.fd < 0) return;
    const bothDone = this.inputEnded && this.endDelivered && this.outputEnded;
    const closingDone = this.shutting && (this.aborting || this.outputEnded);
    if (!bothDone && !closingDone) return;
    this.teardown();
  }

  /** Cancels what is in flight; when nothing is, closes the descriptor (a request too). */
  private teardown(): void {
    if (this.closed || this.closeSlot !== 0 || this.fd < 0) return;
    if (this.recvSlot !== 0) {
      if (!this.recvCancelling) {
        if (this.recvKind === RECV_LEASE) this.abandonLease();
        else this.cancelRecv();
      }
      return;
    }
    if (this.sendSlot !== 0) {
      this.loop.ring.cancel(this.sendSlot);
      return;
    }
    if (this.shutdownSlot !== 0) return;
    const fd = this.fd;
    this.fd = -1;
    const slot = this.loop.own(this.loop.ring.closeFd(fd), this, CLOSE);
    if (slot < 0) {
      this.loop.ring.closeNow(fd);
      this.emitClosed();
      return;
    }
    this.closeSlot = slot;
  }

  private fail(error: RxloopError): void {
    if (this.closed || this.aborting) return;
    this.error ??= error;
    this.shutting = true;
    this.aborting = true;
    this.dropInput();
    this.queue = [];
    this.queuedBytes = 0;
    this.teardown();
  }

  // ---- sink calls ----

  private deliver(chunks: readonly Buffer[]): void {
    if (this.held !== undefined) this.flushHeld();
    if (this.closed || this.shutting || this.sink === undefined) {
      this.giveBackViews(chunks);
      return;
    }
    if (this.mode === 'provided') {
      this.deliverViews(chunks);
      return;
    }
    this.sink.completed(chunks);
  }

  /**
   * Hands views to the provided reader one at a time, counting them against its credit: a reader that stops
   * (or gives way to a reader of another kind) inside the batch leaves the rest here, kept in order for whoever
   * reads next, never dropped.
   */
  private deliverViews(chunks: readonly Buffer[]): void {
    const loop = this.loop;
    const one = SINGLE;
    for (let i = 0; i < chunks.length; i++) {
      if (this.closed || this.shutting) {
        this.giveBackViews(chunks.slice(i));
        return;
      }
      if (this.mode !== 'provided' || !this.reading) {
        for (let j = i; j < chunks.length; j++) this.keep(chunks[j]!, false);
        if (this.mode !== 'provided') this.copyViews();
        return;
      }
      const chunk = chunks[i]!;
      if (loop.isView(chunk)) this.heldViews++;
      one[0] = chunk;
      this.sink!.completed(one);
    }
  }


  private emitReadable(): void {
    if (this.held !== undefined) this.flushHeld();
    if (!this.closed && !this.shutting && this.reading && this.pendingBytes > 0) this.sink?.readable();
  }

  private emitEnded(): void {
    if (this.closed || this.endDelivered) return;
    if (this.held !== undefined || this.sink === undefined) {
      (this.held ??= []).push('ended');
      return;
    }
    this.endDelivered = true;
    this.sink.ended();
    this.maybeFinish();
  }

  private emitWritable(): void {
    if (this.held !== undefined || this.sink === undefined) {
      (this.held ??= []).push('writable');
      return;
    }
    this.sink.writable();
  }

  private emitClosed(): void {
    if (this.closed) return;
    if (this.held !== undefined || this.sink === undefined) {
      (this.held ??= []).push('closed');
      return;
    }
    this.closed = true;
    this.loop.ended(this);
    this.giveBackViews(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.source = undefined;
    this.sink.closed(this.error);
  }

  private flushHeld(): void {
    const held = this.held;
    if (held === undefined || this.sink === undefined) return;
    this.held = undefined;
    for (const event of held) {
      if (event === 'ended') this.emitEnded();
      else if (event === 'writable') this.emitWritable();
      else this.emitClosed();
    }
  }

  private describePeer(): string {
    const peer = this.remote ?? this.remoteAddress;
    if (peer === undefined) return 'an unknown peer';
    if (peer.kind === 'unix') return peer.path === '' ? 'a Unix socket peer' : peer.path;
    return peer.family === 'IPv6' ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
  }
}
