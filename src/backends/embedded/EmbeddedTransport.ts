import type {
  BufferSource,
  ProvidedReads,
  ReadMode,
  SocketAddress,
  Transport,
  TransportFeatures,
  TransportSink,
} from '../Backend.js';
import { ErrorCode, RxloopError } from '../../errors.js';
import { ChunkQueue } from './ChunkQueue.js';
import type { EmbeddedWire } from './EmbeddedWire.js';
import { allocOwned } from '../shared/allocOwned.js';

/**
 * One end of an in-memory stream connection. A pair of them models two sockets and the kernel buffers between
 * them:
 * - `write` copies the bytes, splits them with the backend's `fragment` and appends them to the peer's inbound
 *   queue. Up to `receiveWindow` queued bytes are "in flight"; the rest count in the writer's `writableLength`.
 * - Each transport delivers its events from one task on the backend's scheduler, scheduled at most once per turn,
 *   so everything written in one turn reaches the reader as one batch.
 * - Read modes: `'completion'` hands the queued chunks (one per segment, at most a receive window's worth) in one
 *   `completed` batch; `'readiness'`
 *   calls `readable()` while bytes are queued and the reader makes progress, and `read(n)` spans segments;
 *   `'leased'` copies into one lease at a time (at most one segment per lease) and completes it before asking
 *   for the next.
 * - `end` queues a FIN behind the data: the peer gets `ended()` once it has taken every byte before it.
 * - A transport closes (`closed(undefined)`) when both directions are done: its bytes and FIN reached the peer's
 *   receive window (as a kernel would have them; the peer's application may read them later) and it took the
 *   peer's FIN (or gave up its input with `close`). `close` = `end` + give up input: bytes that arrive later are
 *   dropped, and the peer's later writes are discarded silently (a real TCP stack may answer them with a reset;
 *   this backend stays quiet so tests are not racy). A peer that never reads keeps us open only while our
 *   backlog does not fit its window: use `abort` to close at once.
 * - `abort` drops both queues; the peer gets `closed(ERR_CONNECTION_RESET)` and we get `closed(undefined)`.
 * - Writes after `end`, `close` or `abort` are dropped and return `false`.
 *
 * @internal
 */
export class EmbeddedTransport implements Transport {
  /** What this transport can do (leased reads are copied into the leases). */
  readonly features: TransportFeatures;
  /** The `writableLength` above which `write` returns `false`. */
  readonly writableHighWaterMark: number;
  /** Bytes handed to the sink so far (by `completed` or `read`). */
  bytesRead = 0;

  private peer!: EmbeddedTransport;
  private readonly inbound = new ChunkQueue();
  private sink: TransportSink | undefined;
  private mode: ReadMode = 'completion';
  private source: BufferSource | undefined;
  private reading = false;
  private corkDepth = 0;
  private readonly corked: Buffer[] = [];
  private corkedLength = 0;
  /** Bytes accepted by `write`. */
  private written = 0;
  /** Bytes accepted by `write` and then dropped by an abort before they reached the peer's window. */
  private discarded = 0;
  /** A `write` returned false; `writable()` is owed once `writableLength` is back to 0. */
  private needDrain = false;
  private drainDue = false;
  private outputEnded = false;
  /** The peer handed our FIN to its sink. */
  private finTaken = false;
  private eofReceived = false;
  private endedDelivered = false;
  /** `close` or `abort` gave up our input: inbound bytes are dropped. */
  private inputAbandoned = false;
  /** Closed for good; `closed(closeError)` is delivered (or held until `attach`). */
  private done = false;
  private closeError: RxloopError | undefined;
  private closedDelivered = false;
  private deliveryScheduled = false;
  /** Reused for every `completed` call, as the contract allows. */
  private readonly batch: Buffer[] = [];
  private readonly deliverTask = (): void => this.deliver();

  /**
   * @param wire the backend's shared settings
   * @param localAddress this end's address
   * @param remoteAddress the peer's address
   * @param secure whether TLS was asked for (reported in `features`; no encryption happens)
   */
  constructor(
    private readonly wire: EmbeddedWire,
    readonly localAddress: SocketAddress,
    readonly remoteAddress: SocketAddress,
    secure: boolean,
  ) {
    this.features = { zeroCopyLeasedReads: false, secure };
    this.writableHighWaterMark = wire.highWaterMark;
  }

  /**
   * Joins two ends into a connection.
   *
   * @param a one end
   * @param b the other end
   */
  static link(a: EmbeddedTransport, b: EmbeddedTransport): void {
    a.peer = b;
    b.peer = a;
  }

  /** Bytes waiting in our receive window. */
  get readableLength(): number {
    return Math.min(this.inbound.length, this.wire.receiveWindow);
  }

  /** Corked bytes plus our bytes beyond the peer's receive window. */
  get writableLength(): number {
    if (this.done) return 0;
    return this.corkedLength + Math.max(0, this.peer.inbound.length - this.wire.receiveWindow);
  }

  /** Bytes that reached the peer's receive window (or were discarded by a closed peer). */
  get bytesWritten(): number {
    return this.written - this.discarded - this.writableLength;
  }

  attach(sink: TransportSink): void {
    if (this.sink !== undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected one sink per transport, got a second attach');
    }
    this.sink = sink;
    this.schedule();
  }

  setReadMode(mode: ReadMode, source?: BufferSource | ProvidedReads): void {
    if (mode === 'provided') {
      throw new RxloopError(ErrorCode.UNSUPPORTED, "expected a transport with provided buffers for read mode 'provided', but the embedded backend has none");
    }
    if (mode !== 'completion' && mode !== 'readiness' && mode !== 'leased') {
      throw new RxloopError(
        ErrorCode.INVALID_ARGUMENT,
        `expected read mode 'readiness', 'completion' or 'leased', got ${String(mode)}`,
      );
    }
    if (mode === 'leased' && source === undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, "expected a BufferSource with read mode 'leased', got none");
    }
    this.mode = mode;
    this.source = source as BufferSource | undefined;
    // A new reader (or source) is a new read request: bytes already waiting are its to take.
    if (this.reading && (this.inbound.length > 0 || this.eofReceived)) this.schedule();
  }

  setReading(on: boolean): void {
    if (this.done || this.inputAbandoned) return;
    this.reading = on;
    if (on && (this.inbound.length > 0 || this.eofReceived)) this.schedule();
  }

  read(size?: number): Buffer | null {
    if (size !== undefined && !(Number.isInteger(size) && size >= 0)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected read size to be an integer >= 0, got ${size}`);
    }
    const available = this.readableLength;
    if (available === 0 || size === 0) return null;
    const chunk = this.inbound.take(size === undefined ? available : Math.min(size, available));
    this.consumed(chunk.length);
    // ended() must come from the loop, never from inside this call.
    if (this.inbound.length === 0 && this.eofReceived) this.schedule();
    return chunk;
  }

  write(chunk: Uint8Array): boolean {
    if (this.outputEnded || this.done) return false;
    const length = chunk.byteLength;
    if (length > 0) {
      // Copy now: the writer may reuse its buffer as soon as write returns.
      const copy = allocOwned(length);
      copy.set(chunk);
      this.written += length;
      if (this.corkDepth > 0) {
        this.corked.push(copy);
        this.corkedLength += length;
      } else {
        this.transmit(copy);
      }
    }
    const ok = this.writableLength < this.writableHighWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  cork(): void {
    if (!this.done && !this.outputEnded) this.corkDepth++;
  }

  uncork(): void {
    if (this.corkDepth === 0) return;
    this.corkDepth--;
    if (this.corkDepth === 0) this.flushCorked();
  }

  end(): void {
    if (this.outputEnded || this.done) return;
    this.corkDepth = 0;
    this.flushCorked();
    this.outputEnded = true;
    const peer = this.peer;
    if (!peer.inputAbandoned && !peer.done) {
      peer.eofReceived = true;
      if (peer.inbound.length === 0) peer.schedule();
    }
    this.checkDone();
  }

  close(): void {
    if (this.done) return;
    this.end();
    if (!this.inputAbandoned) {
      this.inputAbandoned = true;
      this.reading = false;
      this.dropInbound();
      // The peer's FIN, if it sent one, now goes nowhere: its output is done.
      this.peer.checkDone();
    }
    this.checkDone();
  }

  abort(): void {
    if (this.done) return;
    this.discarded += this.corkedLength;
    this.corked.length = 0;
    this.corkedLength = 0;
    this.inputAbandoned = true;
    this.dropInbound();
    const peer = this.peer;
    if (!peer.done) {
      peer.inputAbandoned = true;
      peer.dropInbound();
      peer.finish(
        new RxloopError(ErrorCode.CONNECTION_RESET, 'expected an orderly close, but the peer reset the connection', {
          errno: 'ECONNRESET',
        }),
      );
    }
    this.finish(undefined);
  }

  /** Sends bytes to the peer's inbound queue, or drops them when the peer no longer reads. */
  private transmit(bytes: Buffer): void {
    const peer = this.peer;
    if (peer.inputAbandoned || peer.done) return;
    const fragment = this.wire.fragment;
    if (fragment === undefined) {
      peer.inbound.push(bytes);
    } else {
      for (const piece of fragment(bytes)) if (piece.length > 0) peer.inbound.push(piece);
    }
    if (peer.reading) peer.schedule();
  }

  private flushCorked(): void {
    const corked = this.corked;
    if (corked.length === 0) return;
    // Corked writes leave together, as one segment before fragmentation.
    const joined = corked.length === 1 ? corked[0]! : Buffer.concat(corked, this.corkedLength);
    corked.length = 0;
    this.corkedLength = 0;
    this.transmit(joined);
    this.checkDrain();
  }

  /** Drops our inbound queue; the writer's bytes beyond our window were still its own, so they were never sent. */
  private dropInbound(): void {
    const backlog = Math.max(0, this.inbound.length - this.wire.receiveWindow);
    this.inbound.clear();
    const peer = this.peer;
    peer.discarded += backlog;
    peer.checkDrain();
  }

  /** Bookkeeping after `size` bytes were handed to our sink. */
  private consumed(size: number): void {
    this.bytesRead += size;
    this.peer.checkDrain();
    this.peer.checkDone();
  }

  private checkDrain(): void {
    if (this.needDrain && !this.done && this.writableLength === 0) {
      this.needDrain = false;
      this.drainDue = true;
      this.schedule();
    }
  }

  private checkDone(): void {
    if (this.done || !this.outputEnded) return;
    const peer = this.peer;
    // Like a kernel: our output is done once every byte and the FIN are in the peer's receive window, whether
    // or not the peer's application has read them yet.
    const outputDone = this.finTaken || this.writableLength === 0 || peer.inputAbandoned || peer.done;
    const inputDone = this.endedDelivered || this.inputAbandoned;
    if (outputDone && inputDone) this.finish(undefined);
  }

  private finish(error: RxloopError | undefined): void {
    this.done = true;
    this.closeError = error;
    this.reading = false;
    this.drainDue = false;
    this.wire.released();
    this.schedule();
    this.peer.checkDone();
  }

  private schedule(): void {
    if (this.deliveryScheduled || this.sink === undefined || this.closedDelivered) return;
    this.deliveryScheduled = true;
    this.wire.scheduler.schedule(this.deliverTask);
  }

  /** The one task that calls the sink. Every step re-checks state: the sink may have closed us meanwhile. */
  private deliver(): void {
    this.deliveryScheduled = false;
    const sink = this.sink;
    if (sink === undefined || this.closedDelivered) return;
    if (this.done) {
      this.closedDelivered = true;
      sink.closed(this.closeError);
      return;
    }
    if (this.drainDue) {
      this.drainDue = false;
      sink.writable();
    }
    if (this.reading && this.inbound.length > 0 && !this.done) this.deliverData(sink);
    if (this.reading && this.eofReceived && !this.endedDelivered && this.inbound.length === 0) {
      this.endedDelivered = true;
      const peer = this.peer;
      peer.finTaken = true;
      sink.ended();
      this.checkDone();
      peer.checkDone();
    }
  }

  private deliverData(sink: TransportSink): void {
    const batch = this.batch;
    try {
      switch (this.mode) {
        case 'completion':
          // One read takes what a kernel's receive buffer could hold (the window); the rest waits for the next turn.
          this.consumed(this.inbound.drainInto(batch, this.wire.receiveWindow));
          sink.completed(batch);
          if (this.reading && this.inbound.length > 0) this.schedule();
          break;
        case 'leased':
          this.deliverLeased(sink, batch);
          break;
        case 'readiness': {
          const before = this.bytesRead;
          sink.readable();
          // Level-triggered like epoll, but a reader that took nothing waits for new bytes instead of spinning.
          if (this.bytesRead > before && this.inbound.length > 0 && this.reading) this.schedule();
          break;
        }
      }
    } finally {
      batch.length = 0;
    }
  }

  /**
   * Fills one lease at a time and completes it before asking for the next (the `BufferSource` contract: exact-size
   * readers post the tail of a short read again). A lease takes at most one segment, so `fragment` causes short
   * reads here as it would on a real network. Stops when the queue is empty, the sink stops reading, or the
   * source has no credit (then reading stays off until `setReading(true)`).
   */
  private deliverLeased(sink: TransportSink, batch: Buffer[]): void {
    while (this.reading && this.mode === 'leased' && this.inbound.length > 0) {
      const lease = this.source!.lease();
      if (lease === null || lease.length === 0) {
        this.reading = false;
        return;
      }
      const size = this.inbound.copySegmentInto(lease);
      this.consumed(size);
      batch[0] = lease.subarray(0, size);
      sink.completed(batch);
      batch.length = 0;
    }
  }
}
