import { Observable, Subject, type OperatorFunction, type Subscriber, type Unsubscribable } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import type { DigestWork } from './digestTask.js';
import { OutputLimit } from './OutputLimit.js';
import type { RespSession } from './RespSession.js';

/**
 * DIGESTs pending, and bytes of replies waiting behind them, past which the connection's reading is held. Below
 * them reading goes on, so that the end of the client's input is seen (and its DIGEST work cancelled) at once.
 */
export const DIGEST_HOLD_COUNT = 4;
export const DIGEST_HOLD_BYTES = 1024 * 1024;

/**
 * Bytes of replies one batch builds before it waits for the connection to take them (the sessions'
 * `outputBudget`): small replies to a whole read fit in one batch, and a read that asks for large ones is
 * answered as the socket drains.
 */
export const REPLY_BUDGET = 64 * 1024;

/** What {@link sessionReplies} needs to know of the connection it serves; each part is optional. */
export interface SessionRepliesOptions {
  /**
   * The connection: its reading is held while 4 DIGESTs or 1 MiB of replies behind them are pending (so one
   * client queues at most a few reads of them), and a subscriber's unsent output (`writableLength`) is judged by
   * `outputLimit`.
   */
  readonly connection?: Connection;
  /** The slow-subscriber bound; default Redis's pubsub limits (32 MiB hard, 8 MiB for 60 s). */
  readonly outputLimit?: OutputLimit;
}

/**
 * The RESP engine of a connection whose keyspace is in this process, as one stage: each chunk read goes through
 * `session.handle` and its replies leave as one Buffer (one write per read). It is `respReplies` and
 * `digestReplies` fused, so a read without DIGEST passes one subscriber between the input and the writer:
 * each DIGEST's work (with a `deferDigest` session) goes through `hash`, which may answer later (a worker pool),
 * and the replies behind it wait, so a connection's replies always leave in request order.
 *
 * Messages published to the session's channels leave through the same stage, in order with its replies. A
 * subscriber whose connection has more unsent output than `outputLimit` allows is disconnected: the stream errors
 * with `ERR_OVERLOADED`, as Redis closes a pubsub client over its `client-output-buffer-limit`.
 *
 * The stage is paced by the connection's output: a session with an `outputBudget` stops a batch past it, and
 * the rest of the read runs only while the connection can take more (`connection.shouldYield` false; else
 * `connection.whenReady`), its reading held meanwhile. So a read of 2,000 `GET`s of a 1 MB value from a client
 * that does not read builds about one budget's worth beyond the socket's high-water mark, not 2 GB.
 *
 * Completes once the session is `closing` (QUIT, a protocol error) or the input has ended, and every DIGEST's
 * reply is out; after `closing` it stops reading its input. Errors with the input, with `hash`, or when a command
 * has a bug (the server reports it and closes this connection only). `hash` is subscribed at the first DIGEST.
 * Unsubscribing closes the session (it leaves its channels and `state.clients`) and cancels the DIGEST work
 * still pending (`work.cancelled`); so does the end of the input, as Redis frees a client whose input has ended:
 * the replies before the first pending DIGEST are sent, the rest is dropped.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { sendTo } from 'rxloop/operators';
 * import { map, type Observable } from 'rxjs';
 * import { digest } from './digest.js';
 * import type { DigestWork } from './digestTask.js';
 * import { processState } from './processState.js';
 * import { RespSession } from './RespSession.js';
 * import { sessionReplies } from './sessionReplies.js';
 *
 * // DIGEST hashed inline; use offload to hash on the worker pool.
 * const hash = map((work: DigestWork) => Buffer.from(`$64\r\n${digest(work.value, work.rounds)}\r\n`, 'latin1'));
 * export default function handler(connection: Connection): Observable<never> {
 *   const session = new RespSession(processState, { deferDigest: true });
 *   return connection.data$.pipe(sessionReplies(session, hash), sendTo(connection));
 * }
 * ```
 *
 * @param session the connection's session (with `deferDigest`, or DIGEST runs inside `handle`)
 * @param hash from DIGEST work to its complete reply, one result per work in the same order
 * @param options the connection, and the slow-subscriber bound
 * @returns an operator from chunks read to reply bytes, in request order
 */
export function sessionReplies(
  session: RespSession,
  hash: OperatorFunction<DigestWork, Buffer>,
  options: SessionRepliesOptions = {},
): OperatorFunction<Buffer, Buffer> {
  return (source) =>
    new Observable<Buffer>((subscriber) => {
      const replies = new SessionReplies(session, hash, subscriber, options.connection, options.outputLimit);
      session.onPush = (frame) => replies.push(frame);
      const upstream = source.subscribe(replies);
      // Already closing (the source emitted a QUIT while we subscribed): stop reading at once.
      if (replies.inputDone) upstream.unsubscribe();
      else replies.upstream = upstream;
      return replies;
    });
}

/**
 * The observer of the input and the teardown of one subscription. One object with methods rather than closures:
 * the per-read path touches this object, the session and the subscriber, and nothing else.
 */
class SessionReplies {
  upstream: Unsubscribable | undefined;
  /** The input has completed, or the session is closing: complete once nothing waits. */
  inputDone = false;
  /**
   * Replies behind a DIGEST, in order; `undefined` marks a DIGEST whose reply has not come yet. Absent while
   * nothing waits, which is the hot path's only check. When present, its first entry is always a DIGEST.
   */
  private waiting: (Buffer | undefined)[] | undefined;
  /** DIGEST work towards `hash`, made at the first DIGEST. */
  private work: Subject<DigestWork> | undefined;
  private results: Unsubscribable | undefined;
  /** The work handed to `hash` and not yet answered, oldest first: cancelled if the connection goes. */
  private readonly pending: DigestWork[] = [];
  /** Releases the connection's reading, held while too much waits behind DIGESTs. */
  private release: (() => void) | undefined;
  private waitingBytes = 0;
  private limit: OutputLimit | undefined;
  /** Reads that came while a paused batch waited for the output, in order; present while it waits. */
  private later: Buffer[] | undefined;
  /** Cancels the wait for the connection to take more output. */
  private cancelWait: (() => void) | undefined;
  /** Releases the connection's reading, held while a paused batch waits. */
  private pacedRelease: (() => void) | undefined;
  /** The input ended while a paused batch waited: complete once it is done. */
  private sourceDone = false;

  constructor(
    private readonly session: RespSession,
    private readonly hash: OperatorFunction<DigestWork, Buffer>,
    private readonly subscriber: Subscriber<Buffer>,
    private readonly connection: Connection | undefined,
    limit: OutputLimit | undefined,
  ) {
    this.limit = limit;
  }

  next(chunk: Buffer): void {
    if (this.subscriber.closed || this.inputDone) return;
    // A paused batch goes first: this read waits behind it (the connection's reading is held meanwhile).
    if (this.later !== undefined) this.later.push(chunk);
    else this.run(chunk);
  }

  /** Runs one read's commands, then paces the rest if the session's output budget paused the batch. */
  private run(chunk: Buffer): void {
    const session = this.session;
    if (!this.step(chunk)) return;
    if (session.paused) this.pace();
    else if (session.closing) this.endInput();
  }

  /**
   * The batch stopped at the session's output budget: go on while the connection can take more (not over its
   * high-water mark, its turn's share not spent), else wait for it, holding its reading so that nothing more
   * is read meanwhile. Reads that arrived during the wait run once the batch is done.
   */
  private pace(): void {
    const session = this.session;
    const subscriber = this.subscriber;
    const connection = this.connection;
    for (;;) {
      while (session.paused) {
        if (subscriber.closed) return;
        if (this.waiting !== undefined && this.waitingBytes >= DIGEST_HOLD_BYTES) {
          // Replies pile up behind a DIGEST: its answer calls pace() again.
          this.holdPaced();
          return;
        }
        if (connection !== undefined && connection.shouldYield) {
          this.holdPaced();
          this.cancelWait = connection.whenReady(this.proceed);
          return;
        }
        if (!this.step(undefined) || subscriber.closed) return;
      }
      if (session.closing) {
        this.endInput();
        return;
      }
      const later = this.later;
      const chunk = later?.shift();
      if (chunk === undefined) break;
      if (!this.step(chunk)) return;
    }
    this.later = undefined;
    this.pacedRelease?.();
    this.pacedRelease = undefined;
    if (this.sourceDone) this.complete();
  }

  /** Runs `chunk`'s commands (or, without one, the rest of the paused batch) and sends their replies on. */
  private step(chunk: Buffer | undefined): boolean {
    const session = this.session;
    try {
      const replies = chunk === undefined ? session.resume() : session.handle(chunk);
      if (this.waiting !== undefined || session.deferred !== undefined) this.ordered(replies);
      else if (replies.length > 0) this.subscriber.next(replies);
      return true;
    } catch (error) {
      this.subscriber.error(error);
      return false;
    }
  }

  private readonly proceed = (): void => {
    this.cancelWait = undefined;
    this.pace();
  };

  /** Holds the connection's reading while a paused batch waits; reads already under way queue in `later`. */
  private holdPaced(): void {
    this.later ??= [];
    if (this.pacedRelease === undefined && this.connection !== undefined) this.pacedRelease = this.connection.hold();
  }

  error(error: unknown): void {
    this.subscriber.error(error);
  }

  complete(): void {
    // After a QUIT the input was let go; a synchronous source may still complete before it could be.
    if (this.inputDone) return;
    // A paused batch goes on as the client reads, then the stream completes.
    if (this.later !== undefined && this.waiting === undefined) {
      this.sourceDone = true;
      return;
    }
    // Redis frees a client at the end of its input: DIGEST work still pending has nobody to go to.
    this.stopPacing();
    if (this.waiting !== undefined) {
      for (const work of this.pending) work.cancelled = true;
      this.pending.length = 0;
      this.waiting = undefined;
      this.waitingBytes = 0;
    }
    this.endInput();
  }

  unsubscribe(): void {
    this.upstream?.unsubscribe();
    this.stopPacing();
    this.results?.unsubscribe();
    for (const work of this.pending) work.cancelled = true;
    this.pending.length = 0;
    this.release?.();
    this.release = undefined;
    this.session.onPush = undefined;
    this.session.close();
  }

  /** A message published to the session's channels: out in order, unless the subscriber is too far behind. */
  push(frame: Buffer): void {
    const subscriber = this.subscriber;
    if (subscriber.closed || this.inputDone) return;
    const connection = this.connection;
    if (connection !== undefined) {
      let queued = connection.writableLength + frame.length;
      if (this.waiting !== undefined) for (const reply of this.waiting) queued += reply?.length ?? 0;
      const failure = (this.limit ??= new OutputLimit()).check(queued);
      if (failure !== undefined) {
        subscriber.error(failure);
        return;
      }
    }
    if (this.waiting !== undefined) this.waiting.push(frame);
    else subscriber.next(frame);
  }

  /** The batch meets a DIGEST, or a DIGEST still waits: each reply takes its place in line. */
  private ordered(replies: Buffer): void {
    const session = this.session;
    for (;;) {
      if (replies.length > 0) {
        if (this.waiting === undefined) this.subscriber.next(replies);
        else {
          this.waiting.push(replies);
          this.waitingBytes += replies.length;
        }
      }
      const work = session.deferred;
      if (work === undefined) {
        this.holdIfBehind();
        return;
      }
      (this.waiting ??= []).push(undefined);
      this.pending.push(work);
      this.digests().next(work);
      // A failed hash ended the stream: the rest of the batch must not run.
      if (this.subscriber.closed) return;
      replies = session.resume();
    }
  }

  /** Holds the connection's reading while many DIGESTs, or many bytes behind them, are pending. */
  private holdIfBehind(): void {
    if (this.release !== undefined || this.connection === undefined || this.waiting === undefined) return;
    if (this.pending.length >= DIGEST_HOLD_COUNT || this.waitingBytes >= DIGEST_HOLD_BYTES) this.release = this.connection.hold();
  }

  private digests(): Subject<DigestWork> {
    if (this.work !== undefined) return this.work;
    const work = new Subject<DigestWork>();
    this.work = work;
    this.results = work.pipe(this.hash).subscribe({
      next: (reply) => this.answer(reply),
      error: (error: unknown) => this.subscriber.error(error),
    });
    return work;
  }

  /** `hash` answers in order, so `reply` belongs to the oldest DIGEST, the first entry waiting. */
  private answer(reply: Buffer): void {
    const waiting = this.waiting;
    if (waiting === undefined || waiting[0] !== undefined) return;
    const subscriber = this.subscriber;
    this.pending.shift();
    subscriber.next(reply);
    waiting.shift();
    while (waiting.length > 0 && waiting[0] !== undefined) {
      const next = waiting.shift()!;
      this.waitingBytes -= next.length;
      subscriber.next(next);
    }
    if (this.release !== undefined && this.pending.length < DIGEST_HOLD_COUNT && this.waitingBytes < DIGEST_HOLD_BYTES) {
      this.release();
      this.release = undefined;
    }
    if (waiting.length > 0) {
      if (this.session.paused && this.cancelWait === undefined && this.waitingBytes < DIGEST_HOLD_BYTES) this.pace();
      return;
    }
    this.waiting = undefined;
    this.waitingBytes = 0;
    if (this.inputDone) subscriber.complete();
    else if (this.session.paused && this.cancelWait === undefined) this.pace();
  }

  /** Drops a paused batch's wait: the connection or its input is gone. */
  private stopPacing(): void {
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.later = undefined;
    this.pacedRelease?.();
    this.pacedRelease = undefined;
  }

  private endInput(): void {
    if (this.inputDone) return;
    this.inputDone = true;
    // After a QUIT or a protocol error nothing more is read, even while a DIGEST's reply is on its way.
    this.upstream?.unsubscribe();
    this.work?.complete();
    if (this.waiting === undefined) this.subscriber.complete();
  }
}
