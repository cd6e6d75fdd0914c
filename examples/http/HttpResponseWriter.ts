import { ErrorCode, RxloopError } from '../../src/errors.js';
import { HttpDate } from './HttpDate.js';
import { HttpPreparedResponse } from './HttpPreparedResponse.js';
import { ConnectionMode, assertHeaderValue, assertStatus, formatHead, formatHeaderLines, reasonPhrase } from './httpHead.js';

// Batches are written straight into an arena shared by all writers of the thread and handed out as views, never
// copied: Node's Buffer pool idea, with a bigger slab because allocating any slab costs ~0.8 us. The arena only
// moves forward, so handed-out bytes are never overwritten; a full arena is replaced and lives on through its
// views until the sockets wrote them. Sharing is safe because a batch runs synchronously from startBatch() to
// take() (HttpSession.receive), so two writers never interleave.
const ARENA_BYTES = 16 * 1024;
const arena: { buffer: Buffer; offset: number } = { buffer: Buffer.allocUnsafeSlow(ARENA_BYTES), offset: 0 };
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
// Error responses are prepared once per status and shared by every writer.
const errorResponses = new Map<number, HttpPreparedResponse>();
let sharedDate: HttpDate | undefined;

/**
 * Writes the responses of one batch (one socket read, possibly many pipelined requests) into one output buffer.
 * A handler calls {@link HttpResponseWriter.send} or {@link HttpResponseWriter.sendPrepared} exactly once per
 * request; the session decides keep-alive, HEAD and the `Date` value, and takes the bytes when the batch is done.
 *
 * ## Example
 * ```ts
 * import { HttpRouter } from './HttpRouter.js';
 *
 * const router = new HttpRouter().on('GET', '/json', (_request, response) => {
 *   response.send(200, 'application/json', JSON.stringify({ message: 'Hello, World!' }));
 * });
 * ```
 */
export class HttpResponseWriter {
  /** @internal The date stamped on every response; refreshed once per batch. */
  readonly date: HttpDate;
  // Outside a batch `out` is empty, so a write without startBatch() lands in fresh memory, never on bytes
  // another writer handed out.
  private out: Buffer = EMPTY;
  // The batch being written is out[start, length); the current response began at mark.
  private start = 0;
  private length = 0;
  private mark = 0;
  // A prepared response that is, so far, the whole batch: not copied yet, because a batch of exactly one (one
  // request in the read, the common keep-alive case) is taken as those bytes themselves. Anything written
  // after it copies it into `out` first.
  private single: Buffer | undefined = undefined;
  private connection: ConnectionMode = ConnectionMode.KEEP_ALIVE;
  private head = false;
  private done = false;
  private lastContentType = '';

  /**
   * @param date the Date source (default: one shared by all writers of the thread that use the default)
   */
  constructor(date: HttpDate = (sharedDate ??= new HttpDate())) {
    this.date = date;
  }

  /** Whether the current request has its response. @internal */
  get responded(): boolean {
    return this.done;
  }

  /**
   * Starts a batch: refreshes the Date at most once per second of the clock.
   *
   * @internal
   */
  startBatch(): void {
    this.date.refresh();
    this.single = undefined;
    this.out = arena.buffer;
    this.start = this.length = this.mark = arena.offset;
  }

  /**
   * Starts the response to one request.
   *
   * @internal
   * @param connection keep-alive 1.1, keep-alive 1.0 or close
   * @param head whether the request was HEAD (headers with the GET Content-Length, no body)
   */
  begin(connection: ConnectionMode, head: boolean): void {
    if (this.single !== undefined) this.spill();
    this.connection = connection;
    this.head = head;
    this.done = false;
    this.mark = this.length;
  }

  /**
   * Drops whatever the current request wrote (its handler threw after writing), so a 500 can replace it.
   *
   * @internal
   */
  rollback(): void {
    // begin() spilled any earlier response, so a single response still held is the current one's.
    this.single = undefined;
    this.length = this.mark;
    this.done = false;
  }

  /**
   * Writes a complete response with a Content-Length body.
   *
   * @param status a final status from 200 to 599, other than 204 and 304
   * @param contentType the Content-Type value
   * @param body the body; a string is encoded as UTF-8. Copied at once, so a view of the request may be passed
   * @param headers extra header lines (not Content-Length, Content-Type, Connection, Date, Transfer-Encoding)
   */
  send(
    status: number,
    contentType: string,
    body: string | Uint8Array,
    headers?: ReadonlyArray<readonly [string, string]>,
  ): void {
    this.claim();
    assertStatus(status);
    // Handlers pass the same literal again and again; check each distinct string once.
    if (contentType !== this.lastContentType) {
      assertHeaderValue('Content-Type', contentType);
      this.lastContentType = contentType;
    }
    const lines = headers === undefined ? '' : formatHeaderLines(headers);
    const bodyLength = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
    const head = formatHead(status, this.date.value, this.connection, contentType, bodyLength, lines);
    if (this.single !== undefined) this.spill();
    this.reserve(head.length + (this.head ? 0 : bodyLength));
    this.length += this.out.write(head, this.length, 'latin1');
    if (this.head || bodyLength === 0) return;
    if (typeof body === 'string') this.length += this.out.write(body, this.length, 'utf8');
    else {
      this.out.set(body, this.length);
      this.length += bodyLength;
    }
  }

  /**
   * Writes a prepared response: one copy, no formatting.
   *
   * @param response the prepared response
   */
  sendPrepared(response: HttpPreparedResponse): void {
    this.claim();
    const bytes = response.bytes(this.connection, this.head, this.date);
    // Prepared bytes never change once handed out, so the first response of a batch is kept, not copied.
    if (this.length === this.start && this.single === undefined) this.single = bytes;
    else this.put(bytes);
  }

  /**
   * Writes an error response with a plain-text reason as body and `Connection: close`; the session closes after.
   *
   * @internal
   * @param status 400, 408, 413, 431, 500, 501, 505 or another final status
   */
  writeError(status: number): void {
    let response = errorResponses.get(status);
    if (response === undefined) {
      response = new HttpPreparedResponse(status, 'text/plain', reasonPhrase(status) || 'Error');
      errorResponses.set(status, response);
    }
    this.connection = ConnectionMode.CLOSE;
    this.done = true;
    this.put(response.bytes(ConnectionMode.CLOSE, this.head, this.date));
  }

  /**
   * Writes `100 Continue`: the client sent `Expect: 100-continue` and waits before sending its body.
   *
   * @internal
   */
  writeContinue(): void {
    this.put(CONTINUE);
  }

  /**
   * Takes the batch's bytes. They never change afterwards (the writer never writes to them again), so the caller
   * may keep them (they may sit in a socket's write queue); it must not modify them: a batch of one prepared
   * response is that response's shared bytes.
   *
   * @internal
   * @returns the bytes, or `null` when the batch wrote nothing
   */
  take(): Buffer | null {
    const single = this.single;
    if (single !== undefined) {
      // The batch is that one prepared response and nothing else (see sendPrepared).
      this.single = undefined;
      this.out = EMPTY;
      this.start = this.length = this.mark = 0;
      return single;
    }
    const out = this.out;
    const start = this.start;
    const end = this.length;
    this.out = EMPTY;
    this.start = this.length = this.mark = 0;
    if (end === start) return null;
    // The next batch starts 8-byte aligned, like Node's own buffer pool.
    if (out === arena.buffer) arena.offset = (end + 7) & ~7;
    return out.subarray(start, end);
  }

  private claim(): void {
    if (this.done) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected one response per request, got a second');
    }
    this.done = true;
  }

  /** Copies the held single response into `out`, so that more can follow it. */
  private spill(): void {
    const single = this.single!;
    this.single = undefined;
    this.put(single);
  }

  private put(bytes: Uint8Array): void {
    if (this.single !== undefined) this.spill();
    this.reserve(bytes.length);
    this.out.set(bytes, this.length);
    this.length += bytes.length;
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.out.length) return;
    // Move the batch so far to new memory: a fresh shared arena, or for a large batch (a big echo) a buffer of
    // its own, so one large response does not leave a large arena behind for everyone.
    const batch = this.length - this.start;
    const size = batch + bytes;
    let grown: Buffer;
    if (size <= ARENA_BYTES / 2) {
      grown = Buffer.allocUnsafeSlow(ARENA_BYTES);
      arena.buffer = grown;
      arena.offset = 0;
    } else {
      grown = Buffer.allocUnsafeSlow(Math.max(size, 2 * batch));
    }
    this.out.copy(grown, 0, this.start, this.length);
    this.mark -= this.start;
    this.start = 0;
    this.length = batch;
    this.out = grown;
  }
}
