import type { BufferSource, ReadMode, SocketAddress, Transport, TransportFeatures, TransportSink } from '../src/backends/Backend.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { SharedRing } from './SharedRing.js';

/** Bytes queued beyond the ring above which `write` returns `false` (Node's default for a socket). */
const HIGH_WATER = 64 * 1024;

const noop = (): void => undefined;

/**
 * The handle that keeps this thread's event loop alive while any ring link of it is open: a pending
 * `Atomics.waitAsync` does not, so without it a thread whose only work is to wait on a link would end.
 */
let openLinks = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function holdLoop(): void {
  if (openLinks++ === 0) keepAlive = setInterval(noop, 0x7fffffff);
}

function releaseLoop(): void {
  if (--openLinks === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/**
 * One end of a stream link between two threads of one process over two {@link SharedRing}s, one per direction:
 * a {@link Transport} like a socket's, so a `Connection` (and every operator) runs on it unchanged. The link
 * between a `multiReactor({ threads: true })` sub-reactor thread and the service on the main thread (see
 * `serviceLink`).
 *
 * - `write` copies into the outbound ring what fits there (the ring is the "kernel buffer"); the rest waits in a
 *   queue, counted in `writableLength`, and goes as the reader makes room. `cork` holds writes until `uncork`.
 * - Reading waits on the inbound ring with `Atomics.waitAsync` and hands what is there over in one batch per
 *   wake-up (`completed` with one chunk, `readable` in readiness mode, leases filled in leased mode); bytes left
 *   after a delivery wait for the next turn of the loop (`setImmediate`), so one busy link cannot starve the
 *   thread's sockets. With reading stopped the inbound ring fills and the writer on the other side waits: that is
 *   the backpressure.
 * - `end` marks the outbound ring ended behind the queued bytes; the peer gets `ended()` once it has read them.
 *   `close` = `end` + leaving the inbound ring (what the peer writes then is dropped). `abort` resets both rings:
 *   the peer gets `closed(ERR_CONNECTION_RESET)`. The transport closes once both directions are done.
 * - {@link RingTransport.peerGone} is the owner's word that the other thread ended without closing (it crashed,
 *   or exited): like a socket whose process died, its bytes are read to the end, then `ended()`; writes are
 *   dropped.
 * - While it is open the transport holds a handle on this thread's loop, released when it closes.
 *
 * @internal
 */
export class RingTransport implements Transport {
  readonly features: TransportFeatures = { zeroCopyLeasedReads: false, secure: false };
  readonly writableHighWaterMark = HIGH_WATER;
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  bytesRead = 0;
  bytesWritten = 0;
  private readonly inbound: SharedRing;
  private readonly outbound: SharedRing;
  private sink: TransportSink | undefined;
  private mode: ReadMode = 'completion';
  private source: BufferSource | undefined;
  private reading = false;
  /** The read loop is running (awaiting the inbound ring, or the next turn). */
  private readLoop = false;
  /** The write loop is running (awaiting room in the outbound ring). */
  private writeLoop = false;
  /** Writes not yet in the ring, oldest first; the first may be partly sent. */
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private corkDepth = 0;
  private needDrain = false;
  /** `end` (or `close`) was called: the FIN goes behind the queued bytes. */
  private endAsked = false;
  /** Our output is done: the FIN is in the ring, or the peer no longer reads. */
  private outputDone = false;
  /** Our input is done: `ended()` was delivered, or we gave input up. */
  private inputDone = false;
  private endedDelivered = false;
  private done = false;
  private closeError: RxloopError | undefined;
  private closedDelivered = false;
  /** Reused for every `completed` call, as the contract allows. */
  private readonly batch: Buffer[] = [];

  /**
   * @param inbound the memory of the ring this end reads (the peer's outbound)
   * @param outbound the memory of the ring this end writes (the peer's inbound)
   * @param address what both ends report as their local and remote address (the service's socket path)
   */
  constructor(inbound: SharedArrayBuffer, outbound: SharedArrayBuffer, address: SocketAddress) {
    this.inbound = new SharedRing(inbound);
    this.outbound = new SharedRing(outbound);
    this.localAddress = address;
    this.remoteAddress = address;
    holdLoop();
  }

  /**
   * Memory for a link's two rings, `capacity` bytes each: `[up, down]`. One side builds its transport as
   * `new RingTransport(down, up, address)`, the other as `new RingTransport(up, down, address)`.
   *
   * @param capacity bytes per direction
   * @returns the two rings' memory
   */
  static allocate(capacity: number): [SharedArrayBuffer, SharedArrayBuffer] {
    return [SharedRing.allocate(capacity), SharedRing.allocate(capacity)];
  }

  /** How many ring links of this thread are open now (each holds the loop; none after they all closed). */
  static get openLinks(): number {
    return openLinks;
  }

  get readableLength(): number {
    return this.done || this.inputDone ? 0 : this.inbound.length;
  }

  get writableLength(): number {
    return this.queued;
  }

  /** Whether this end has closed (its sink is told, or will be). */
  get isClosed(): boolean {
    return this.done;
  }

  attach(sink: TransportSink): void {
    if (this.sink !== undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected one sink per transport, got a second attach');
    }
    this.sink = sink;
    if (this.done) queueMicrotask(() => this.deliverClosed());
  }

  setReadMode(mode: ReadMode, source?: BufferSource): void {
    if (mode === 'leased' && source === undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, "expected a BufferSource with read mode 'leased', got none");
    }
    this.mode = mode;
    this.source = source;
  }

  setReading(on: boolean): void {
    if (this.done || this.inputDone) return;
    this.reading = on;
    if (on && !this.readLoop) void this.runReads();
  }

  read(size?: number): Buffer | null {
    if (this.done || this.inputDone || size === 0) return null;
    const bytes = this.inbound.read(size);
    if (bytes !== null) this.bytesRead += bytes.length;
    return bytes;
  }

  write(chunk: Uint8Array): boolean {
    if (this.done || this.endAsked) return false;
    if (chunk.byteLength > 0 && !this.outputDone) {
      if (this.queued === 0 && this.corkDepth === 0) {
        const outbound = this.outbound;
        if (outbound.gone) {
          this.dropOutput();
        } else {
          const n = outbound.write(chunk);
          this.bytesWritten += n;
          if (n < chunk.byteLength) {
            this.enqueue(chunk.subarray(n));
            this.kickWrites();
          }
        }
      } else {
        this.enqueue(chunk);
        if (this.corkDepth === 0) this.flush();
      }
    }
    const ok = this.queued < HIGH_WATER;
    if (!ok) this.needDrain = true;
    return ok;
  }

  cork(): void {
    if (!this.done && !this.endAsked) this.corkDepth++;
  }

  uncork(): void {
    if (this.corkDepth === 0) return;
    if (--this.corkDepth === 0) this.flush();
  }

  end(): void {
    if (this.done || this.endAsked) return;
    this.endAsked = true;
    this.corkDepth = 0;
    this.flush();
    this.checkDone();
  }

  close(): void {
    if (this.done) return;
    this.end();
    if (!this.inputDone) {
      this.inputDone = true;
      this.reading = false;
      this.inbound.leave();
      this.inbound.wakeReader();
    }
    this.checkDone();
  }

  abort(): void {
    if (this.done) return;
    this.outbound.abort();
    this.inbound.abort();
    this.finish(undefined);
  }

  /**
   * The other thread has ended without closing its end (it crashed, was terminated, or exited): what it wrote is
   * still read, then `ended()` comes; what this end writes from now on is dropped. Only the owner of the link,
   * who sees the thread's exit, calls it.
   */
  peerGone(): void {
    if (this.done) return;
    // The peer cannot touch the rings any more, so its flags are ours to set.
    this.inbound.end();
    this.outbound.leave();
  }

  private enqueue(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.queued += chunk.byteLength;
  }

  /** Moves queued bytes into the ring while there is room; then the FIN, once asked for and nothing is left. */
  private flush(): void {
    if (this.done || this.outputDone) return;
    const outbound = this.outbound;
    if (outbound.gone) {
      this.dropOutput();
      return;
    }
    const queue = this.queue;
    while (queue.length > 0) {
      const head = queue[0]!;
      const n = outbound.write(head);
      this.bytesWritten += n;
      this.queued -= n;
      if (n < head.byteLength) {
        queue[0] = head.subarray(n);
        this.kickWrites();
        return;
      }
      queue.shift();
    }
    this.kickWrites();
    if (this.endAsked) {
      outbound.end();
      this.outputDone = true;
      this.checkDone();
    }
  }

  /** The peer reads no more: what is queued is dropped, and our output is done. */
  private dropOutput(): void {
    this.queue.length = 0;
    this.queued = 0;
    this.outputDone = true;
    if (this.outbound.reset) {
      this.fail();
      return;
    }
    this.kickWrites();
    this.checkDone();
  }

  /** Starts the write loop when bytes wait for room, or the sink waits for `writable()`. */
  private kickWrites(): void {
    if (!this.writeLoop && !this.done && (this.queued > 0 || this.needDrain)) void this.runWrites();
  }

  /** Waits for room while bytes are queued; tells the sink `writable()` once they have all gone. */
  private async runWrites(): Promise<void> {
    this.writeLoop = true;
    try {
      // Never tell the sink from inside the call that started us (a write, an uncork): a microtask later.
      await null;
      while (!this.done) {
        if (this.queued === 0 || this.outputDone) {
          if (this.needDrain) {
            this.needDrain = false;
            this.sink?.writable();
          }
          return;
        }
        if (this.corkDepth > 0) return; // uncork flushes, and starts us again if the ring is still full
        const wait = this.outbound.whenWritable();
        if (wait !== null) await wait;
        else this.flush();
      }
    } finally {
      this.writeLoop = false;
    }
  }

  /** Waits for the inbound ring and hands what it brings to the sink, while reading is on. */
  private async runReads(): Promise<void> {
    this.readLoop = true;
    const inbound = this.inbound;
    try {
      // Never deliver from inside the setReading call that started us: at least a microtask later.
      await null;
      // Readiness: a reader that took nothing waits for bytes beyond those it left.
      let wanted = 1;
      while (this.reading && !this.done) {
        const wait = inbound.whenReadable(wanted);
        if (wait !== null) {
          await wait;
          continue;
        }
        if (inbound.reset) {
          this.fail();
          return;
        }
        const waiting = inbound.length;
        if (waiting === 0) {
          // The writer ended (or went), and everything before it is read.
          this.deliverEnded();
          return;
        }
        const before = this.bytesRead;
        this.deliver(waiting);
        wanted = this.mode === 'readiness' && this.bytesRead === before ? waiting + 1 : 1;
        // More is there already: take it on the next turn, after this thread's other I/O.
        if (wanted === 1 && inbound.length > 0 && this.reading && !this.done) await nextTurn();
      }
    } finally {
      this.readLoop = false;
    }
  }

  private deliver(waiting: number): void {
    const sink = this.sink!;
    switch (this.mode) {
      case 'completion': {
        const chunk = this.inbound.read(waiting)!;
        this.bytesRead += chunk.length;
        const batch = this.batch;
        batch[0] = chunk;
        try {
          sink.completed(batch);
        } finally {
          batch.length = 0;
        }
        return;
      }
      case 'readiness':
        sink.readable();
        return;
      case 'leased':
        this.deliverLeased(sink);
        return;
    }
  }

  /** Fills one lease at a time and completes it before asking for the next (the `BufferSource` contract). */
  private deliverLeased(sink: TransportSink): void {
    const batch = this.batch;
    while (this.reading && !this.done && this.mode === 'leased' && this.inbound.length > 0) {
      const lease = this.source!.lease();
      if (lease === null || lease.length === 0) {
        // No credit: reading stays off until setReading(true).
        this.reading = false;
        return;
      }
      const size = this.inbound.readInto(lease);
      this.bytesRead += size;
      batch[0] = lease.subarray(0, size);
      try {
        sink.completed(batch);
      } finally {
        batch.length = 0;
      }
    }
  }

  private deliverEnded(): void {
    if (this.endedDelivered || this.inputDone) return;
    this.endedDelivered = true;
    this.inputDone = true;
    this.reading = false;
    this.sink!.ended();
    this.checkDone();
  }

  /** Closed once both directions are done: our FIN is in the ring (or the peer left), and our input is over. */
  private checkDone(): void {
    if (this.done || !this.endAsked) return;
    if (!this.outputDone && this.outbound.gone) {
      this.dropOutput();
      return;
    }
    if (this.outputDone && this.inputDone) this.finish(undefined);
  }

  /** The peer reset the link. */
  private fail(): void {
    this.finish(new RxloopError(ErrorCode.CONNECTION_RESET, 'expected an orderly close, but the peer reset the link', {
      errno: 'ECONNRESET',
    }));
  }

  private finish(error: RxloopError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.closeError = error;
    this.reading = false;
    this.queue.length = 0;
    this.queued = 0;
    // Our own waits end now: the loops see `done` and stop.
    this.inbound.wakeReader();
    this.outbound.wakeWriter();
    releaseLoop();
    // Never from inside a call the sink made (close, abort, write): from the loop, as a socket's close comes.
    if (this.sink !== undefined) queueMicrotask(() => this.deliverClosed());
  }

  private deliverClosed(): void {
    if (this.closedDelivered) return;
    this.closedDelivered = true;
    this.sink!.closed(this.closeError);
  }
}

/** Resolves on the next turn of the event loop, after the I/O that is ready. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
