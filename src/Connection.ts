import { Observable, type Observer, type Subscriber, type TeardownLogic, type Unsubscribable } from 'rxjs';
import type { Backend, BufferSource, ReadMode, SocketAddress, Transport, TransportSink } from './backends/Backend.js';
import { ErrorCode, RxloopError } from './errors.js';

/**
 * Why and how a {@link Connection} closed, as {@link Connection.closed$} reports it.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 *
 * function logClose(connection: Connection): void {
 *   connection.closed$.subscribe(({ error }) => console.log(connection.id, error ? error.code : 'closed'));
 * }
 * ```
 */
export interface ConnectionClosed {
  /** Set when the connection did not close in order (a reset, a socket error). */
  readonly error: RxloopError | undefined;
}

/**
 * A snapshot of a connection's flow control, as {@link Connection.demand$} reports it.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 *
 * function watch(connection: Connection): void {
 *   connection.demand$.subscribe((d) => {
 *     if (!d.reading) console.log(`paused: ${d.holds} holds, ${d.writableLength} bytes waiting to be sent`);
 *   });
 * }
 * ```
 */
export interface DemandState {
  /** Whether the connection is taking bytes from the operating system right now. */
  readonly reading: boolean;
  /** How many readers (subscriptions to `data$`, `readable$` or a leased reader) want data. */
  readonly readers: number;
  /** How many holds (from {@link Connection.hold}, `sendTo`, `offload`, or a write backlog) stop reading. */
  readonly holds: number;
  /** Whether writes are below the high-water mark (`write` would return `true`). */
  readonly writable: boolean;
  /** Bytes received and not yet handed to a reader. */
  readonly readableLength: number;
  /** Bytes written and not yet handed to the operating system. */
  readonly writableLength: number;
}

/**
 * Options for a {@link Connection}, given to `listen` and `connect`.
 *
 * ## Example
 * ```ts
 * import { listen, type ConnectionOptions } from 'rxloop';
 *
 * // A server that only pushes: reading a client may pause while our output to it is backed up.
 * const flow: ConnectionOptions = { pauseReadingOnWriteBacklog: true };
 * listen({ port: 0, ...flow }).subscribe((connection) => connection.write('welcome\n'));
 * ```
 */
export interface ConnectionOptions {
  /**
   * Stop reading whenever the write buffer is over its high-water mark, and resume on drain (default `false`).
   * `sendTo` already does this for the connections whose input feeds what it writes (an echo, a
   * request/response handler, a proxy), which is where it is right. Turning it on for every write would
   * deadlock two peers that both write more than the socket buffers hold before reading (a client uploading a
   * large request while the server streams its answer).
   */
  readonly pauseReadingOnWriteBacklog?: boolean;
}

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
 * A connection is read in one mode at a time; subscribing to `data$` while `readable$` is subscribed (or the
 * other way round) errors with `ERR_INVALID_ARGUMENT`.
 *
 * Input and output close separately. The end of input completes `data$` and `readable$` and leaves output
 * open, so a handler can still answer the last request; {@link Connection.end} half-closes output;
 * {@link Connection.close} flushes and closes both; {@link Connection.abort} resets.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { mergeMap } from 'rxjs';
 *
 * // An echo server written against the Connection directly.
 * listen({ port: 7007 }).pipe(
 *   mergeMap((connection) => new Promise<void>((resolve) => {
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
    return (this.lazyData ??= this.makeData());
  }

  /**
   * Readiness events: emits this connection whenever bytes are waiting; take them with {@link Connection.read}.
   * Emits at once on subscribe when bytes are already waiting. Completes at the end of input.
   */
  get readable$(): Observable<Connection> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.rareState().readable$ ??= this.makeReadable());
  }

  /**
   * Readiness events: emits this connection when a write would be accepted without backlog: at once on
   * subscribe when that is already so, and after each drain. Completes when output closes.
   */
  get writable$(): Observable<Connection> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.rareState().writable$ ??= this.makeWritable());
  }

  /** Emits once, when the connection is closed for good, then completes (late subscribers get it at once). */
  get closed$(): Observable<ConnectionClosed> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.rareState().closed$ ??= this.makeClosed());
  }

  /** Emits the flow-control state at once and on every change of `reading` or `writable`. */
  get demand$(): Observable<DemandState> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.rareState().demand$ ??= this.makeDemand());
  }

  private readonly transport: Transport;
  // Idle connections are many, so every field here is paid for by each of them: state bits share one number,
  // subscriber lists hold a lone subscriber without an array, and the rarely used parts are created on use.
  private flags = 0;
  private mode: ReadMode | undefined;
  private readers = 0;
  private holds = 0;
  private closedWith: ConnectionClosed | undefined;
  private meter: ReadMeter | undefined;
  /** The meter's turn this connection's byte count belongs to, and the count. */
  private meterTurn = -1;
  private meterBytes = 0;
  private lazyData: Observable<Buffer> | undefined;
  private dataSubscribers: Subscribers<Buffer> = undefined;
  private closeCallbacks: ((closed: ConnectionClosed) => void)[] | ((closed: ConnectionClosed) => void) | undefined;
  private rare: RareState | undefined;
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
    transport.attach(new Connection.Sink(this));
  }

  /** The local end of the connection. */
  get localAddress(): SocketAddress | undefined {
    return this.transport.localAddress;
  }

  /** The peer's end of the connection. */
  get remoteAddress(): SocketAddress | undefined {
    return this.transport.remoteAddress;
  }

  /** Whether the connection is encrypted (TLS). */
  get secure(): boolean {
    return this.transport.features.secure;
  }

  /** Whether reads in leased mode go straight into the leased buffers (no copy) on this backend and socket. */
  get zeroCopyLeasedReads(): boolean {
    return this.transport.features.zeroCopyLeasedReads;
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
   * wait. Use it from a {@link Connection.readable$} subscription.
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
    if (bytes !== null && this.meter !== undefined) this.count(bytes.length);
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

  private backlog(): void {
    if ((this.flags & BACKLOGGED) !== 0) return;
    this.flags |= BACKLOGGED;
    this.updateReading(true);
  }

  /** Hands the write held during a delivery to the transport. */
  private flushHeldWrite(): void {
    const held = this.heldWrite;
    if (held === undefined) return;
    this.heldWrite = undefined;
    if (!this.transport.write(held)) this.backlog();
  }

  /** Starts delivering a read to this connection's readers; `false` when one is already under way. */
  private beginDelivery(): boolean {
    if ((this.flags & DELIVERING) !== 0) return false;
    this.flags |= DELIVERING;
    return true;
  }

  /** Ends a delivery: the writes it caused go out (see `write`). */
  private endDelivery(): void {
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

  /** Hands a batch of completed reads to the leased reader or the `data$` subscribers. */
  private dispatch(chunks: readonly Buffer[]): void {
    if (this.meter !== undefined) {
      let bytes = 0;
      for (let i = 0; i < chunks.length; i++) bytes += chunks[i]!.length;
      this.count(bytes);
    }
    const leasedReader = this.rare?.leasedReader;
    if (leasedReader !== undefined) {
      leasedReader(chunks);
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
   * Reads in leased mode: the backend fills buffers taken from `source` and `onChunks` receives views of the
   * filled bytes, a batch at a time. This is the primitive under the `proactor()` operator; most code wants
   * that operator instead. Only one leased reader may exist at a time. The returned function stops reading.
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
    if ((this.flags & INPUT_ENDED) !== 0 || this.closedWith !== undefined) {
      onEnd(this.closedWith?.error);
      return () => undefined;
    }
    const rare = this.rareState();
    if (rare.leasedReader !== undefined || (this.readers > 0 && this.mode !== 'leased')) {
      throw this.modeConflict('leased');
    }
    if (this.mode !== 'leased') this.transport.setReadMode('leased', source);
    this.mode = 'leased';
    rare.leasedReader = onChunks;
    rare.leasedEnd = onEnd;
    this.readers++;
    this.updateReading(true);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (rare.leasedReader === onChunks) {
        rare.leasedReader = undefined;
        rare.leasedEnd = undefined;
        this.removeReader();
      }
    };
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

  private count(bytes: number): void {
    const meter = this.meter!;
    meter.dispatched++;
    if (this.meterTurn !== meter.turn) {
      this.meterTurn = meter.turn;
      this.meterBytes = 0;
      meter.turnStarted();
    }
    this.meterBytes += bytes;
    if (this.meterBytes > meter.budget) {
      this.meterBytes = -Infinity; // one report per turn is enough
      meter.exceeded(this);
    }
  }

  private rareState(): RareState {
    return (this.rare ??= {
      readable$: undefined,
      writable$: undefined,
      closed$: undefined,
      demand$: undefined,
      readableSubscribers: undefined,
      writableSubscribers: undefined,
      closedSubscribers: undefined,
      demandSubscribers: undefined,
      leasedReader: undefined,
      leasedEnd: undefined,
      lingerTimer: undefined,
    });
  }

  /**
   * Subscribes an observer to the completion events without an RxJS subscriber in between: what `data$` does
   * for a subscriber, and what `sendTo` does for its own writer when its source is a `data$` (an echo, a proxy),
   * so the bytes go from the socket to the write with nothing in the way. Returns the teardown, or `undefined`
   * when the observer was finished at once (input already ended, or another read mode is in use).
   *
   * @internal
   */
  subscribeData(observer: DataObserver): Unsubscribable | undefined {
    if ((this.flags & INPUT_ENDED) !== 0 || this.closedWith !== undefined) {
      this.finishReader(observer);
      return undefined;
    }
    if (!this.addReader(observer, 'completion')) return undefined;
    this.dataSubscribers = addSubscriber(this.dataSubscribers, observer);
    return new Connection.Teardown(this, observer, DATA);
  }

  private makeData(): Observable<Buffer> {
    return new ConnectionData(this, (subscriber) => this.subscribeData(subscriber));
  }

  private makeReadable(): Observable<Connection> {
    return new Observable<Connection>((subscriber) => {
      if ((this.flags & INPUT_ENDED) !== 0 || this.closedWith !== undefined) {
        if (this.transport.readableLength > 0) subscriber.next(this);
        this.finishReader(subscriber);
        return;
      }
      if (!this.addReader(subscriber, 'readiness')) return;
      const rare = this.rareState();
      rare.readableSubscribers = addSubscriber(rare.readableSubscribers, subscriber);
      if (this.transport.readableLength > 0) subscriber.next(this);
      return new Connection.Teardown(this, subscriber, READABLE);
    });
  }

  private makeWritable(): Observable<Connection> {
    return new Observable<Connection>((subscriber) => {
      if ((this.flags & OUTPUT_ENDED) !== 0 || this.closedWith !== undefined) {
        subscriber.complete();
        return;
      }
      const rare = this.rareState();
      rare.writableSubscribers = addSubscriber(rare.writableSubscribers, subscriber);
      if ((this.flags & BACKLOGGED) === 0) subscriber.next(this);
      return new Connection.Teardown(this, subscriber, WRITABLE);
    });
  }

  private makeClosed(): Observable<ConnectionClosed> {
    return new Observable<ConnectionClosed>((subscriber) => {
      if (this.closedWith !== undefined) {
        subscriber.next(this.closedWith);
        subscriber.complete();
        return;
      }
      const rare = this.rareState();
      rare.closedSubscribers = addSubscriber(rare.closedSubscribers, subscriber);
      return new Connection.Teardown(this, subscriber, CLOSED);
    });
  }

  private makeDemand(): Observable<DemandState> {
    return new Observable<DemandState>((subscriber) => {
      subscriber.next(this.demand);
      if (this.closedWith !== undefined) {
        subscriber.complete();
        return;
      }
      const rare = this.rareState();
      rare.demandSubscribers = addSubscriber(rare.demandSubscribers, subscriber);
      return new Connection.Teardown(this, subscriber, DEMAND);
    });
  }

  /** Ends one subscription to one of the Observables (an object, not a closure: cheaper per connection). */
  private static readonly Teardown = class {
    constructor(
      private readonly connection: Connection,
      private readonly subscriber: object,
      private kind: number,
    ) {}

    unsubscribe(): void {
      const { connection, subscriber } = this;
      const kind = this.kind;
      // Idempotent: a fused `sendTo` may end its data subscription before its own teardown does it again.
      if (kind === DONE) return;
      this.kind = DONE;
      if (kind === DATA) {
        connection.dataSubscribers = removeSubscriber(connection.dataSubscribers, subscriber);
        connection.removeReader();
        return;
      }
      const rare = connection.rareState();
      switch (kind) {
        case READABLE:
          rare.readableSubscribers = removeSubscriber(rare.readableSubscribers, subscriber);
          connection.removeReader();
          break;
        case WRITABLE:
          rare.writableSubscribers = removeSubscriber(rare.writableSubscribers, subscriber);
          break;
        case CLOSED:
          rare.closedSubscribers = removeSubscriber(rare.closedSubscribers, subscriber);
          break;
        default:
          rare.demandSubscribers = removeSubscriber(rare.demandSubscribers, subscriber);
      }
    }
  };

  /** What the transport calls: one small object per connection rather than five closures. */
  private static readonly Sink = class implements TransportSink {
    constructor(private readonly connection: Connection) {}

    readable(): void {
      const connection = this.connection;
      const subscribers = connection.rare?.readableSubscribers;
      if (subscribers === undefined) return;
      const outermost = connection.beginDelivery();
      try {
        if (!Array.isArray(subscribers)) subscribers.next(connection);
        else for (const subscriber of subscribers) subscriber.next(connection);
      } finally {
        if (outermost) connection.endDelivery();
      }
    }

    completed(chunks: readonly Buffer[]): void {
      const connection = this.connection;
      const outermost = connection.beginDelivery();
      try {
        connection.dispatch(chunks);
      } finally {
        if (outermost) connection.endDelivery();
      }
    }

    writable(): void {
      const connection = this.connection;
      if ((connection.flags & BACKLOGGED) === 0) return;
      connection.flags &= ~BACKLOGGED;
      connection.updateReading(true);
      const subscribers = connection.rare?.writableSubscribers;
      if (subscribers === undefined) return;
      if (!Array.isArray(subscribers)) subscribers.next(connection);
      else for (const subscriber of subscribers) subscriber.next(connection);
    }

    ended(): void {
      const connection = this.connection;
      if ((connection.flags & INPUT_ENDED) !== 0) return;
      connection.flags |= INPUT_ENDED;
      connection.endReaders(undefined);
      connection.updateReading(true);
    }

    closed(error: RxloopError | undefined): void {
      const connection = this.connection;
      if (connection.closedWith !== undefined) return;
      const closedWith: ConnectionClosed = { error };
      connection.closedWith = closedWith;
      const rare = connection.rare;
      if (rare?.lingerTimer !== undefined) {
        rare.lingerTimer.unsubscribe();
        rare.lingerTimer = undefined;
      }
      const inputWasOpen = (connection.flags & INPUT_ENDED) === 0;
      connection.flags = (connection.flags | OUTPUT_ENDED | INPUT_ENDED) & ~READING;
      if (inputWasOpen) connection.endReaders(error);
      connection.completeWritable();
      const callbacks = connection.closeCallbacks;
      connection.closeCallbacks = undefined;
      if (typeof callbacks === 'function') callbacks(closedWith);
      else if (callbacks !== undefined) for (const callback of callbacks) callback(closedWith);
      if (rare === undefined) return;
      const closedSubscribers = takeSubscribers(rare.closedSubscribers);
      rare.closedSubscribers = undefined;
      for (const subscriber of closedSubscribers) {
        subscriber.next(closedWith);
        subscriber.complete();
      }
      const demandSubscribers = takeSubscribers(rare.demandSubscribers);
      rare.demandSubscribers = undefined;
      if (demandSubscribers.length === 0) return;
      const demand = connection.demand;
      for (const subscriber of demandSubscribers) {
        subscriber.next(demand);
        subscriber.complete();
      }
    }
  };

  private addReader(subscriber: Observer<never>, mode: ReadMode): boolean {
    if (this.readers > 0 && this.mode !== mode) {
      subscriber.error(this.modeConflict(mode));
      return false;
    }
    if (this.mode !== mode) this.transport.setReadMode(mode);
    this.mode = mode;
    this.readers++;
    this.updateReading(true);
    return true;
  }

  private removeReader(): void {
    this.readers--;
    this.updateReading(true);
  }

  private modeConflict(wanted: ReadMode): RxloopError {
    return new RxloopError(
      ErrorCode.INVALID_ARGUMENT,
      `connection ${this.id} expected one read mode at a time: it is read in '${this.mode}' mode, ` +
        `so it cannot also be read in '${wanted}' mode`,
    );
  }

  private finishReader(subscriber: Observer<never>): void {
    const error = this.closedWith?.error;
    if (error !== undefined) subscriber.error(error);
    else subscriber.complete();
  }

  private endReaders(error: RxloopError | undefined): void {
    const data = takeSubscribers(this.dataSubscribers);
    this.dataSubscribers = undefined;
    for (const subscriber of data) {
      if (error !== undefined) subscriber.error(error);
      else subscriber.complete();
    }
    const rare = this.rare;
    if (rare === undefined) return;
    const readable = takeSubscribers(rare.readableSubscribers);
    rare.readableSubscribers = undefined;
    for (const subscriber of readable) {
      if (error !== undefined) subscriber.error(error);
      else subscriber.complete();
    }
    const leasedEnd = rare.leasedEnd;
    rare.leasedReader = undefined;
    rare.leasedEnd = undefined;
    leasedEnd?.(error);
  }

  private completeWritable(): void {
    const rare = this.rare;
    if (rare === undefined) return;
    const writable = takeSubscribers(rare.writableSubscribers);
    rare.writableSubscribers = undefined;
    for (const subscriber of writable) subscriber.complete();
  }

  private updateReading(notify: boolean): void {
    const flags = this.flags;
    const blocked = this.holds > 0 || (flags & BACKLOG_PAUSES) === BACKLOG_PAUSES;
    const want = this.readers > 0 && !blocked && (flags & INPUT_ENDED) === 0 && this.closedWith === undefined;
    if (want !== ((flags & READING) !== 0)) {
      this.flags = want ? flags | READING : flags & ~READING;
      if (this.closedWith === undefined) this.transport.setReading(want);
    }
    if (notify && this.rare?.demandSubscribers !== undefined) this.publishDemand(this.rare.demandSubscribers);
  }

  private publishDemand(subscribers: Subscribers<DemandState>): void {
    const demand = this.demand;
    if (!Array.isArray(subscribers)) subscribers!.next(demand);
    else for (const subscriber of subscribers) subscriber.next(demand);
  }
}

/**
 * A reactor's per-turn read budget, shared by its connections (see {@link Connection.setMeter}).
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 *
 * // Pause a connection that read more than 64 KiB in one turn until the next turn.
 * const held: (() => void)[] = [];
 * const meter = {
 *   turn: 0,
 *   budget: 64 * 1024,
 *   dispatched: 0,
 *   turnStarted: () => undefined,
 *   exceeded: (connection: Connection) => held.push(connection.hold()),
 * };
 * setInterval(() => { meter.turn++; held.splice(0).forEach((release) => release()); }, 1);
 * const watch = (connection: Connection): void => connection.setMeter(meter);
 * ```
 *
 * @internal
 */
export interface ReadMeter {
  /** The current turn; a connection's byte count restarts when it changes. */
  readonly turn: number;
  /** The bytes one connection may dispatch per turn before `exceeded` is called. */
  readonly budget: number;
  /** Reads dispatched, counted by the connections. */
  dispatched: number;
  /** Called by a connection's first read in a turn (the reactor schedules the turn's end). */
  turnStarted(): void;
  /** Called once per turn for a connection that went over the budget. */
  exceeded(connection: Connection): void;
}

/** `connection.flags` bits. */
const PAUSE_ON_BACKLOG = 1;
const BACKLOGGED = 2;
const BACKLOG_PAUSES = PAUSE_ON_BACKLOG | BACKLOGGED;
const READING = 4;
const INPUT_ENDED = 8;
const OUTPUT_ENDED = 16;
const CLOSING = 32;
/** Inside the sink's delivery of a read to the readers. */
const DELIVERING = 64;
/** A second write inside a delivery corked the transport until the delivery ends. */
const DELIVERY_CORKED = 128;

/** Which list a teardown leaves. */
const DATA = 0;
const READABLE = 1;
const WRITABLE = 2;
const CLOSED = 3;
const DEMAND = 4;
const DONE = -1;

/**
 * A subscriber list that holds one subscriber without an array (the common case) and more in one. Lists are
 * copied on change, never changed in place, so a delivery iterates the list it read without copying it first.
 */
type Subscribers<T> = Observer<T> | Observer<T>[] | undefined;

/**
 * What {@link Connection.subscribeData} delivers to: an RxJS subscriber, or `sendTo`'s writer.
 *
 * @internal
 */
export type DataObserver = Observer<Buffer>;

/**
 * The Observable behind {@link Connection.data$}; `sendTo` recognises it to subscribe its writer directly.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 *
 * listen({ port: 0 }).subscribe((connection) => {
 *   const input = connection.data$; // a ConnectionData: an Observable<Buffer> that knows its connection
 *   input.subscribe((chunk) => console.log(chunk.length));
 * });
 * ```
 *
 * @internal
 */
export class ConnectionData extends Observable<Buffer> {
  /**
   * @param connection whose input this is
   * @param subscribe subscribes a subscriber to the input
   */
  constructor(
    readonly connection: Connection,
    subscribe: (subscriber: Subscriber<Buffer>) => TeardownLogic,
  ) {
    super(subscribe);
  }
}

/** The parts of a connection that most connections never use, created on first use. */
interface RareState {
  readable$: Observable<Connection> | undefined;
  writable$: Observable<Connection> | undefined;
  closed$: Observable<ConnectionClosed> | undefined;
  demand$: Observable<DemandState> | undefined;
  readableSubscribers: Subscribers<Connection>;
  writableSubscribers: Subscribers<Connection>;
  closedSubscribers: Subscribers<ConnectionClosed>;
  demandSubscribers: Subscribers<DemandState>;
  leasedReader: ((chunks: readonly Buffer[]) => void) | undefined;
  leasedEnd: ((error: RxloopError | undefined) => void) | undefined;
  lingerTimer: { unsubscribe(): void } | undefined;
}

function addSubscriber<T>(list: Subscribers<T>, subscriber: Observer<T>): Subscribers<T> {
  if (list === undefined) return subscriber;
  return Array.isArray(list) ? [...list, subscriber] : [list, subscriber];
}

function removeSubscriber<T>(list: Subscribers<T>, subscriber: object): Subscribers<T> {
  if (list === subscriber) return undefined;
  if (!Array.isArray(list)) return list;
  const index = list.indexOf(subscriber as Observer<T>);
  if (index === -1) return list;
  const rest = list.slice();
  rest.splice(index, 1);
  return rest.length === 1 ? rest[0] : rest;
}

/** The subscribers of a list as an array the caller may keep (the list itself is emptied by the caller). */
function takeSubscribers<T>(list: Subscribers<T>): readonly Observer<T>[] {
  if (list === undefined) return NONE;
  return Array.isArray(list) ? list : [list];
}

const NONE: readonly never[] = [];
