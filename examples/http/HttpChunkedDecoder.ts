import type { HttpBodyBuffer } from './HttpBodyBuffer.js';
import { CHAR_CLASS, COLON, CR, HEX_VALUE, HTAB, LF, SEMICOLON, SP, TOKEN, VALUE, describeByte } from './httpChars.js';
import { FAILED, NEED_MORE, httpParseFailure } from './HttpParseFailure.js';
import type { HttpParseFailure } from './HttpParseFailure.js';

const SIZE_START = 0;
const SIZE = 1;
const BWS = 2;
const EXTENSION = 3;
const SIZE_LF = 4;
const DATA = 5;
const DATA_CR = 6;
const DATA_LF = 7;
const TRAILER = 8;
const TRAILER_NAME = 9;
const TRAILER_VALUE = 10;
const TRAILER_LF = 11;
const END_LF = 12;

// Enough for any real size (clients zero-pad to 8); a bound so a stream of zeros cannot go on forever.
const MAX_SIZE_DIGITS = 16;

/** The limits a chunked body obeys. @internal */
export interface HttpChunkedLimits {
  /** Data bytes (413), checked as soon as a chunk size announces them. */
  maxBody: number;
  /** Chunk-extension bytes per body (413), like Node's limit since CVE-2024-22019. */
  maxExtensionBytes: number;
  /** Trailer lines (431). */
  maxTrailers: number;
  /** Trailer bytes (431). */
  maxTrailerBytes: number;
}

/**
 * Decodes a chunked body (RFC 9112 §7.1), resumably, into an {@link HttpBodyBuffer}. Sizes are hex digits;
 * extensions are checked for forbidden bytes and their meaning ignored; trailers are validated like headers
 * and dropped, so nothing in them can change framing or routing. CRLF only, as in the head.
 *
 * @internal
 */
export class HttpChunkedDecoder {
  /** Set when the body was rejected. */
  failure: HttpParseFailure | undefined = undefined;
  private state = SIZE_START;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private extensionBytes = 0;
  private trailerBytes = 0;
  private trailerCount = 0;
  private readonly limits: HttpChunkedLimits;
  private readonly body: HttpBodyBuffer;

  /**
   * @param limits what one body may hold
   * @param body where the data goes
   */
  constructor(limits: HttpChunkedLimits, body: HttpBodyBuffer) {
    this.limits = limits;
    this.body = body;
  }

  /** Prepares for the next body. */
  reset(): void {
    this.state = SIZE_START;
    this.extensionBytes = 0;
    this.trailerBytes = 0;
    this.trailerCount = 0;
  }

  /**
   * Decodes `src[i, end)`.
   *
   * @returns the index after the body's final CRLF, NEED_MORE (all bytes consumed), or FAILED
   */
  decode(src: Buffer, i: number, end: number): number {
    const limits = this.limits;
    let state = this.state;
    while (i < end) {
      switch (state) {
        case SIZE_START:
        case SIZE: {
          const c = src[i]!;
          const digit = HEX_VALUE[c]!;
          if (digit !== 255) {
            if (state === SIZE_START) {
              this.size = 0;
              this.digits = 0;
              state = SIZE;
            }
            if (++this.digits > MAX_SIZE_DIGITS) return this.fail(400, `expected a chunk size of at most ${MAX_SIZE_DIGITS} hex digits, got more`);
            this.size = this.size * 16 + digit;
            // Fail as soon as the announced size is too much, before any of its data arrives.
            if (this.body.length + this.size > limits.maxBody) {
              return this.fail(413, `expected a body of at most ${limits.maxBody} bytes, got chunks announcing more`);
            }
          } else if (state === SIZE_START) return this.unexpected('a chunk size (hex digits)', c);
          else if (c === CR) state = SIZE_LF;
          else if (c === SEMICOLON || c === SP || c === HTAB) {
            state = c === SEMICOLON ? EXTENSION : BWS;
            this.extensionBytes++;
          } else return this.unexpected('a hex digit, ";" or CR LF after the chunk size', c);
          i++;
          break;
        }
        case BWS:
        case EXTENSION: {
          // Whitespace after the size may only lead to ";" (chunk-ext = *( BWS ";" BWS ext-name ... )).
          const start = i;
          if (state === BWS) while (i < end && (src[i] === SP || src[i] === HTAB)) i++;
          else while (i < end && (CHAR_CLASS[src[i]!]! & VALUE) !== 0) i++;
          this.extensionBytes += i - start;
          if (this.extensionBytes > limits.maxExtensionBytes) {
            return this.fail(413, `expected chunk extensions of at most ${limits.maxExtensionBytes} bytes per body, got more`);
          }
          if (i === end) break;
          const c = src[i]!;
          if (state === BWS) {
            if (c !== SEMICOLON) return this.unexpected('";" after whitespace following the chunk size', c);
            state = EXTENSION;
          } else {
            if (c !== CR) return this.unexpected('a chunk extension character or CR LF', c);
            state = SIZE_LF;
          }
          this.extensionBytes++;
          i++;
          break;
        }
        case SIZE_LF:
        case DATA_LF:
        case TRAILER_LF: {
          if (src[i] !== LF) return this.unexpected('LF after CR (a bare CR does not end a line)', src[i]!);
          if (state === DATA_LF) state = SIZE_START;
          else if (state === TRAILER_LF || this.size === 0) state = TRAILER;
          else {
            this.remaining = this.size;
            state = DATA;
          }
          i++;
          break;
        }
        case DATA: {
          const available = end - i;
          const count = available < this.remaining ? available : this.remaining;
          this.body.append(src, i, count, limits.maxBody);
          i += count;
          this.remaining -= count;
          if (this.remaining === 0) state = DATA_CR;
          break;
        }
        case DATA_CR: {
          if (src[i] !== CR) return this.unexpected('CR LF after the chunk data', src[i]!);
          state = DATA_LF;
          i++;
          break;
        }
        case TRAILER: {
          const c = src[i]!;
          if (c === CR) state = END_LF;
          else if ((CHAR_CLASS[c]! & TOKEN) !== 0) {
            if (++this.trailerCount > limits.maxTrailers) return this.fail(431, `expected at most ${limits.maxTrailers} trailer lines, got more`);
            state = TRAILER_NAME;
          } else return this.unexpected('a trailer name or the blank line ending the body', c);
          this.trailerBytes++;
          i++;
          break;
        }
        case TRAILER_NAME:
        case TRAILER_VALUE: {
          const start = i;
          const mask = state === TRAILER_NAME ? TOKEN : VALUE;
          while (i < end && (CHAR_CLASS[src[i]!]! & mask) !== 0) i++;
          this.trailerBytes += i - start;
          if (this.trailerBytes > limits.maxTrailerBytes) return this.fail(431, `expected trailers of at most ${limits.maxTrailerBytes} bytes, got more`);
          if (i === end) break;
          const c = src[i]!;
          if (state === TRAILER_NAME) {
            if (c !== COLON) return this.unexpected('":" right after the trailer name', c);
            state = TRAILER_VALUE;
          } else {
            if (c !== CR) return this.unexpected('a trailer value character or CR LF', c);
            state = TRAILER_LF;
          }
          this.trailerBytes++;
          i++;
          break;
        }
        default: {
          // END_LF
          if (src[i] !== LF) return this.unexpected('LF after CR (a bare CR does not end a line)', src[i]!);
          return i + 1;
        }
      }
    }
    this.state = state;
    return NEED_MORE;
  }

  private unexpected(expected: string, byte: number): number {
    return this.fail(400, `expected ${expected}, got ${describeByte(byte)} in the chunked body`);
  }

  private fail(status: number, message: string): number {
    this.failure = httpParseFailure(status, message);
    return FAILED;
  }
}
