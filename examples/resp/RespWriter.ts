import { ErrorCode, RxloopError } from '../../src/errors.js';
import { writeInteger } from './writeInteger.js';

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Room for a type byte, the longest safe integer with its sign, and CRLF. */
const HEADER_ROOM = 20;
/** Replies shorter than this are copied byte by byte. */
const SHORT_COPY = 64;

/**
 * Encodes RESP2 replies into one growing output buffer per batch, so that the replies to every command of one
 * socket read leave in one write. Call the reply methods while running the batch's commands, then `take()` the
 * batch.
 *
 * The writer fills a slab and hands out views of it: `take()` returns the batch's bytes without copying, and later
 * batches are written after them, never over them, so a taken buffer stays valid while a socket write holds it.
 * When the slab is full a new one is started and the old one is freed once its last batch is written. Because
 * `take()` leaves nothing pending, one writer can serve every connection of a thread (like Node's own buffer
 * pool), so idle connections cost no output memory.
 *
 * Strings are written as latin1, one byte per character, which is how this server turns keys and arguments into
 * strings: binary data round-trips. The replies every benchmark hits (`+OK`, `+PONG`, `:0`, `:1`, `$-1`) are
 * written as fixed bytes.
 *
 * ## Example
 * ```ts
 * import { RespWriter } from './RespWriter.js';
 *
 * const out = new RespWriter();
 * out.ok();
 * out.array(2);
 * out.bulk(Buffer.from('v'));
 * out.nullBulk();
 * out.integer(42);
 * console.log(JSON.stringify(out.take().toString())); // "+OK\r\n*2\r\n$1\r\nv\r\n$-1\r\n:42\r\n"
 * ```
 */
export class RespWriter {
  /**
   * The protocol of the replies being written: 2 (RESP2) or 3 (RESP3, where nulls are `_`, maps `%`, sets `~`,
   * pushes `>` and verbatim text `=`). The session sets it before each batch, as the connection chose with HELLO.
   */
  protocol: 2 | 3 = 2;
  private readonly slabSize: number;
  private slab: Buffer = EMPTY;
  /** Where the current batch starts in the slab, and where the next byte goes. */
  private start = 0;
  private pos = 0;

  /**
   * @param slabSize bytes per slab (default 64 KiB); a batch larger than a slab gets a slab of its own
   */
  constructor(slabSize = 64 * 1024) {
    if (!Number.isSafeInteger(slabSize) || slabSize < 64) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected slabSize to be an integer >= 64, got ${slabSize}`);
    }
    this.slabSize = slabSize;
  }

  /** Bytes written since the last `take()`. */
  get pending(): number {
    return this.pos - this.start;
  }

  /**
   * Ends the batch: returns the bytes written since the last call (a shared empty buffer when there are none)
   * and starts the next batch after them.
   *
   * @returns the batch, valid for as long as it is referenced
   */
  take(): Buffer {
    if (this.pos === this.start) return EMPTY;
    const batch = this.slab.subarray(this.start, this.pos);
    if (this.slab.length > this.slabSize) {
      // An oversized slab served one large batch; do not keep it for the small ones that follow.
      this.slab = EMPTY;
      this.pos = 0;
    }
    this.start = this.pos;
    return batch;
  }

  /** Drops what was written since the last `take()` (a batch that failed half-way). */
  discard(): void {
    this.pos = this.start;
  }

  /** `+OK\r\n`. */
  ok(): void {
    const s = this.room(5);
    const p = this.pos;
    s[p] = 0x2b;
    s[p + 1] = 0x4f;
    s[p + 2] = 0x4b;
    s[p + 3] = CR;
    s[p + 4] = LF;
    this.pos = p + 5;
  }

  /** `+PONG\r\n`. */
  pong(): void {
    const s = this.room(7);
    const p = this.pos;
    s[p] = 0x2b;
    s[p + 1] = 0x50;
    s[p + 2] = 0x4f;
    s[p + 3] = 0x4e;
    s[p + 4] = 0x47;
    s[p + 5] = CR;
    s[p + 6] = LF;
    this.pos = p + 7;
  }

  /** `$-1\r\n`, the null bulk string (a missing key); `_\r\n` in RESP3. */
  nullBulk(): void {
    if (this.protocol === 3) {
      this.simpleLine(0x5f, '');
      return;
    }
    const s = this.room(5);
    const p = this.pos;
    s[p] = 0x24;
    s[p + 1] = 0x2d;
    s[p + 2] = 0x31;
    s[p + 3] = CR;
    s[p + 4] = LF;
    this.pos = p + 5;
  }

  /** `*-1\r\n`, the null array; `_\r\n` in RESP3. */
  nullArray(): void {
    if (this.protocol === 3) this.simpleLine(0x5f, '');
    else this.simpleLine(0x2a, '-1');
  }

  /**
   * A map of `length` pairs, each a key reply then a value reply: `%<length>` in RESP3, an array of twice as many
   * elements in RESP2.
   *
   * @param length the number of pairs
   */
  map(length: number): void {
    if (this.protocol === 3) {
      this.room(HEADER_ROOM);
      this.header(0x25, length);
    } else this.array(length * 2);
  }

  /**
   * A set of `length` elements: `~<length>` in RESP3, an array in RESP2.
   *
   * @param length the number of elements
   */
  set(length: number): void {
    this.room(HEADER_ROOM);
    this.header(this.protocol === 3 ? 0x7e : 0x2a, length);
  }

  /**
   * An out-of-band push of `length` elements (pub/sub messages): `><length>` in RESP3, an array in RESP2.
   *
   * @param length the number of elements
   */
  push(length: number): void {
    this.room(HEADER_ROOM);
    this.header(this.protocol === 3 ? 0x3e : 0x2a, length);
  }

  /**
   * Text for people (INFO, CLIENT LIST): a verbatim string `=<length>\r\ntxt:<text>` in RESP3, a bulk string in
   * RESP2.
   *
   * @param text latin1 text
   */
  verbatim(text: string): void {
    if (this.protocol === 3) this.text(0x3d, `txt:${text}`);
    else this.text(0x24, text);
  }

  /**
   * A stored value as a bulk string: a latin1 string or a Buffer.
   *
   * @param value the value
   */
  value(value: string | Uint8Array): void {
    if (typeof value !== 'string') {
      this.bulk(value);
      return;
    }
    const length = value.length;
    if (length >= SHORT_COPY) {
      this.bulkString(value);
      return;
    }
    const s = this.room(length + HEADER_ROOM + 2);
    this.header(0x24, length);
    let p = this.pos;
    for (let i = 0; i < length; i++) s[p++] = value.charCodeAt(i);
    s[p] = CR;
    s[p + 1] = LF;
    this.pos = p + 2;
  }

  /**
   * `+<text>\r\n`.
   *
   * @param text a status without CR or LF
   */
  simple(text: string): void {
    this.simpleLine(0x2b, text);
  }

  /**
   * `-<message>\r\n`. CR and LF in the message become spaces, as Redis does, so an echoed argument cannot break
   * the reply stream.
   *
   * @param message the error with its prefix, for example `ERR syntax error`
   */
  error(message: string): void {
    this.simpleLine(0x2d, /[\r\n]/.test(message) ? message.replace(/[\r\n]/g, ' ') : message);
  }

  /**
   * `:<value>\r\n`.
   *
   * @param value a safe integer, or a bigint for the 64-bit range
   */
  integer(value: number | bigint): void {
    if (typeof value === 'bigint') {
      this.simpleLine(0x3a, value.toString());
      return;
    }
    this.room(HEADER_ROOM);
    this.header(0x3a, value);
  }

  /**
   * `*<length>\r\n`; the caller then writes that many replies.
   *
   * @param length the number of elements
   */
  array(length: number): void {
    this.room(HEADER_ROOM);
    this.header(0x2a, length);
  }

  /**
   * `$<length>\r\n<bytes>\r\n` for `value[start, end)`.
   *
   * @param value the bytes (copied into the batch)
   * @param start the first byte; default 0
   * @param end one past the last byte; default the end of `value`
   */
  bulk(value: Uint8Array, start = 0, end = value.length): void {
    const length = end - start;
    const s = this.room(length + HEADER_ROOM + 2);
    this.header(0x24, length);
    let p = this.pos;
    // Short values byte by byte: a native copy's call overhead exceeds the copy itself below ~64 bytes.
    if (length < SHORT_COPY) for (let i = start; i < end; i++) s[p++] = value[i]!;
    else {
      s.set(start === 0 && end === value.length ? value : value.subarray(start, end), p);
      p += length;
    }
    s[p] = CR;
    s[p + 1] = LF;
    this.pos = p + 2;
  }

  /**
   * A bulk string of latin1 text (one byte per character).
   *
   * @param text the text
   */
  bulkString(text: string): void {
    this.text(0x24, text);
  }

  /** `<type><length>\r\n<text>\r\n` for latin1 text. */
  private text(type: number, text: string): void {
    const length = text.length;
    const s = this.room(length + HEADER_ROOM + 2);
    this.header(type, length);
    const p = this.pos + s.write(text, this.pos, 'latin1');
    s[p] = CR;
    s[p + 1] = LF;
    this.pos = p + 2;
  }

  /**
   * Copies ready-made reply bytes into the batch.
   *
   * @param bytes one or more complete replies
   */
  raw(bytes: Uint8Array): void {
    const s = this.room(bytes.length);
    s.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Writes `<type><text>\r\n` for latin1 text. */
  private simpleLine(type: number, text: string): void {
    const s = this.room(text.length + 3);
    let p = this.pos;
    s[p++] = type;
    p += s.write(text, p, 'latin1');
    s[p] = CR;
    s[p + 1] = LF;
    this.pos = p + 2;
  }

  /** Writes `<type><n>\r\n` at `pos`; the caller made HEADER_ROOM bytes of room. */
  private header(type: number, n: number): void {
    const s = this.slab;
    let p = this.pos;
    s[p++] = type;
    if (n >= 0 && n < 10) s[p++] = 0x30 + n;
    else p = writeInteger(s, p, n);
    s[p] = CR;
    s[p + 1] = LF;
    this.pos = p + 2;
  }

  /** Makes room for `n` more bytes of this batch and returns the slab to write them into. */
  private room(n: number): Buffer {
    if (this.pos + n <= this.slab.length) return this.slab;
    const pending = this.pos - this.start;
    const slab = Buffer.allocUnsafeSlow(Math.max(this.slabSize, 2 * (pending + n)));
    this.slab.copy(slab, 0, this.start, this.pos);
    this.slab = slab;
    this.start = 0;
    this.pos = pending;
    return slab;
  }
}
