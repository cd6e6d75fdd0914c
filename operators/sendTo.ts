import { Observable, type OperatorFunction, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ConnectionData, type DataObserver } from '../src/ConnectionData.js';
import { containError } from './containError.js';
import { whenWritable, withDemand, type Demand } from './demandContext.js';

/**
 * What {@link sendTo} does with the connection when its source completes.
 *
 * ## Example
 * ```ts
 * import { connect } from 'rxloop';
 * import { sendTo, type SendToCompletion } from 'rxloop/operators';
 * import { mergeMap, of } from 'rxjs';
 *
 * // Send one request, then half-close: the server sees the end of input and can still answer.
 * const onComplete: SendToCompletion = 'end';
 * connect({ port: 7000 })
 *   .pipe(mergeMap((connection) => of('GET /\n').pipe(sendTo(connection, { onComplete }))))
 *   .subscribe();
 * ```
 */
export type SendToCompletion = 'close' | 'end' | 'none';

/**
 * Options for {@link sendTo}.
 *
 * ## Example
 * ```ts
 * import { connect, listen } from 'rxloop';
 * import { handle, sendTo, type SendToOptions } from 'rxloop/operators';
 * import { merge, mergeMap } from 'rxjs';
 *
 * // A TCP proxy: a slow side pauses the other side's input, and the end of one input ends the other output.
 * listen({ port: 8080 }).pipe(
 *   handle((client) => connect({ host: '127.0.0.1', port: 80 }).pipe(mergeMap((target) => {
 *     const upstream: SendToOptions = { pause: [client], onComplete: 'end' };
 *     const downstream: SendToOptions = { pause: [target], onComplete: 'end' };
 *     return merge(client.data$.pipe(sendTo(target, upstream)), target.data$.pipe(sendTo(client, downstream)));
 *   }))),
 * ).subscribe();
 * ```
 */
export interface SendToOptions {
  /**
   * When the source completes: `'close'` flushes and closes the connection (default), `'end'` half-closes
   * output, `'none'` leaves it open.
   */
  readonly onComplete?: SendToCompletion;
  /**
   * Connections whose reading pauses while this one's write buffer is over its high-water mark (default: the
   * connection itself, right when the written values derive from its input). A proxy passes the other side,
   * so a slow target slows the client, not our memory; a client that uploads while it reads replies passes
   * `[]`, so that two peers writing at once cannot deadlock.
   */
  readonly pause?: readonly Connection[];
}

/**
 * Writes every value from the source to `connection`, and emits nothing.
 *
 * - **Batching**: an array value is written as one batch (one system call). Values written while the
 *   connection delivers a read of its own input (a reply computed from a request) leave together when that
 *   delivery ends, a single one as a plain write; other single values written in the same turn of the event
 *   loop are corked together and leave in one `writev` at the end of the turn.
 * - **Backpressure**: when the connection's write buffer goes over its high-water mark, reading pauses on the
 *   `pause` connections until it drains, so an echo or a proxy never buffers without bound.
 * - **Completion**: when the source completes, the connection is closed (or ended) after the queued bytes, and
 *   the returned Observable completes once the connection has closed. A write to a closed connection errors
 *   with `ERR_SOCKET_CLOSED`. A source error is passed on after the connection is ended the way the error
 *   demands: closed in order when the peer's input was at fault (a frame over its limit, a timeout), so what was
 *   written still arrives, and reset for anything else (a bug), so that the peer never takes a failure for a
 *   normal end (see `handle()`).
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { encodeLines, handle, lines, sendTo } from 'rxloop/operators';
 * import { map } from 'rxjs';
 *
 * // A line-based upper-casing server.
 * listen({ host: '127.0.0.1', port: 7008 }).pipe(
 *   handle((connection) => connection.data$.pipe(
 *     lines(),
 *     map((line) => line.toString().toUpperCase()),
 *     encodeLines(),
 *     sendTo(connection),
 *   )),
 * ).subscribe();
 * ```
 *
 * @param connection where to write
 * @param options what to do on completion, which connections to pause on backlog
 * @returns an operator that writes and emits nothing
 */
export function sendTo<T extends Uint8Array | string | readonly (Uint8Array | string)[]>(
  connection: Connection,
  options: SendToOptions = {},
): OperatorFunction<T, never> {
  const onComplete = options.onComplete ?? 'close';
  // `undefined`: the connection itself (no array per connection for the common case).
  const pauseTargets = options.pause;
  return (source) =>
    new Observable<never>((subscriber) => {
      // One object per subscription, with methods rather than closures: it is paid for by every idle connection.
      const writer = new Writer(connection, onComplete, pauseTargets, subscriber);
      // Straight from a connection's input (an echo, a proxy): the writer is that input's only subscriber layer.
      // Otherwise the writer offers its demand to a producer that can wait (`pull`) subscribed meanwhile.
      writer.source = source instanceof ConnectionData
        ? source.connection.subscribeData(writer as DataObserver)
        : withDemand(writer, () => source.subscribe(writer));
      return writer;
    });
}

type Writable = Uint8Array | string | readonly (Uint8Array | string)[];

/**
 * The observer `sendTo` subscribes to its source, the teardown of its subscription, and the demand it offers a
 * producer that can wait: more is wanted while the connection is writable.
 */
class Writer implements Demand {
  /** The source subscription (set right after subscribing). */
  source: Unsubscribable | undefined;
  private corked = false;
  private releases: (() => void)[] | undefined;
  private drainWatch: Subscription | undefined;
  private closedWatch: Subscription | undefined;
  /** The end-of-turn uncork, bound once on first use. */
  private uncorkAtEndOfTurn: (() => void) | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly onComplete: SendToCompletion,
    private readonly pauseTargets: readonly Connection[] | undefined,
    private readonly subscriber: Subscriber<never>,
  ) {}

  get wanted(): boolean {
    return !this.subscriber.closed && this.connection.isWritable;
  }

  whenWanted(callback: () => void): () => void {
    return whenWritable(this.connection, callback);
  }

  next(value: Writable): void {
    if (this.subscriber.closed) return;
    try {
      this.write(value);
    } catch (error) {
      // The teardown releases what we hold and unsubscribes the source.
      this.subscriber.error(error);
    }
  }

  error(error: unknown): void {
    this.source?.unsubscribe();
    this.finish(error);
  }

  complete(): void {
    this.source?.unsubscribe();
    this.finish(undefined);
  }

  unsubscribe(): void {
    this.source?.unsubscribe();
    this.uncork();
    this.releaseHolds();
    this.closedWatch?.unsubscribe();
  }

  private write(value: Writable): void {
    const connection = this.connection;
    if (typeof value === 'string' || value instanceof Uint8Array) {
      // Inside the delivery of this connection's own input the connection batches the writes itself.
      if (!this.corked && !connection.isDelivering) {
        this.corked = true;
        connection.cork();
        connection.backend.endOfTurn((this.uncorkAtEndOfTurn ??= () => this.uncork()));
      }
      if (!connection.write(value)) this.onBacklog();
      return;
    }
    const batch = value as readonly (Uint8Array | string)[];
    if (batch.length === 0) return;
    if (batch.length === 1) {
      if (!connection.write(batch[0]!)) this.onBacklog();
      return;
    }
    let ok = true;
    connection.cork();
    try {
      for (let i = 0; i < batch.length; i++) ok = connection.write(batch[i]!) && ok;
    } finally {
      connection.uncork();
    }
    if (!ok) this.onBacklog();
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.connection.uncork();
  }

  private onBacklog(): void {
    if (this.releases !== undefined) return;
    // What we write derives from what the pause targets read (by default our own input, as in an echo or a
    // request/response protocol): stop feeding the backlog until the drain.
    this.releases = this.pauseTargets === undefined
      ? [this.connection.hold()]
      : this.pauseTargets.map((target) => target.hold());
    this.drainWatch = this.connection.writable$.subscribe(() => {
      if (this.connection.demand.writable) this.releaseHolds();
    });
  }

  private releaseHolds(): void {
    this.drainWatch?.unsubscribe();
    this.drainWatch = undefined;
    const held = this.releases;
    this.releases = undefined;
    if (held !== undefined) for (const release of held) release();
  }

  private finish(error: unknown): void {
    this.uncork();
    this.releaseHolds();
    const { connection, onComplete, subscriber } = this;
    if (error !== undefined) {
      // Closed in order when the peer's input was at fault (so an error reply still goes out), reset otherwise;
      // with 'none' the connection stays its owner's.
      if (onComplete !== 'none') containError(connection, error);
      subscriber.error(error);
      return;
    }
    if (onComplete === 'close') connection.close();
    else if (onComplete === 'end') connection.end();
    if (onComplete === 'close') this.closedWatch = connection.closed$.subscribe(() => subscriber.complete());
    else subscriber.complete();
  }
}
