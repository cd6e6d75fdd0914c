import { ErrorCode, RxloopError } from '../../src/errors.js';
import { HttpBodyBuffer } from './HttpBodyBuffer.js';
import { HttpChunkedDecoder } from './HttpChunkedDecoder.js';
import { HttpHeadScanner } from './HttpHeadScanner.js';
import { FAILED, NEED_MORE, httpParseFailure } from './HttpParseFailure.js';
import type { HttpParseFailure } from './HttpParseFailure.js';
import { HttpRequest } from './HttpRequest.js';

/**
 * Limits the parser enforces; each has a default (see {@link HttpRequestParser.defaultLimits}).
 *
 * ## Example
 * ```ts
 * import { appRouter } from './appRouter.js';
 * import { HttpSession } from './HttpSession.js';
 *
 * // An API that takes small JSON bodies only.
 * const session = new HttpSession(appRouter().handle, { limits: { maxBodyBytes: 64 * 1024, maxHeaders: 50 } });
 * ```
 */
export interface HttpLimits {
  /** Request line plus headers, in bytes (431). Also bounds the trailers (431) and the chunk extensions (413). */
  maxHeadBytes: number;
  /** Header lines per request (431); also trailer lines per body. */
  maxHeaders: number;
  /** Body bytes, Content-Length or de-chunked (413). */
  maxBodyBytes: number;
}

const EMPTY = Buffer.alloc(0);
const IDLE = 0; // between requests
const HEAD = 1; // part of a head arrived; it is kept in `scratch`
const BODY = 2; // Content-Length body
const CHUNKED = 3; // chunked body
const DEAD = 4; // failed; everything after is ignored

/**
 * An incremental, strict HTTP/1.1 request parser for one connection. Feed it each socket read with
 * {@link HttpRequestParser.push}, then call {@link HttpRequestParser.next} until it returns `null`: it returns
 * every complete request in the read (pipelining) and keeps what a partial request needs across reads.
 *
 * Strict like llhttp's default mode, CRLF only (bare CR and bare LF are 400); see HttpHeadScanner for the
 * rules. A rejection is data, in {@link HttpRequestParser.failure}, and ends the connection's parsing.
 *
 * Zero-copy where it can be: a request that arrives whole is parsed in the read buffer itself, and its
 * {@link HttpRequest} (one instance, reused) views it. Whatever must outlive a read (a partial head, a head
 * whose body is still coming, a partial body) is copied, so the caller may reuse its read buffer as soon as
 * `next()` returns `null`.
 *
 * ## Example
 * ```ts
 * import { HttpRequestParser } from './HttpRequestParser.js';
 *
 * const parser = new HttpRequestParser();
 * parser.push(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n'));
 * for (let request = parser.next(); request !== null; request = parser.next()) {
 *   console.log(request.method, request.path); // GET /a, then GET /b
 * }
 * if (parser.failure) console.log(parser.failure.status, parser.failure.code);
 * ```
 */
export class HttpRequestParser {
  /** The limits used when none are given: 16 KiB head, 100 headers, 1 MiB body. */
  static readonly defaultLimits: Readonly<HttpLimits> = {
    maxHeadBytes: 16 * 1024,
    maxHeaders: 100,
    maxBodyBytes: 1024 * 1024,
  };

  /** The request that `next()` returns, refilled in place for every request. */
  readonly request: HttpRequest;
  /** Set when the input was rejected; `next()` returns `null` from then on. */
  failure: HttpParseFailure | undefined = undefined;

  private readonly maxHead: number;
  private readonly head: HttpHeadScanner;
  private readonly body = new HttpBodyBuffer();
  private readonly chunks: HttpChunkedDecoder;
  private input: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  private phase = IDLE;
  private headLength = 0;
  private continuePending = false;
  // Partial heads, and heads whose body spans reads, live here.
  private scratch: Buffer = EMPTY;
  private scratchLength = 0;

  /**
   * @param limits overrides of {@link HttpRequestParser.defaultLimits}
   */
  constructor(limits: Partial<HttpLimits> = {}) {
    const merged = { ...HttpRequestParser.defaultLimits, ...limits };
    for (const [name, value] of Object.entries(merged)) {
      if (!Number.isSafeInteger(value) || value < 1 || value > 2 ** 30) {
        throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected ${name} to be an integer from 1 to 2^30, got ${String(value)}`);
      }
    }
    this.maxHead = merged.maxHeadBytes;
    this.request = new HttpRequest(merged.maxHeaders);
    this.head = new HttpHeadScanner(this.request.fields, merged.maxBodyBytes);
    this.chunks = new HttpChunkedDecoder(
      {
        maxBody: merged.maxBodyBytes,
        maxExtensionBytes: merged.maxHeadBytes,
        maxTrailers: merged.maxHeaders,
        maxTrailerBytes: merged.maxHeadBytes,
      },
      this.body,
    );
  }

  /**
   * Where the connection stands: between requests, inside a head (what a slowloris timeout watches), inside a
   * body, or failed.
   */
  get progress(): 'idle' | 'head' | 'body' | 'failed' {
    switch (this.phase) {
      case IDLE:
        return 'idle';
      case HEAD:
        return 'head';
      case DEAD:
        return 'failed';
      default:
        return 'body';
    }
  }

  /**
   * Gives the parser the next read. Call it only after `next()` returned `null`; the parser keeps no reference
   * to the buffer once `next()` returns `null` again.
   *
   * @param chunk the bytes read from the socket
   */
  push(chunk: Buffer): void {
    if (this.phase === DEAD) return;
    this.input = chunk;
    this.pos = 0;
    this.end = chunk.length;
  }

  /**
   * Whether the client waits for `100 Continue` before sending its body: true once, after the head of an
   * HTTP/1.1 `Expect: 100-continue` request completed without its body.
   *
   * @returns whether to write `100 Continue` now
   */
  takeContinue(): boolean {
    const pending = this.continuePending;
    this.continuePending = false;
    return pending;
  }

  /**
   * Parses the next complete request of the pushed bytes.
   *
   * @returns the request, valid until the next call; or `null` when the bytes ran out (then wait for the next
   * read) or the input was rejected (then {@link HttpRequestParser.failure} says why)
   */
  next(): HttpRequest | null {
    for (;;) {
      switch (this.phase) {
        case IDLE: {
          // The fast path: scan the head where it lies, in the read buffer.
          const pos = this.pos;
          const end = this.end;
          if (pos >= end) return this.drained();
          this.head.reset();
          const limit = pos + this.maxHead;
          const to = end < limit ? end : limit;
          const result = this.head.scan(this.input, pos, to, pos);
          if (result >= 0) {
            this.pos = result;
            const request = this.startBody(this.input, pos, result - pos);
            if (request !== null) return request;
            continue;
          }
          if (result === FAILED) return this.fail(this.head.failure!);
          if (to < end) return this.headTooLarge();
          // The head goes on in a later read: keep its start. Offsets are relative to it, so they stay valid.
          this.ensureScratch(end - pos);
          this.input.copy(this.scratch, 0, pos, end);
          this.scratchLength = end - pos;
          this.phase = HEAD;
          this.pos = end;
          return this.drained();
        }
        case HEAD: {
          const pos = this.pos;
          const end = this.end;
          if (pos >= end) return this.drained();
          const have = this.scratchLength;
          const room = this.maxHead - have;
          const count = end - pos < room ? end - pos : room;
          this.ensureScratch(have + count);
          this.input.copy(this.scratch, have, pos, pos + count);
          const result = this.head.scan(this.scratch, have, have + count, 0);
          if (result >= 0) {
            this.pos = pos + (result - have);
            this.scratchLength = 0;
            this.phase = IDLE;
            const request = this.startBody(this.scratch, 0, result);
            if (request !== null) return request;
            continue;
          }
          if (result === FAILED) return this.fail(this.head.failure!);
          if (count < end - pos) return this.headTooLarge();
          this.scratchLength = have + count;
          this.pos = end;
          return this.drained();
        }
        case BODY: {
          const need = this.head.contentLength - this.body.length;
          const available = this.end - this.pos;
          const count = available < need ? available : need;
          this.body.append(this.input, this.pos, count, this.head.contentLength);
          this.pos += count;
          return count < need ? this.drained() : this.finishBody();
        }
        case CHUNKED: {
          const result = this.chunks.decode(this.input, this.pos, this.end);
          if (result === FAILED) return this.fail(this.chunks.failure!);
          if (result === NEED_MORE) return this.drained();
          this.pos = result;
          return this.finishBody();
        }
        default:
          return null;
      }
    }
  }

  /** Fills the request from a complete head and sets up its body; returns the request if it is complete. */
  private startBody(source: Buffer, base: number, headLength: number): HttpRequest | null {
    const head = this.head;
    const request = this.request;
    request.source = source;
    request.base = base;
    request.method = methodName(source, base + head.methodStart, base + head.methodEnd);
    request.versionMinor = head.minor;
    request.keepAlive = !head.connectionClose && (head.minor === 1 || head.connectionKeepAlive);
    request.targetStart = head.targetStart;
    request.targetEnd = head.targetEnd;
    request.fieldCount = head.fieldCount;
    request.pathValue = undefined;
    request.body = EMPTY;
    this.headLength = headLength;
    if (head.chunked) {
      this.chunks.reset();
      this.phase = CHUNKED;
    } else {
      const length = head.contentLength;
      if (length <= 0) return request;
      const pos = this.pos;
      if (this.end - pos >= length) {
        request.body = this.input.subarray(pos, pos + length);
        this.pos = pos + length;
        return request;
      }
      this.phase = BODY;
    }
    // RFC 9110 §10.1.1: never send 100 Continue to an HTTP/1.0 client. Cleared if the body completes now.
    this.continuePending = head.expectContinue && head.minor === 1;
    return null;
  }

  private finishBody(): HttpRequest {
    this.request.body = this.body.take();
    this.continuePending = false;
    this.phase = IDLE;
    return this.request;
  }

  /** Ends a call whose input ran out, copying whatever must outlive the caller's read buffer. */
  private drained(): null {
    const request = this.request;
    if (this.phase === BODY || this.phase === CHUNKED) {
      if (request.source === this.input) {
        this.ensureScratch(this.headLength);
        this.input.copy(this.scratch, 0, request.base, request.base + this.headLength);
        request.source = this.scratch;
        request.base = 0;
      }
    } else {
      // The request returned before is done; do not keep the read buffer alive through it.
      request.source = EMPTY;
      request.body = EMPTY;
    }
    this.input = EMPTY;
    this.pos = 0;
    this.end = 0;
    return null;
  }

  private ensureScratch(length: number): void {
    const scratch = this.scratch;
    if (length <= scratch.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.min(this.maxHead, Math.max(length, scratch.length * 2, 1024)));
    scratch.copy(grown, 0, 0, this.scratchLength);
    this.scratch = grown;
  }

  private headTooLarge(): null {
    return this.fail(httpParseFailure(431, `expected a request line and headers of at most ${this.maxHead} bytes, got more`));
  }

  private fail(failure: HttpParseFailure): null {
    this.failure = failure;
    this.phase = DEAD;
    this.input = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.body.clear();
    this.request.source = EMPTY;
    this.request.body = EMPTY;
    return null;
  }
}

/** The method as a string; the common ones are interned constants, so a request allocates no method string. */
function methodName(src: Buffer, start: number, end: number): string {
  const c = src[start];
  switch (end - start) {
    case 3:
      if (c === 0x47 && src[start + 1] === 0x45 && src[start + 2] === 0x54) return 'GET';
      if (c === 0x50 && src[start + 1] === 0x55 && src[start + 2] === 0x54) return 'PUT';
      break;
    case 4:
      if (c === 0x50 && src[start + 1] === 0x4f && src[start + 2] === 0x53 && src[start + 3] === 0x54) return 'POST';
      if (c === 0x48 && src[start + 1] === 0x45 && src[start + 2] === 0x41 && src[start + 3] === 0x44) return 'HEAD';
      break;
  }
  return src.toString('latin1', start, end);
}
