import { CHAR_CLASS, COLON, COMMA, CR, DOT, HTAB, LF, LOWER, SLASH, SP, TARGET, TOKEN, VALUE, describeByte, skipClass } from './httpChars.js';
import { FAILED, NEED_MORE, httpParseFailure } from './HttpParseFailure.js';
import type { HttpParseFailure } from './HttpParseFailure.js';

// States. Each state with a run of bytes (method, target, name, value) scans the run in a tight loop, so the
// switch runs per token, not per byte.
const START = 0;
const START_LF = 1;
const METHOD = 2;
const TARGET_START = 3;
const TARGET_RUN = 4;
const VERSION = 5;
const LINE_LF = 6;
const FIELD = 7;
const NAME = 8;
const OWS = 9;
const VALUE_RUN = 10;
const FIELD_LF = 11;
const END_LF = 12;

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];
const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const HOST = bytes('host');
const EXPECT = bytes('expect');
const CONNECTION = bytes('connection');
const CONTENT_LENGTH = bytes('content-length');
const TRANSFER_ENCODING = bytes('transfer-encoding');
const CHUNKED = bytes('chunked');
const CLOSE = bytes('close');
const KEEP_ALIVE = bytes('keep-alive');
const CONTINUE_100 = bytes('100-continue');

/**
 * Scans and validates one request head (request line and header lines), resumably: it can stop at any byte and
 * go on when more arrive. It records offsets, relative to the first byte of the request, and what the framing
 * headers said; it builds no strings.
 *
 * Strictness follows llhttp's default (non-lenient) mode. Lines end in CRLF only: a bare CR and a bare LF are
 * both rejected, so no peer can disagree with us about where a line ends (llhttp also rejects bare LF unless
 * lenient). No obs-fold, no whitespace before the colon, no control bytes in values (HTAB aside), one
 * Content-Length of digits only, no Content-Length with Transfer-Encoding, `chunked` as the only transfer
 * coding, one Host and a required one in HTTP/1.1.
 *
 * @internal
 */
export class HttpHeadScanner {
  /** Set when the head was rejected. */
  failure: HttpParseFailure | undefined = undefined;
  methodStart = 0;
  methodEnd = 0;
  targetStart = 0;
  targetEnd = 0;
  minor = 0;
  fieldCount = 0;
  /** The Content-Length, or -1 when there is none. */
  contentLength = -1;
  /** Whether the body is chunked (Transfer-Encoding: chunked). */
  chunked = false;
  connectionClose = false;
  connectionKeepAlive = false;
  expectContinue = false;

  private state = START;
  private versionIndex = 0;
  private major = 0;
  private nameStart = 0;
  private nameEnd = 0;
  private valueStart = 0;
  private hostCount = 0;
  private readonly fields: Int32Array;
  private readonly maxHeaders: number;
  private readonly maxBody: number;

  /**
   * @param fields where header offsets go, four per header (name start/end, value start/end)
   * @param maxBody the body limit, checked against Content-Length as soon as it is read
   */
  constructor(fields: Int32Array, maxBody: number) {
    this.fields = fields;
    this.maxHeaders = fields.length / 4;
    this.maxBody = maxBody;
  }

  /** Prepares for the next request. */
  reset(): void {
    this.state = START;
    this.fieldCount = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.hostCount = 0;
    this.expectContinue = false;
  }

  /**
   * Scans head bytes `src[i, to)`; `base` is where the request starts in `src` (offsets are relative to it, so
   * a partial head may move to other memory between calls if `base` moves with it).
   *
   * @returns the index after the blank line ending the head, NEED_MORE, or FAILED
   */
  scan(src: Buffer, i: number, to: number, base: number): number {
    let state = this.state;
    const classes = CHAR_CLASS;
    while (i < to) {
      switch (state) {
        case START: {
          const c = src[i]!;
          // RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line (CRLF only, like the rest).
          if (c === CR) state = START_LF;
          else if ((classes[c]! & TOKEN) !== 0) {
            this.methodStart = i - base;
            state = METHOD;
          } else return this.unexpected('a method (token characters)', c, i - base);
          i++;
          break;
        }
        case START_LF:
        case LINE_LF:
        case FIELD_LF: {
          if (src[i] !== LF) return this.unexpected('LF after CR (a bare CR does not end a line)', src[i]!, i - base);
          state = state === START_LF ? START : FIELD;
          i++;
          break;
        }
        case METHOD: {
          i = skipClass(src, i, to, TOKEN, classes);
          if (i === to) break;
          if (src[i] !== SP) return this.unexpected('one SP after the method', src[i]!, i - base);
          this.methodEnd = i - base;
          state = TARGET_START;
          i++;
          break;
        }
        case TARGET_START: {
          const c = src[i]!;
          if ((classes[c]! & TARGET) === 0) return this.unexpected('a request-target', c, i - base);
          this.targetStart = i - base;
          state = TARGET_RUN;
          i++;
          break;
        }
        case TARGET_RUN: {
          i = skipClass(src, i, to, TARGET, classes);
          if (i === to) break;
          if (src[i] !== SP) return this.unexpected('one SP after the request-target', src[i]!, i - base);
          this.targetEnd = i - base;
          this.versionIndex = 0;
          state = VERSION;
          i++;
          break;
        }
        case VERSION: {
          // Fast path: the whole "HTTP/1.1\r" is here and well formed. Otherwise go byte by byte, which also
          // names the exact byte in an error.
          if (this.versionIndex === 0 && i + 9 <= to && src[i + 8] === CR && src[i + 6] === DOT && src[i + 4] === SLASH) {
            const major = src[i + 5]! - 0x30;
            const minor = src[i + 7]! - 0x30;
            if (src[i] === 0x48 && src[i + 1] === 0x54 && src[i + 2] === 0x54 && src[i + 3] === 0x50 && major === 1 && (minor === 0 || minor === 1)) {
              this.minor = minor;
              i += 9;
              if (i < to && src[i] === LF) {
                state = FIELD;
                i++;
              } else state = LINE_LF;
              break;
            }
          }
          const c = src[i]!;
          const k = this.versionIndex++;
          if (k < 5) {
            if (c !== HTTP_SLASH[k]) return this.unexpected('"HTTP/" and a version', c, i - base);
          } else if (k === 6) {
            if (c !== DOT) return this.unexpected('a version of the form HTTP/1.1', c, i - base);
          } else if (k < 8) {
            if (c < 0x30 || c > 0x39) return this.unexpected('a version of the form HTTP/1.1', c, i - base);
            if (k === 5) this.major = c - 0x30;
            else this.minor = c - 0x30;
          } else {
            if (c !== CR) return this.unexpected('CR LF after the version', c, i - base);
            if (this.major !== 1 || this.minor > 1) {
              return this.fail(505, `expected HTTP/1.0 or HTTP/1.1, got HTTP/${this.major}.${this.minor}`);
            }
            state = LINE_LF;
          }
          i++;
          break;
        }
        case FIELD: {
          const c = src[i]!;
          if ((classes[c]! & TOKEN) !== 0) {
            this.nameStart = i - base;
            state = NAME;
          } else if (c === CR) {
            if (i + 1 < to && src[i + 1] === LF) return this.complete() ? i + 2 : FAILED;
            state = END_LF;
          } else if (c === SP || c === HTAB) {
            // Line folding (obs-fold) or whitespace before the first header: RFC 9112 §5.2 allows rejecting it,
            // and a proxy that unfolds would see other headers than we do.
            return this.fail(400, `expected a header name, got whitespace starting the line at byte ${i - base} (obs-fold is rejected)`);
          } else return this.unexpected('a header name or the blank line ending the head', c, i - base);
          i++;
          break;
        }
        case NAME: {
          i = skipClass(src, i, to, TOKEN, classes);
          if (i === to) break;
          if (src[i] !== COLON) return this.unexpected('":" right after the header name', src[i]!, i - base);
          this.nameEnd = i - base;
          state = OWS;
          i++;
          break;
        }
        case OWS: {
          while (i < to && (src[i] === SP || src[i] === HTAB)) i++;
          if (i === to) break;
          const c = src[i]!;
          if (c === CR) {
            this.valueStart = i - base;
            if (!this.field(src, base, i - base)) return FAILED;
            state = FIELD_LF;
          } else if ((classes[c]! & VALUE) !== 0) {
            this.valueStart = i - base;
            state = VALUE_RUN;
          } else return this.unexpected('a header value', c, i - base);
          i++;
          break;
        }
        case VALUE_RUN: {
          i = skipClass(src, i, to, VALUE, classes);
          if (i === to) break;
          if (src[i] !== CR) return this.unexpected('a header value character or CR LF', src[i]!, i - base);
          let valueEnd = i;
          // The value's first byte is not whitespace, so this stops inside the value.
          while (src[valueEnd - 1] === SP || src[valueEnd - 1] === HTAB) valueEnd--;
          if (!this.field(src, base, valueEnd - base)) return FAILED;
          // Take the LF now when it is here: one dispatch less per header line.
          if (i + 1 < to && src[i + 1] === LF) {
            state = FIELD;
            i += 2;
          } else {
            state = FIELD_LF;
            i++;
          }
          break;
        }
        default: {
          // END_LF
          if (src[i] !== LF) return this.unexpected('LF after CR (a bare CR does not end a line)', src[i]!, i - base);
          return this.complete() ? i + 1 : FAILED;
        }
      }
    }
    this.state = state;
    return NEED_MORE;
  }

  /** Records the header just scanned and applies the ones that decide framing and persistence. */
  private field(src: Buffer, base: number, valueEnd: number): boolean {
    const count = this.fieldCount;
    if (count === this.maxHeaders) return this.refuse(431, `expected at most ${this.maxHeaders} header lines, got more`);
    const fields = this.fields;
    fields[count * 4] = this.nameStart;
    fields[count * 4 + 1] = this.nameEnd;
    fields[count * 4 + 2] = this.valueStart;
    fields[count * 4 + 3] = valueEnd;
    this.fieldCount = count + 1;
    const name = base + this.nameStart;
    const start = base + this.valueStart;
    const end = base + valueEnd;
    switch (this.nameEnd - this.nameStart) {
      case 4:
        if (equalsLower(src, name, HOST) && ++this.hostCount > 1) return this.refuse(400, 'expected one Host header, got a second');
        return true;
      case 6:
        if (equalsLower(src, name, EXPECT) && end - start === CONTINUE_100.length && equalsLower(src, start, CONTINUE_100)) {
          this.expectContinue = true;
        }
        return true;
      case 10:
        if (equalsLower(src, name, CONNECTION)) this.connectionTokens(src, start, end);
        return true;
      case 14:
        return equalsLower(src, name, CONTENT_LENGTH) ? this.contentLengthValue(src, start, end) : true;
      case 17:
        return equalsLower(src, name, TRANSFER_ENCODING) ? this.transferEncodingValue(src, start, end) : true;
      default:
        return true;
    }
  }

  private contentLengthValue(src: Buffer, start: number, end: number): boolean {
    // RFC 9110 allows identical repeats; llhttp refuses any repeat, and so do we: two framings, two readings.
    if (this.contentLength >= 0) return this.refuse(400, 'expected one Content-Length header, got a second');
    if (start === end) return this.refuse(400, 'expected Content-Length to be decimal digits, got an empty value');
    let length = 0;
    for (let i = start; i < end; i++) {
      const digit = src[i]! - 0x30;
      if (digit < 0 || digit > 9) return this.refuse(400, `expected Content-Length to be decimal digits only, got ${describeByte(src[i]!)}`);
      // Past 2^53 this loses precision, but it is then far beyond any body limit, which is all that matters.
      length = length * 10 + digit;
    }
    if (length > this.maxBody) {
      const got = end - start > 15 ? `a ${end - start}-digit Content-Length` : `Content-Length ${length}`;
      return this.refuse(413, `expected a body of at most ${this.maxBody} bytes, got ${got}`);
    }
    this.contentLength = length;
    return true;
  }

  private transferEncodingValue(src: Buffer, start: number, end: number): boolean {
    if (this.chunked) return this.refuse(400, 'expected one Transfer-Encoding header, got a second');
    if (end - start === CHUNKED.length && equalsLower(src, start, CHUNKED)) {
      this.chunked = true;
      return true;
    }
    // RFC 9112 §6.1: chunked last after another coding is well framed but unsupported (501); anything else
    // cannot be framed at all (400).
    let last = end;
    while (last > start && src[last - 1] !== COMMA) last--;
    while (last < end && (src[last] === SP || src[last] === HTAB)) last++;
    if (last > start && end - last === CHUNKED.length && equalsLower(src, last, CHUNKED)) {
      return this.refuse(501, 'expected Transfer-Encoding: chunked alone, got another transfer coding before it');
    }
    return this.refuse(400, 'expected Transfer-Encoding: chunked, got a value without chunked as the final coding');
  }

  private connectionTokens(src: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      while (i < end && (src[i] === COMMA || src[i] === SP || src[i] === HTAB)) i++;
      const tokenStart = i;
      while (i < end && src[i] !== COMMA) i++;
      let tokenEnd = i;
      while (tokenEnd > tokenStart && (src[tokenEnd - 1] === SP || src[tokenEnd - 1] === HTAB)) tokenEnd--;
      const length = tokenEnd - tokenStart;
      if (length === CLOSE.length && equalsLower(src, tokenStart, CLOSE)) this.connectionClose = true;
      else if (length === KEEP_ALIVE.length && equalsLower(src, tokenStart, KEEP_ALIVE)) this.connectionKeepAlive = true;
    }
  }

  /** The rules that need the whole head. */
  private complete(): boolean {
    if (this.chunked && this.contentLength >= 0) {
      return this.refuse(400, 'expected Content-Length or Transfer-Encoding, got both (a request smuggling pattern)');
    }
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
    if (this.chunked && this.minor === 0) return this.refuse(400, 'expected no Transfer-Encoding in an HTTP/1.0 request, got one');
    if (this.minor === 1 && this.hostCount === 0) return this.refuse(400, 'expected a Host header in an HTTP/1.1 request, got none');
    return true;
  }

  private unexpected(expected: string, byte: number, offset: number): number {
    return this.fail(400, `expected ${expected}, got ${describeByte(byte)} at byte ${offset} of the request`);
  }

  private refuse(status: number, message: string): false {
    this.failure = httpParseFailure(status, message);
    return false;
  }

  private fail(status: number, message: string): number {
    this.failure = httpParseFailure(status, message);
    return FAILED;
  }
}

/** Compares `src` at `start` with a lowercase ASCII name, ignoring case. The caller checks the length. */
function equalsLower(src: Buffer, start: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (LOWER[src[start + i]!] !== name[i]) return false;
  return true;
}
