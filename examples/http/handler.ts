import { concatWith, of, type Observable } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { invalid } from '../../src/validate.js';
import type { Lease } from '../../operators/Lease.js';
import { proactor } from '../../operators/proactor.js';
import { sendTo } from '../../operators/sendTo.js';
import { appRouter } from './appRouter.js';
import { httpResponses } from './httpResponses.js';
import { lingeringClose } from './lingeringClose.js';

/** Options for {@link createHttpHandler}. */
export interface CreateHttpHandlerOptions {
  /**
   * Milliseconds a request head may take to arrive whole, from its first byte (for the first request, from the
   * accept); a slower client gets 408 and is closed (default 10 000).
   */
  readonly headerTimeout?: number;
  /**
   * Milliseconds a connection may stay silent between requests (keep-alive) or inside a body before it is
   * closed; it is cut after at least this and at most this plus the larger timeout (default 60 000).
   */
  readonly idleTimeout?: number;
  /**
   * When set, each connection reads through `proactor()` into a buffer of its own of this many bytes, leased to
   * the session for one call at a time, instead of through `connection.data$` (the default). Each connection
   * keeps that buffer for its whole life and the pages it touches stay resident (measured: about 10 KiB more per
   * idle keep-alive connection with 16 KiB); `data$` reads land in one buffer shared by all connections and are
   * copied out at their own size. Anything longer than the buffer takes several reads (4 KiB took about 1.5x
   * the CPU per 256 KiB upload of 16 KiB).
   */
  readonly readBufferSize?: number;
}

/** How long the output-ended connection is drained before it is closed (see lingeringClose). */
const LINGER_MS = 2000;

/**
 * Creates the example HTTP/1.1 server's connection handler: `connection.data$` → one HTTP session per
 * connection (the responses to each read as one buffer) → `sendTo(connection)`, with the header (slowloris)
 * and keep-alive idle timeouts on the connection's backend scheduler. When the session says so (`Connection:
 * close`, a rejected request, a timeout, the end of input) the output is ended after the last response, the
 * input is drained for up to two seconds, and the connection closes. Nothing outside the connection is
 * affected by what one client sends.
 *
 * Reads come from `connection.data$`, or with `readBufferSize` from `proactor()` into one buffer per
 * connection, leased to the session for the duration of one call and released at once.
 *
 * ## Example
 * ```ts
 * import { embeddedBackend, listen } from 'rxloop';
 * import { mergeMap } from 'rxjs';
 * import { createHttpHandler } from './handler.js';
 *
 * // In-process, on any backend (here the embedded one, whose scheduler also drives the timeouts).
 * const handler = createHttpHandler({ headerTimeout: 100, idleTimeout: 1000 });
 * listen({ port: 80, backend: embeddedBackend() }).pipe(mergeMap(handler)).subscribe();
 * ```
 *
 * @param options the header and idle timeouts, the read buffer size
 * @returns the handler: a connection in, the pipeline that serves it out
 * @throws RxloopError `ERR_INVALID_ARGUMENT` when a timeout is not a positive finite number, or the read buffer
 * size not a positive integer
 */
export function createHttpHandler(options: CreateHttpHandlerOptions = {}): (connection: Connection) => Observable<never> {
  const headerTimeout = checkTimeout('createHttpHandler headerTimeout', options.headerTimeout ?? 10_000);
  const idleTimeout = checkTimeout('createHttpHandler idleTimeout', options.idleTimeout ?? 60_000);
  const bufferSize = options.readBufferSize;
  if (bufferSize !== undefined && (!Number.isSafeInteger(bufferSize) || bufferSize < 1)) {
    throw invalid('createHttpHandler readBufferSize', 'a positive integer', bufferSize);
  }
  // One buffer per connection: it is posted for the next read as soon as the session returns the last one.
  const reads = bufferSize === undefined ? undefined : proactor({ bufferSize, buffers: 1, autoRelease: true });
  const handler = appRouter().handle;
  return (connection) => {
    const scheduler = connection.backend.scheduler;
    const input: Observable<Buffer | Lease> = reads === undefined ? connection.data$ : of(connection).pipe(reads);
    return input.pipe(
      httpResponses(connection, { handler, headerTimeout, idleTimeout, scheduler }),
      sendTo(connection, { onComplete: 'end' }),
      concatWith(lingeringClose(connection, LINGER_MS, scheduler)),
    );
  };
}

let current: { readonly key: string; readonly handler: (connection: Connection) => Observable<never> } | undefined;

/**
 * The handler module's default export, for `serve` and the `rxloop` CLI: {@link createHttpHandler} with the
 * default timeouts, which the environment variables `RXLOOP_HTTP_HEADER_TIMEOUT` and
 * `RXLOOP_HTTP_IDLE_TIMEOUT` (milliseconds) override. They are read per connection, not at import, so a
 * test can set them around the servers it starts (sub-reactor processes inherit them); that costs two
 * environment reads per connection and nothing per request.
 *
 * ## Example
 * ```ts
 * import { serve, singleReactor } from 'rxloop/schedulers';
 *
 * process.env.RXLOOP_HTTP_HEADER_TIMEOUT = '5000';
 * const server = await serve(new URL('./handler.js', import.meta.url), {
 *   host: '127.0.0.1',
 *   port: 8080,
 *   scheduler: singleReactor(),
 * });
 * ```
 *
 * @param connection the accepted connection
 * @returns the pipeline that serves it
 * @throws RxloopError `ERR_INVALID_ARGUMENT` when an environment variable is set to something other than a
 * positive number (the server reports it as a handler error and closes the connection)
 */
export default function httpHandler(connection: Connection): Observable<never> {
  const header = process.env.RXLOOP_HTTP_HEADER_TIMEOUT;
  const idle = process.env.RXLOOP_HTTP_IDLE_TIMEOUT;
  const key = `${header}|${idle}`;
  if (current?.key !== key) {
    current = {
      key,
      handler: createHttpHandler({
        headerTimeout: fromEnvironment('RXLOOP_HTTP_HEADER_TIMEOUT', header),
        idleTimeout: fromEnvironment('RXLOOP_HTTP_IDLE_TIMEOUT', idle),
      }),
    };
  }
  return current.handler(connection);
}

function fromEnvironment(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return checkTimeout(name, Number(value), value);
}

function checkTimeout(what: string, ms: number, raw: unknown = ms): number {
  if (typeof ms === 'number' && ms > 0 && Number.isFinite(ms)) return ms;
  throw invalid(what, 'a positive finite number of milliseconds', raw);
}
