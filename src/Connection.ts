import type { Observable, Unsubscribable } from 'rxjs';
import type { Backend, BufferSource, ProvidedReads, ReadMode, SocketAddress, Transport } from './backends/Backend.js';
import type { ConnectionClosed } from './ConnectionClosed.js';
import { ConnectionData, type DataObserver } from './ConnectionData.js';
import { diagnostics } from './diagnostics/channels.js';
import type { ConnectionOptions } from './ConnectionOptions.js';
import type { DemandState } from './DemandState.js';
import { ErrorCode, RxloopError } from './errors.js';
import type { ReadMeter } from './ReadMeter.js';
import { ConnectionSink } from './connection/ConnectionSink.js';
import { makeClosed, makeDemand, makeDraining, makeReadable, makeWritable } from './connection/connectionStreams.js';
import { createRareState, type RareState } from './connection/RareState.js';
import { endReaders, readLeased, subscribeData } from './connection/readerLine.js';
import {
  BACKLOG_PAUSES,
  BACKLOGGED,
  CLOSING,
  DELIVERING,
  DELIVERY_CORKED,
  DRAINING,
  INPUT_ENDED,
  OUTPUT_ENDED,
  PAUSE_ON_BACKLOG,
  READING,
  TURN_SPENT,
} from './connection/connectionFlags.js';
import { outputLimitsOf, type OutputLimits } from './connection/outputLimits.js';
import { nextAll, takeSubscribers, type Subscribers } from './connection/subscriberList.js';

export type { ConnectionClosed } from './ConnectionClosed.js';
export type { ConnectionOptions } from './ConnectionOptions.js';
export type { DemandState } from './DemandState.js';
export type { ReadMeter } from './ReadMeter.js';
export { ConnectionData, type DataObserver } from './ConnectionData.js';

let nextConnectionId = 1;

/**
 * One stream connection (TCP, Unix or TLS), as readiness and completion Observables.
 *
 * - **Completion**: {@link Connection.data$} emits the chunks the backend already read.
 * - **Readiness**: {@link Connection.readable$} says "bytes are waiting" and {@link Connection.read} takes them;
 *   {@link Connection.writable$} says "you can write now".
 * - **Demand**: the connection reads from the operating system only while someone reads it and nothing holds
 *   it: no reader, or a {@link Connection.hold} (taken by `sendTo` while the output it feeds is backed up, by
 *   bounded stages while their queue is long) pauses reading, and the peer feels it as TCP backpressure.
 *   {@link Connection.demand$} shows it.
 *
 * **One reader at a time, in order.** A connection is read by one reader at a time: the subscribers of `data$`
 * (any number, all seeing every chunk), or of `readable$`, or one leased reader (`proactor()`). A reader that
 * subscribes while another one reads waits its turn, in the order of subscription, and starts the moment the
 * readers before it are done, with no byte lost or read twice at the switch, as read requests queue in a
 * proactor. So a header read can subscribe the body's read from inside its last emission.
 *
 * Input and output close separately. The end of input completes `data$` and `readable$` and leaves output
 * open, so a handler can still answer the last request; {@link Connection.end} half-closes output;
 * {@link Connection.close} flushes and closes both; {@link Connection.abort} resets.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle } from 'rxloop/operators';
 *
 * // An echo server written against the Connection directly.
 * listen({ port: 7007 }).pipe(
 *   handle((connection) => new Promise<void>((resolve) => {
 *     connection.data$.subscribe({
 *       next: (chunk) => connection.write(chunk),
 *       complete: () => { connection.close(); resolve(); },
 *       error: () => resolve(),
 *     });
 *   })),
 * ).subscribe();
 * ```
 */
export class Connection {
  /** A process-unique number, for logs. */
  readonly id = nextConnectionId++;
  /** The backend this connection lives on (its `scheduler` is the clock to use for this connection's timers). */
  readonly backend: Backend;

  /**
   * Completion events: the chunks the backend read, in order. Completes at the end of input (or on an orderly
   * close) and errors when the connection fails. Subscribing is demand: reading starts; when the last
   * subscriber leaves, reading stops (bytes stay in the socket, the peer is slowed, nothing is lost).
   * Chunks are the subscriber's to keep. Several subscribers all see every chunk.
   */
  get data$(): Observable<Buffer> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.lazyData ??= new ConnectionData(this, (subscriber) => this.subscribeData(subscriber)));
  }

  /**
   * Readiness events: emits this connection whenever bytes are waiting; take them with {@link Connection.read}.
   * Emits at once on subscribe when bytes are already waiting. Completes at the end of input.
   */
  get readable$(): Observable<Connection> {
    return (this.rareState().readable$ ??= makeReadable(this));
  }

  /**
   * Readiness events: emits this connection when a write would be accepted without backlog: at once on
   * subscribe when that is already so, and after each drain. Completes when output closes.
   */
  get writable$(): Observable<Connection> {
    return (this.rareState().writable$ ??= makeWritable(this));
  }

  /** Emits once, when the connection is closed for good, then completes (late subscribers get it at once). */
  get closed$(): Observable<ConnectionClosed> {
    return (this.rareState().closed$ ??= makeClosed(this));
  }

  /** Emits the flow-control state at once and on every change of `reading` or `writable`. */
  get demand$(): Observable<DemandState> {
    return (this.rareState().demand$ ??= makeDemand(this));
  }

  /**
   * The server is stopping: emits once and completes when the drain begins (at once for a late subscriber);
   * completes without emitting if the connection closes first.
   *
   * **Subscribing takes the drain over.** A connection whose handler does not subscribe is drained for it: its
   * input ends at once, as if the peer had ended it (`data$` completes, frame decoders stop at the last whole
   * frame), the pipeline answers what it has read, and the connection closes once its output is flushed. A
   * handler that subscribes before the drain keeps reading instead, so that it can finish the exchange under
   * way and close politely (HTTP: `Connection: close` on the response in progress, an idle keep-alive
   * connection closed at once; RESP: idle connections closed). Either way a connection still open at the stop
   * deadline is reset, so that the peer does not take a cut-off reply for a complete one.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   * import { sendTo } from 'rxloop/operators';
   * import { merge, map, takeUntil } from 'rxjs';
   *
   * // A line chat that says goodbye when the server stops, then closes.
   * export default function handler(connection: Connection) {
   *   const bye = connection.draining$.pipe(map(() => 'server stopping, bye\n'));
   *   return merge(connection.data$.pipe(takeUntil(connection.draining$)), bye).pipe(sendTo(connection));
   * }
   * ```
   */
  get draining$(): Observable<void> {
    return (this.rareState().draining$ ??= makeDraining(this));
  }

  /** Whether the server this connection belongs to is stopping (see {@link Connection.draining$}). */
  get isDraining(): boolean {
    return (this.flags & DRAINING) !== 0;
  }

  // Idle connections are many, so every field here is paid for by each of them: state bits share one number,
  // subscriber lists hold a lone subscriber without an array, and the rarely used parts are created on use.
  // The fields marked internal are shared with the files under src/connection/, which hold the sink, the
  // teardowns and the Observables of this class.
  /** @internal */
  readonly transport: Transport;
  /** @internal the `flags` bits below */
  flags = 0;
  /** @internal the read mode of the active readers; `undefined` before the first reader */
  mode: ReadMode | undefined;
  /** @internal active readers */
  readers = 0;
  /** @internal */
  holds = 0;
  /** @internal */
  closedWith: ConnectionClosed | undefined;
  private meter: ReadMeter | undefined;
  /** The meter's turn this connection's byte count (reads and writes) belongs to, and the count. */
  private meterTurn = -1;
  private meterBytes = 0;
  /** Shared by the connections made with the same options; `undefined`: no output limit. */
  private readonly limits: OutputLimits | undefined;
  private lazyData: Observable<Buffer> | undefined;
  /** @internal */
  dataSubscribers: Subscribers<Buffer> = undefined;
  /** @internal */
  closeCallbacks: ((closed: ConnectionClosed) => void)[] | ((closed: ConnectionClosed) => void) | undefined;
  /** @internal */
  rare: RareState | undefined;
  /** The first write made during a delivery, sent when the delivery ends (see `write`). */
  private heldWrite: Uint8Array | undefined;

  /**
   * Wraps a backend transport. Applications get connections from `listen` and `connect`; backends and tests
   * may build one directly.
   *
   * @param transport the backend's stream socket; the connection attaches itself as its sink
   * @param backend the backend the transport belongs to
   * @param options flow-control options
   */
  constructor(transport: Transport, backend: Backend, options: ConnectionOptions = {}) {
    this.transport = transport;
    this.backend = backend;
    if (options.pauseReadingOnWriteBacklog === true) this.flags = PAUSE_ON_BACKLOG;
    this.limits = outputLimitsOf(options);
    transport.attach(new ConnectionSink(this));
    if (diagnostics.connectionOpen.hasSubscribers) diagnostics.connectionOpen.publish({ connection: this });
  }

  /** The local end of the connection. */
  get localAddress(): SocketAddress | undefined {
    return this.transport.localAddress;
  }

  /** The peer's end of the connection (the original client's, when a PROXY protocol header named it). */
  get remoteAddress(): SocketAddress | undefined {
    return this.rare?.remoteAddress ?? this.transport.remoteAddress;
  }

  /** @internal the PROXY protocol's stage replaces the balancer's address with the client's it names */
  overrideRemoteAddress(address: SocketAddress): void {
    this.rareState().remoteAddress = address;
  }

  /** Whether the connection is encrypted (TLS). */
  get secure(): boolean {
    return this.transport.features.secure;
  }

  /** Whether reads in leased mode go straight into the leased buffers (no copy) on this backend and socket. */
  get zeroCopyLeasedReads(): boolean {
    return this.transport.features.zeroCopyLeasedReads;
  }

  /**
   * The size of the backend's own receive buffers where reads can complete into them and be lent as they are
   * (the uring backend's provided buffer ring), `undefined` elsewhere. `proactor()` uses them when it can.
   */
  get providedBufferSize(): number | undefined {
    return this.transport.features.providedBuffers?.bufferSize;
  }

  /** Whether the connection is still open in at least one direction. */
  get isOpen(): boolean {
    return this.closedWith === undefined;
  }

  /** Whether the peer has ended its output (our input). */
  get isInputEnded(): boolean {
    return (this.flags & INPUT_ENDED) !== 0;
  }

  /** Whether our output is ended (by `end`, `close` or `abort`). */
  get isOutputEnded(): boolean {
    return (this.flags & OUTPUT_ENDED) !== 0;
  }

  /** Total bytes received. */
  get bytesRead(): number {
    return this.transport.bytesRead;
  }

  /** Total bytes handed to the operating system. */
  get bytesWritten(): number {
    return this.transport.bytesWritten;
  }

  /**
   * Whether this connection is delivering a read to its readers right now: what they write meanwhile is
   * collected and sent when the delivery ends (see {@link Connection.write}), so writers need no batching of
   * their own.
   *
   * @internal
   */
  get isDelivering(): boolean {
    return (this.flags & DELIVERING) !== 0;
  }

  /**
   * Whether a write now would be welcome: output is open and the write buffer is below its high-water mark
   * (what {@link Connection.writable$} announces).
   */
  get isWritable(): boolean {
    return (this.flags & (BACKLOGGED | OUTPUT_ENDED)) === 0 && this.closedWith === undefined;
  }

  /** The `writableLength` above which `write` returns `false` and {@link Connection.isWritable} is `false`. */
  get writableHighWaterMark(): number {
    return this.transport.writableHighWaterMark;
  }

  /** Bytes written and not yet handed to the operating system. */
  get writableLength(): number {
    return this.transport.writableLength + (this.heldWrite?.length ?? 0);
  }

  /** The flow-control state now; {@link Connection.demand$} reports its changes. */
  get demand(): DemandState {
    return {
      reading: (this.flags & READING) !== 0,
      readers: this.readers,
      holds: this.holds + ((this.flags & BACKLOG_PAUSES) === BACKLOG_PAUSES ? 1 : 0),
      writable: (this.flags & BACKLOGGED) === 0,
      readableLength: this.transport.readableLength,
      writableLength: this.transport.writableLength,
    };
  }

  /**
   * Readiness read: takes up to `size` waiting bytes (all of them without `size`), or returns `null` when none
   * wait. It takes exactly `size` bytes when at least that many wait, across however many reads brought them.
   * Use it from a {@link Connection.readable$} subscription.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function readHeaders(connection: Connection): void {
   *   connection.readable$.subscribe(() => {
   *     const header = connection.read(4);
   *     if (header !== null) console.log('got', header.length, 'bytes');
   *   });
   * }
   * ```
   *
   * @param size the most bytes to take
   * @returns the bytes, or `null` when none wait
   */
  read(size?: number): Buffer | null {
    if (size !== undefined && !(Number.isInteger(size) && size > 0)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `read(size) expected a positive integer, got ${String(size)}`);
    }
    if (this.mode !== 'readiness' && this.mode !== undefined) return null;
    const bytes = this.transport.read(size);
    if (bytes !== null && this.meter !== undefined) this.count(bytes.length, true);
    return bytes;
  }

  /**
   * Queues bytes for the peer. Returns `false` when the write buffer is over its high-water mark: the bytes are
   * still queued, but the writer should wait for {@link Connection.writable$}. (`sendTo` does the waiting for
   * you, and pauses the reading that feeds it meanwhile.)
   *
   * Writes made while this connection delivers a read to its readers (a reply written from a `data$`
   * subscriber) are sent when that delivery returns: one write as it is, several in one system call.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function greet(connection: Connection): void {
   *   if (!connection.write('hello\n')) connection.writable$.subscribe(() => console.log('drained'));
   * }
   * ```
   *
   * @param chunk bytes, or a string sent as UTF-8
   * @returns whether more writes are welcome now
   * @throws RxloopError `ERR_SOCKET_CLOSED` when output is already ended or the connection closed
   */
  write(chunk: Uint8Array | string): boolean {
    if ((this.flags & OUTPUT_ENDED) !== 0 || this.closedWith !== undefined) {
      throw new RxloopError(
        ErrorCode.SOCKET_CLOSED,
        `write expected an open connection, but connection ${this.id} is ${this.closedWith ? 'closed' : 'ended for output'}`,
      );
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.meter !== undefined) this.count(bytes.length, false);
    const flags = this.flags;
    if ((flags & DELIVERING) !== 0) {
      // Inside the delivery of a read: the first write waits for the delivery's end and then goes out as it is
      // (a request/response protocol writes once per read: no cork, no deferred task); a second one corks the
      // transport until that end, so everything a read caused leaves in one system call.
      if (this.heldWrite === undefined && (flags & DELIVERY_CORKED) === 0) {
        this.heldWrite = bytes;
        // The transport's own answer comes with the real write (a write it completes at once is accepted whatever
        // its size), so this one says what the last real write said; a backlog it reports is seen by the next.
        return (flags & BACKLOGGED) === 0;
      }
      if ((flags & DELIVERY_CORKED) === 0) {
        this.flags = flags | DELIVERY_CORKED;
        this.transport.cork();
        this.flushHeldWrite();
      }
    }
    const accepted = this.transport.write(bytes);
    if (!accepted) this.backlog();
    return accepted;
  }

  /** A write found the queue over the high-water mark: the backlog starts (or goes on), and the limit is checked. */
  private backlog(): void {
    if ((this.flags & BACKLOGGED) === 0) {
      this.flags |= BACKLOGGED;
      this.updateReading(true);
    }
    if (this.limits !== undefined) this.checkOutputLimit(this.limits);
  }

  private checkOutputLimit(limits: OutputLimits): void {
    const queued = this.transport.writableLength;
    if (queued > limits.hard) {
      this.failOutput(`connection ${this.id} expected its peer to keep up, but ${queued} bytes are queued for it, ` +
        `over the hard output limit of ${limits.hard} (ConnectionOptions.outputLimit)`);
      return;
    }
    if (queued <= limits.soft) return;
    const rare = this.rareState();
    rare.softLimitTimer ??= this.backend.scheduler.schedule(() => {
      rare.softLimitTimer = undefined;
      const still = this.transport.writableLength;
      if (still > limits.soft && this.closedWith === undefined) {
        this.failOutput(`connection ${this.id} expected its peer to keep up, but ${still} bytes stayed queued for it ` +
          `over the soft output limit of ${limits.soft} for ${limits.softMs / 1000} s (ConnectionOptions.outputLimit)`);
      }
    }, limits.softMs);
  }

  /** Resets the connection because its peer does not take its output; `closed$` reports `ERR_OUTPUT_LIMIT`. */
  private failOutput(message: string): void {
    this.rareState().abortReason = new RxloopError(ErrorCode.OUTPUT_LIMIT, message);
    this.abort();
  }

  /** Hands the write held during a delivery to the transport. */
  private flushHeldWrite(): void {
    const held = this.heldWrite;
    if (held === undefined) return;
    this.heldWrite = undefined;
    if (!this.transport.write(held)) this.backlog();
  }

  /** @internal starts delivering a read to this connection's readers; `false` when one is already under way */
  beginDelivery(): boolean {
    if ((this.flags & DELIVERING) !== 0) return false;
    this.flags |= DELIVERING;
    return true;
  }

  /** @internal ends a delivery: the writes it caused go out (see `write`) */
  endDelivery(): void {
    this.flags &= ~DELIVERING;
    if (this.heldWrite !== undefined) {
      if (this.closedWith === undefined) this.flushHeldWrite();
      else this.heldWrite = undefined;
    }
    if ((this.flags & DELIVERY_CORKED) !== 0) {
      this.flags &= ~DELIVERY_CORKED;
      if (this.closedWith === undefined) this.transport.uncork();
    }
  }

  /** @internal hands a batch of completed reads to the leased reader or the `data$` subscribers */
  dispatch(chunks: readonly Buffer[]): void {
    if (this.meter !== undefined) {
      let bytes = 0;
      for (let i = 0; i < chunks.length; i++) bytes += chunks[i]!.length;
      this.count(bytes, true);
    }
    const leasedReader = this.rare?.leasedReader;
    if (leasedReader !== undefined) {
      leasedReader(chunks);
      return;
    }
    if (this.mode === 'provided') {
      // The provided reader left while its batch was on the way: the backend's buffers go back.
      for (let i = 0; i < chunks.length; i++) this.transport.releaseProvided?.(chunks[i]!);
      return;
    }
    const subscribers = this.dataSubscribers;
    if (subscribers === undefined) return;
    if (!Array.isArray(subscribers)) {
      for (let i = 0; i < chunks.length; i++) subscribers.next(chunks[i]!);
      return;
    }
    for (let i = 0; i < chunks.length; i++) for (const subscriber of subscribers) subscriber.next(chunks[i]!);
  }

  /** @internal the transport says its write buffer drained */
  drained(): void {
    if ((this.flags & BACKLOGGED) === 0) return;
    this.flags &= ~BACKLOGGED;
    const softLimit = this.rare?.softLimitTimer;
    if (softLimit !== undefined) {
      softLimit.unsubscribe();
      this.rare!.softLimitTimer = undefined;
    }
    this.updateReading(true);
    nextAll(this.rare?.writableSubscribers, this);
  }

  /** @internal the transport says the peer ended its output */
  inputEnded(): void {
    if ((this.flags & INPUT_ENDED) !== 0) return;
    this.flags |= INPUT_ENDED;
    endReaders(this, undefined);
    this.updateReading(true);
  }

  /** @internal the transport is closed for good */
  transportClosed(transportError: RxloopError | undefined): void {
    if (this.closedWith !== undefined) return;
    const rare = this.rare;
    const error = rare?.abortReason ?? transportError;
    const closedWith: ConnectionClosed = { error };
    this.closedWith = closedWith;
    if (diagnostics.connectionClose.hasSubscribers) diagnostics.connectionClose.publish({ connection: this, error });
    if (rare !== undefined) {
      rare.lingerTimer?.unsubscribe();
      rare.lingerTimer = undefined;
      rare.softLimitTimer?.unsubscribe();
      rare.softLimitTimer = undefined;
    }
    const inputWasOpen = (this.flags & INPUT_ENDED) === 0;
    this.flags = (this.flags | OUTPUT_ENDED | INPUT_ENDED) & ~READING;
    if (inputWasOpen) endReaders(this, error);
    this.completeWritable();
    const callbacks = this.closeCallbacks;
    this.closeCallbacks = undefined;
    if (typeof callbacks === 'function') callbacks(closedWith);
    else if (callbacks !== undefined) for (const callback of callbacks) callback(closedWith);
    if (rare === undefined) return;
    const closedSubscribers = takeSubscribers(rare.closedSubscribers);
    rare.closedSubscribers = undefined;
    for (const subscriber of closedSubscribers) {
      subscriber.next(closedWith);
      subscriber.complete();
    }
    const draining = takeSubscribers(rare.drainingSubscribers);
    rare.drainingSubscribers = undefined;
    for (const subscriber of draining) subscriber.complete();
    const demandSubscribers = takeSubscribers(rare.demandSubscribers);
    rare.demandSubscribers = undefined;
    if (demandSubscribers.length === 0) return;
    const demand = this.demand;
    for (const subscriber of demandSubscribers) {
      subscriber.next(demand);
      subscriber.complete();
    }
  }

  /**
   * Begins the drain of a stopping server (see {@link Connection.draining$}): tells the subscribers of
   * `draining$`, or, without any, ends the input at once. Called by `listen`'s shutdown and by the topologies;
   * calling it again does nothing.
   *
   * @internal
   */
  drain(): void {
    if ((this.flags & DRAINING) !== 0 || this.closedWith !== undefined) return;
    this.flags |= DRAINING;
    const rare = this.rare;
    const subscribers = takeSubscribers(rare?.drainingSubscribers);
    if (subscribers.length > 0) {
      rare!.drainingSubscribers = undefined;
      for (const subscriber of subscribers) {
        subscriber.next();
        subscriber.complete();
      }
      return;
    }
    // Nobody takes the drain over: no new input is read, so the pipeline ends at the last whole frame it has.
    this.inputEnded();
  }

  /**
   * Holds writes until {@link Connection.uncork}, so several writes leave in one system call.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function reply(connection: Connection, parts: Buffer[]): void {
   *   connection.cork();
   *   for (const part of parts) connection.write(part);
   *   connection.uncork();
   * }
   * ```
   */
  cork(): void {
    if (this.closedWith !== undefined) return;
    this.flushHeldWrite();
    this.transport.cork();
  }

  /** Releases writes held by {@link Connection.cork}. */
  uncork(): void {
    if (this.closedWith !== undefined) return;
    this.flushHeldWrite();
    this.transport.uncork();
  }

  /**
   * Pauses reading until the returned function is called (demand from anything that is not a subscription:
   * a full queue, a busy worker pool). Holds nest; reading resumes when the last is released. Releasing twice
   * is harmless.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function slowDown(connection: Connection, ms: number): void {
   *   const release = connection.hold();
   *   setTimeout(release, ms);
   * }
   * ```
   *
   * @returns the function that releases this hold
   */
  hold(): () => void {
    this.holds++;
    this.updateReading(true);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.updateReading(true);
    };
  }

  /**
   * Half-closes: sends end of output after the queued writes. Input stays open, so the peer can still send.
   * Calling it again, or after close, does nothing.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function sendAndFinish(connection: Connection, request: Buffer): void {
   *   connection.write(request);
   *   connection.end(); // the peer sees end of input; we keep reading its answer
   * }
   * ```
   */
  end(): void {
    if ((this.flags & OUTPUT_ENDED) !== 0 || this.closedWith !== undefined) return;
    this.flushHeldWrite();
    this.flags |= OUTPUT_ENDED;
    this.transport.end();
    this.completeWritable();
  }

  /**
   * Closes in order: queued writes are flushed, then both directions close. `closed$` emits when done.
   * A peer that never reads can keep a flushing close waiting for ever; `linger` bounds that wait: after
   * `linger` milliseconds the connection is reset instead (like SO_LINGER). Calling it again does nothing
   * (but may add a `linger` bound).
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function bye(connection: Connection): void {
   *   connection.write('bye\n');
   *   connection.close({ linger: 5000 }); // 'bye' is still delivered, unless the peer stalls for 5 s
   * }
   * ```
   *
   * @param options `linger`: the most milliseconds to wait for the flush before resetting
   */
  close(options: { readonly linger?: number } = {}): void {
    const linger = options.linger;
    if (linger !== undefined && !(typeof linger === 'number' && linger >= 0)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `close linger expected a number >= 0, got ${String(linger)}`);
    }
    if (this.closedWith !== undefined) return;
    if (linger !== undefined) {
      const rare = this.rareState();
      rare.lingerTimer ??= this.backend.scheduler.schedule(() => this.abort(), linger);
    }
    if ((this.flags & CLOSING) !== 0) return;
    this.flushHeldWrite();
    this.flags |= CLOSING | OUTPUT_ENDED;
    this.transport.close();
    this.completeWritable();
  }

  /**
   * Closes at once with a reset (RST): queued writes are dropped and the peer sees `ERR_CONNECTION_RESET`.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * function reject(connection: Connection): void {
   *   connection.abort();
   * }
   * ```
   */
  abort(): void {
    if (this.closedWith !== undefined) return;
    this.heldWrite = undefined;
    this.flags |= OUTPUT_ENDED;
    this.transport.abort();
    this.completeWritable();
  }

  /**
   * Subscribes an observer to the completion events without an RxJS subscriber in between: what `data$` does
   * for a subscriber, and what `sendTo` does for its own writer when its source is a `data$` (an echo, a proxy),
   * so the bytes go from the socket to the write with nothing in the way. Returns the teardown, or `undefined`
   * when the observer was finished at once (input already ended).
   *
   * @internal
   */
  subscribeData(observer: DataObserver): Unsubscribable | undefined {
    return subscribeData(this, observer);
  }

  /**
   * Reads in leased mode: the backend fills buffers taken from `source` and `onChunks` receives views of the
   * filled bytes, a batch at a time. This is the primitive under the `proactor()` operator; most code wants
   * that operator instead. While other readers read, the reader waits its turn (see {@link Connection}); it
   * starts asking `source` for buffers only then. The returned function stops it, or takes it out of the line.
   *
   * @internal
   * @param source supplies the buffers (returning `null` pauses reading until {@link Connection.resumeLeased})
   * @param onChunks receives the filled views; the array is only valid during the call
   * @param onEnd called once at the end of input (`undefined`) or on failure (the error)
   * @returns the function that stops this reader
   */
  readLeased(
    source: BufferSource,
    onChunks: (chunks: readonly Buffer[]) => void,
    onEnd: (error: RxloopError | undefined) => void,
  ): () => void {
    return readLeased(this, source, onChunks, onEnd);
  }

  /**
   * Reads in provided mode: the backend receives into buffers of its own (see `ProvidedReads`) and `onChunks`
   * receives views of them, a batch at a time; each view goes back with {@link Connection.releaseProvided}.
   * Waits its turn like {@link Connection.readLeased}. Only where {@link Connection.providedBufferSize} is set.
   *
   * @internal
   * @param reads the reader's credit: the most views it holds at once
   * @param onChunks receives the views; the array is only valid during the call
   * @param onEnd called once at the end of input (`undefined`) or on failure (the error)
   * @returns the function that stops this reader
   */
  readProvided(
    reads: ProvidedReads,
    onChunks: (chunks: readonly Buffer[]) => void,
    onEnd: (error: RxloopError | undefined) => void,
  ): () => void {
    return readLeased(this, reads, onChunks, onEnd, 'provided');
  }

  /**
   * Gives back a view a provided reader received, so the backend can receive into its buffer again (also after
   * the connection closed).
   *
   * @internal
   */
  releaseProvided(view: Buffer): void {
    this.transport.releaseProvided?.(view);
  }

  /**
   * Tells a leased reader's backend that buffers are available again after its source returned `null`.
   *
   * @internal
   */
  resumeLeased(): void {
    if ((this.flags & READING) !== 0 && this.closedWith === undefined) this.transport.setReading(true);
  }

  /**
   * Calls `callback` once when the connection closes (at once if it already has). The cheap form of
   * `closed$` for bookkeeping that every connection of a server needs (a subscription costs an Observable and
   * its subscribers on each idle connection).
   *
   * @internal
   */
  onClosed(callback: (closed: ConnectionClosed) => void): void {
    if (this.closedWith !== undefined) callback(this.closedWith);
    else if (this.closeCallbacks === undefined) this.closeCallbacks = callback;
    else if (typeof this.closeCallbacks === 'function') this.closeCallbacks = [this.closeCallbacks, callback];
    else this.closeCallbacks.push(callback);
  }

  /**
   * Installs the meter told of every read this connection dispatches; reactors use it to enforce their per-turn
   * fairness budget and to count events. One meter serves all of a reactor's connections: the per-connection
   * count lives here, so a read touches no per-connection closure.
   *
   * @internal
   */
  setMeter(meter: ReadMeter | undefined): void {
    this.meter = meter;
    this.meterTurn = -1;
  }

  /** @internal whether a reactor's per-turn budget applies to this connection (see `setMeter`) */
  get isMetered(): boolean {
    return this.meter !== undefined;
  }

  /** Counts bytes read (`read`) or written against this turn's budget. */
  private count(bytes: number, read: boolean): void {
    const meter = this.meter!;
    if (read) meter.dispatched++;
    if (this.meterTurn !== meter.turn) {
      this.meterTurn = meter.turn;
      this.meterBytes = 0;
      this.flags &= ~TURN_SPENT;
      meter.turnStarted();
    }
    this.meterBytes += bytes;
    if (this.meterBytes > meter.budget && (this.flags & TURN_SPENT) === 0) {
      this.flags |= TURN_SPENT; // one report per turn is enough
      meter.exceeded(this);
    }
  }

  /**
   * Whether a stage that produces output for this connection from input it has already read (replies to a
   * pipelined batch) should stop for now: the write buffer is over its high-water mark (or output is closed),
   * or, on a reactor, this connection has had its share of this turn (its reads and writes together went over
   * the per-turn budget). `pacedBy` waits on it; {@link Connection.whenReady} says when to go on.
   */
  get shouldYield(): boolean {
    if ((this.flags & (BACKLOGGED | OUTPUT_ENDED)) !== 0 || this.closedWith !== undefined) return true;
    const meter = this.meter;
    return meter !== undefined && (this.flags & TURN_SPENT) !== 0 && this.meterTurn === meter.turn;
  }

  /**
   * Calls `callback` once, when {@link Connection.shouldYield} may have become false: after the write buffer
   * drains, at the next turn of the loop when only the turn's share was spent, or when output closes (so that a
   * waiting stage can finish). Returns the function that cancels the wait.
   *
   * ## Example
   * ```ts
   * import type { Connection } from 'rxloop';
   *
   * // Write replies to a batch of requests, stopping whenever the peer or the turn needs it.
   * function replyAll(connection: Connection, replies: Buffer[]): void {
   *   while (replies.length > 0 && !connection.shouldYield) connection.write(replies.shift()!);
   *   if (replies.length > 0) connection.whenReady(() => replyAll(connection, replies));
   * }
   * ```
   *
   * @param callback called once
   * @returns the function that cancels the wait
   */
  whenReady(callback: () => void): () => void {
    let done = false;
    const call = (): void => {
      if (done) return;
      done = true;
      cancel();
      callback();
    };
    let cancel: () => void = () => undefined;
    if ((this.flags & (BACKLOGGED | OUTPUT_ENDED)) !== 0 || this.closedWith !== undefined) {
      // writable$ emits after the drain, or completes when output closes.
      const waiting = this.writable$.subscribe({ next: call, complete: call });
      cancel = () => waiting.unsubscribe();
      if (done) waiting.unsubscribe();
    } else {
      // Only the turn's share is spent: the meter's next turn comes before this (both are setImmediate, in order).
      const timer = setImmediate(call);
      cancel = () => clearImmediate(timer);
    }
    return () => {
      done = true;
      cancel();
    };
  }

  /** @internal the rarely used state, created on first use */
  rareState(): RareState {
    return (this.rare ??= createRareState());
  }

  /** @internal */
  completeWritable(): void {
    const rare = this.rare;
    if (rare === undefined) return;
    const writable = takeSubscribers(rare.writableSubscribers);
    rare.writableSubscribers = undefined;
    for (const subscriber of writable) subscriber.complete();
  }

  /** @internal */
  updateReading(notify: boolean): void {
    const flags = this.flags;
    const blocked = this.holds > 0 || (flags & BACKLOG_PAUSES) === BACKLOG_PAUSES;
    const want = this.readers > 0 && !blocked && (flags & INPUT_ENDED) === 0 && this.closedWith === undefined;
    if (want !== ((flags & READING) !== 0)) {
      this.flags = want ? flags | READING : flags & ~READING;
      if (this.closedWith === undefined) this.transport.setReading(want);
    }
    if (notify && this.rare?.demandSubscribers !== undefined) nextAll(this.rare.demandSubscribers, this.demand);
  }
}
