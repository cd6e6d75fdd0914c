import { ErrorCode, RxloopError } from '../../src/errors.js';
import type { HttpDate } from './HttpDate.js';
import type { HttpHandler } from './HttpHandler.js';
import { ConnectionMode } from './httpHead.js';
import { HttpRequestParser } from './HttpRequestParser.js';
import type { HttpLimits } from './HttpRequestParser.js';
import { HttpResponseWriter } from './HttpResponseWriter.js';

/**
 * Options of an {@link HttpSession}.
 *
 * ## Example
 * ```ts
 * import { appRouter } from './appRouter.js';
 * import { HttpDate } from './HttpDate.js';
 * import { HttpSession } from './HttpSession.js';
 *
 * const date = new HttpDate(); // one per thread, shared by its sessions
 * const session = new HttpSession(appRouter().handle, { date, limits: { maxHeadBytes: 8192 } });
 * ```
 */
export interface HttpSessionOptions {
  /** Parser limits; see {@link HttpRequestParser.defaultLimits}. */
  limits?: Partial<HttpLimits>;
  /** The Date source; share one among a thread's sessions. Tests pass one with a fixed clock. */
  date?: HttpDate;
}

/**
 * The HTTP/1.1 engine of one connection, without the socket: give it each read, write what it returns, and
 * close when {@link HttpSession.closing} says so. One call handles every complete request in the read
 * (pipelining) and returns all their responses in one buffer, in order.
 *
 * Keep-alive: HTTP/1.1 stays open unless the request says `Connection: close`; HTTP/1.0 closes unless it says
 * `Connection: keep-alive`. A rejected request (400, 413, 431, 501, 505), a handler that throws or does not
 * answer (500) and a timeout (408) get an error response with `Connection: close`, and nothing after them is read.
 * When the server stops ({@link HttpSession.drain}) an idle connection closes at once and the request under way
 * gets the last response, with `Connection: close`.
 *
 * ## Example
 * ```ts
 * import { appRouter } from './appRouter.js';
 * import { HttpSession } from './HttpSession.js';
 *
 * const session = new HttpSession(appRouter().handle);
 * const out = session.receive(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n'));
 * // write `out` (two responses) to the socket; then, if session.closing, end the socket.
 * ```
 */
export class HttpSession {
  /** Why the session closes abnormally: the parse error, the handler's failure (cause), or a timeout. */
  error: RxloopError | undefined = undefined;
  private readonly parser: HttpRequestParser;
  private readonly writer: HttpResponseWriter;
  private readonly handler: HttpHandler;
  private closed = false;
  /** The server is stopping: the next response is the last (`Connection: close`). */
  private draining = false;

  /**
   * @param handler answers each request, usually `router.handle`
   * @param options limits and the Date source
   */
  constructor(handler: HttpHandler, options: HttpSessionOptions = {}) {
    this.handler = handler;
    this.parser = new HttpRequestParser(options.limits);
    this.writer = new HttpResponseWriter(options.date);
  }

  /** Whether to close the connection once the bytes returned so far are written. */
  get closing(): boolean {
    return this.closed;
  }

  /**
   * Where the connection stands. `'head'` means part of a request head arrived and not the rest: the state a
   * slowloris timeout watches (start the timer when it appears, clear it when it goes). `'body'` means a head
   * arrived and its body is incomplete; `'idle'` is between requests (a keep-alive idle timeout's state).
   */
  get progress(): 'idle' | 'head' | 'body' | 'closed' {
    if (this.closed) return 'closed';
    const progress = this.parser.progress;
    return progress === 'failed' ? 'closed' : progress;
  }

  /**
   * Handles one socket read.
   *
   * @param chunk the bytes read; not kept after the call returns, so a reused read buffer is fine
   * @returns the bytes to write (never changed afterwards; write or keep them, do not modify them), or `null`
   * when there is nothing to write yet
   */
  receive(chunk: Buffer): Buffer | null {
    if (this.closed) return null;
    const parser = this.parser;
    const writer = this.writer;
    writer.startBatch();
    parser.push(chunk);
    for (;;) {
      const request = parser.next();
      if (request === null) {
        const failure = parser.failure;
        if (failure !== undefined) {
          writer.begin(ConnectionMode.CLOSE, false);
          writer.writeError(failure.status);
          this.close(failure.error);
        } else if (parser.takeContinue()) writer.writeContinue();
        break;
      }
      const keepAlive = request.keepAlive && !this.draining;
      const mode = !keepAlive ? ConnectionMode.CLOSE : request.versionMinor === 1 ? ConnectionMode.KEEP_ALIVE : ConnectionMode.KEEP_ALIVE_10;
      writer.begin(mode, request.method === 'HEAD');
      try {
        this.handler(request, writer);
        if (!writer.responded) {
          throw new RxloopError(ErrorCode.TASK_FAILED, `expected the handler of ${request.method} ${request.path} to send a response, got none`);
        }
      } catch (error) {
        // Whatever the handler wrote before throwing is dropped, so the client sees exactly one response.
        writer.rollback();
        writer.writeError(500);
        this.close(
          error instanceof RxloopError && error.code === ErrorCode.TASK_FAILED
            ? error
            : new RxloopError(ErrorCode.TASK_FAILED, `expected the handler of ${request.method} ${request.path} to answer, got an exception`, { cause: error }),
        );
        break;
      }
      if (!keepAlive) {
        this.closed = true;
        break;
      }
    }
    return writer.take();
  }

  /**
   * Ends the session because its timer fired. A partly received request gets `408` (the slowloris case);
   * an idle keep-alive connection just closes.
   *
   * @returns the bytes to write before closing, or `null` to close at once
   */
  timeout(): Buffer | null {
    if (this.closed) return null;
    const progress = this.parser.progress;
    this.closed = true;
    if (progress === 'idle') return null;
    this.error = new RxloopError(ErrorCode.TIMEOUT, `expected a complete request before the timeout, got part of its ${progress}`);
    this.writer.startBatch();
    this.writer.begin(ConnectionMode.CLOSE, false);
    this.writer.writeError(408);
    return this.writer.take();
  }

  /**
   * The server is stopping: an idle connection closes at once (returns `true`); otherwise the request under way
   * is answered with `Connection: close` and the session closes after it, so no request is cut off and none after
   * it is taken.
   *
   * @returns whether to close the connection at once
   */
  drain(): boolean {
    if (this.closed) return true;
    this.draining = true;
    if (this.parser.progress !== 'idle') return false;
    this.closed = true;
    return true;
  }

  private close(error: RxloopError): void {
    this.closed = true;
    this.error = error;
  }
}
