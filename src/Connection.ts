import { Observable, Subscriber } from 'rxjs';
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
    return (this.lazyReadable ??= this.makeReadable());
  }

  /**
   * Readiness events: emits this connection when a write would be accepted without backlog: at once on
   * subscribe when that is already so, and after each drain. Completes when output closes.
   */
  get writable$(): Observable<Connection> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.lazyWritable ??= this.makeWritable());
  }

  /** Emits once, when the connection is closed for good, then completes (late subscribers get it at once). */
  get closed$(): Observable<ConnectionClosed> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.lazyClosed ??= this.makeClosed());
  }

  /** Emits the flow-control state at once and on every change of `reading` or `writable`. */
  get demand$(): Observable<DemandState> {
    // Created on first use: most connections never touch most of these, and idle connections are many.
    return (this.lazyDemand ??= this.makeDemand());
  }

  private readonly transport: Transport;
  private lazyData: Observable<Buffer> | undefined;
  private lazyReadable: Observable<Connection> | undefined;
  private lazyWritable: Observable<Connection> | undefined;
  private lazyClosed: Observable<ConnectionClosed> | undefined;
  private lazyDemand: Observable<DemandState> | undefined;
  private readonly pauseOnBacklog: boolean;
  private readonly dataSubscribers: Subscriber<Buffer>[] = [];
  private readonly readableSubscribers: Subscriber<Connection>[] = [];
  private readonly writableSubscribers: Subscriber<Connection>[] = [];
  private readonly closedSubscribers: Subscriber<ConnectionClosed>[] = [];
  private readonly demandSubscribers: Subscriber<DemandState>[] = [];
  private leasedReader: ((chunks: readonly Buffer[]) => void) | undefined;
  private leasedEnd: ((error: RxloopError | undefined) => void) | undefined;
  private mode: ReadMode | undefined;
  private readers = 0;
  private holds = 0;
  private backlogged = false;
  private reading = false;
  private inputEnded = false;
  private outputEnded = false;
  private closedWith: ConnectionClosed | undefined;
  private meter: ((bytes: number) => void) | undefined;
  private closing = false;
  private lingerTimer: { unsubscribe(): void } | undefined;
  private closeCallbacks: ((closed: ConnectionClosed) => void)[] | undefined;

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
    this.pauseOnBacklog = options.pauseReadingOnWriteBacklog ?? false;






    transport.attach(this.sink());
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
    return this.inputEnded;
  }

  /** Whether our output is ended (by `end`, `close` or `abort`). */
  get isOutputEnded(): boolean {
    return this.outputEnded;
  }

  /** Total bytes received. */
  get bytesRead(): number {
    return this.transport.bytesRead;
  }

  /** Total bytes handed to the operating system. */
  get bytesWritten(): number {
    return this.transport.bytesWritten;
  }

  /** Bytes written and not yet handed to the operating system. */
  get writableLength(): number {
    return this.transport.writableLength;
  }

  /** The flow-control state now; {@link Connection.demand$} reports its changes. */
  get demand(): DemandState {
    return {
      reading: this.reading,
      readers: this.readers,
      holds: this.holds + (this.backlogged && this.pauseOnBacklog ? 1 : 0),
      writable: !this.backlogged,
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
    if (bytes !== null && this.meter !== undefined) this.meter(bytes.length);
    return bytes;
  }

  /**
   * Queues bytes for the peer. Returns `false` when the write buffer is over its high-water mark: the bytes are
   * still queued, but the writer should wait for {@link Connection.writable$}. (`sendTo` does the waiting for
   * you, and pauses the reading that feeds it meanwhile.)
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
    if (this.outputEnded || this.closedWith !== undefined) {
      throw new RxloopError(
        ErrorCode.SOCKET_CLOSED,
        `write expected an open connection, but connection ${this.id} is ${this.closedWith ? 'closed' : 'ended for output'}`,
      );
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const accepted = this.transport.write(bytes);
    if (!accepted && !this.backlogged) {
      this.backlogged = true;
      this.updateReading(true);
    }
    return accepted;
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
    if (this.closedWith === undefined) this.transport.cork();
  }

  /** Releases writes held by {@link Connection.cork}. */
  uncork(): void {
    if (this.closedWith === undefined) this.transport.uncork();
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
    if (this.outputEnded || this.closedWith !== undefined) return;
    this.outputEnded = true;
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
    if (linger !== undefined && this.lingerTimer === undefined) {
      this.lingerTimer = this.backend.scheduler.schedule(() => this.abort(), linger);
    }
    if (this.closing) return;
    this.closing = true;
    this.outputEnded = true;
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
    this.outputEnded = true;
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
    if (this.inputEnded || this.closedWith !== undefined) {
      onEnd(this.closedWith?.error);
      return () => undefined;
    }
    if (this.leasedReader !== undefined || (this.readers > 0 && this.mode !== 'leased')) {
      throw this.modeConflict('leased');
    }
    if (this.mode !== 'leased') this.transport.setReadMode('leased', source);
    this.mode = 'leased';
    this.leasedReader = onChunks;
    this.leasedEnd = onEnd;
    this.readers++;
    this.updateReading(true);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (this.leasedReader === onChunks) {
        this.leasedReader = undefined;
        this.leasedEnd = undefined;
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
    if (this.reading && this.closedWith === undefined) this.transport.setReading(true);
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
    else (this.closeCallbacks ??= []).push(callback);
  }

  /**
   * Installs a callback told the byte count of every read this connection dispatches; reactors use it to
   * enforce their per-turn fairness budget and to count events.
   *
   * @internal
   */
  setMeter(meter: ((bytes: number) => void) | undefined): void {
    this.meter = meter;
  }

  private makeData(): Observable<Buffer> {
    return new Observable<Buffer>((subscriber) => {
      if (this.inputEnded || this.closedWith !== undefined) {
        this.finishReader(subscriber);
        return;
      }
      if (!this.addReader(subscriber, 'completion')) return;
      this.dataSubscribers.push(subscriber);
      return () => {
        remove(this.dataSubscribers, subscriber);
        this.removeReader();
      };
    });
  }

  private makeReadable(): Observable<Connection> {
    return new Observable<Connection>((subscriber) => {
      if (this.inputEnded || this.closedWith !== undefined) {
        if (this.transport.readableLength > 0) subscriber.next(this);
        this.finishReader(subscriber);
        return;
      }
      if (!this.addReader(subscriber, 'readiness')) return;
      this.readableSubscribers.push(subscriber);
      if (this.transport.readableLength > 0) subscriber.next(this);
      return () => {
        remove(this.readableSubscribers, subscriber);
        this.removeReader();
      };
    });
  }

  private makeWritable(): Observable<Connection> {
    return new Observable<Connection>((subscriber) => {
      if (this.outputEnded || this.closedWith !== undefined) {
        subscriber.complete();
        return;
      }
      this.writableSubscribers.push(subscriber);
      if (!this.backlogged) subscriber.next(this);
      return () => remove(this.writableSubscribers, subscriber);
    });
  }

  private makeClosed(): Observable<ConnectionClosed> {
    return new Observable<ConnectionClosed>((subscriber) => {
      if (this.closedWith !== undefined) {
        subscriber.next(this.closedWith);
        subscriber.complete();
        return;
      }
      this.closedSubscribers.push(subscriber);
      return () => remove(this.closedSubscribers, subscriber);
    });
  }

  private makeDemand(): Observable<DemandState> {
    return new Observable<DemandState>((subscriber) => {
      subscriber.next(this.demand);
      if (this.closedWith !== undefined) {
        subscriber.complete();
        return;
      }
      this.demandSubscribers.push(subscriber);
      return () => remove(this.demandSubscribers, subscriber);
    });
  }

  private sink(): TransportSink {
    return {
      readable: () => {
        for (const subscriber of this.readableSubscribers.slice()) subscriber.next(this);
      },
      completed: (chunks) => {
        if (this.meter !== undefined) {
          let bytes = 0;
          for (let i = 0; i < chunks.length; i++) bytes += chunks[i]!.length;
          this.meter(bytes);
        }
        if (this.leasedReader !== undefined) {
          this.leasedReader(chunks);
          return;
        }
        const subscribers = this.dataSubscribers;
        if (subscribers.length === 1) {
          const only = subscribers[0]!;
          for (let i = 0; i < chunks.length; i++) only.next(chunks[i]!);
          return;
        }
        const copy = subscribers.slice();
        for (let i = 0; i < chunks.length; i++) for (const subscriber of copy) subscriber.next(chunks[i]!);
      },
      writable: () => {
        if (!this.backlogged) return;
        this.backlogged = false;
        this.updateReading(true);
        for (const subscriber of this.writableSubscribers.slice()) subscriber.next(this);
      },
      ended: () => {
        if (this.inputEnded) return;
        this.inputEnded = true;
        this.endReaders(undefined);
        this.updateReading(true);
      },
      closed: (error) => {
        if (this.closedWith !== undefined) return;
        this.closedWith = { error };
        this.lingerTimer?.unsubscribe();
        this.lingerTimer = undefined;
        this.outputEnded = true;
        this.reading = false;
        if (!this.inputEnded) {
          this.inputEnded = true;
          this.endReaders(error);
        }
        this.completeWritable();
        const callbacks = this.closeCallbacks;
        this.closeCallbacks = undefined;
        if (callbacks !== undefined) for (const callback of callbacks) callback(this.closedWith);
        for (const subscriber of this.closedSubscribers.splice(0)) {
          subscriber.next(this.closedWith);
          subscriber.complete();
        }
        const demand = this.demand;
        for (const subscriber of this.demandSubscribers.splice(0)) {
          subscriber.next(demand);
          subscriber.complete();
        }
      },
    };
  }

  private addReader(subscriber: Subscriber<unknown>, mode: ReadMode): boolean {
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

  private finishReader(subscriber: Subscriber<unknown>): void {
    const error = this.closedWith?.error;
    if (error !== undefined) subscriber.error(error);
    else subscriber.complete();
  }

  private endReaders(error: RxloopError | undefined): void {
    for (const subscriber of this.dataSubscribers.splice(0)) {
      if (error !== undefined) subscriber.error(error);
      else subscriber.complete();
    }
    for (const subscriber of this.readableSubscribers.splice(0)) {
      if (error !== undefined) subscriber.error(error);
      else subscriber.complete();
    }
    const leasedEnd = this.leasedEnd;
    this.leasedReader = undefined;
    this.leasedEnd = undefined;
    leasedEnd?.(error);
  }

  private completeWritable(): void {
    for (const subscriber of this.writableSubscribers.splice(0)) subscriber.complete();
  }

  private updateReading(notify: boolean): void {
    const blocked = this.holds > 0 || (this.backlogged && this.pauseOnBacklog);
    const want = this.readers > 0 && !blocked && !this.inputEnded && this.closedWith === undefined;
    if (want === this.reading) {
      if (notify && this.demandSubscribers.length > 0) this.publishDemand();
      return;
    }
    this.reading = want;
    if (this.closedWith === undefined) this.transport.setReading(want);
    if (notify && this.demandSubscribers.length > 0) this.publishDemand();
  }

  private publishDemand(): void {
    const demand = this.demand;
    for (const subscriber of this.demandSubscribers.slice()) subscriber.next(demand);
  }
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index !== -1) list.splice(index, 1);
}
