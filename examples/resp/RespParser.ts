import { ErrorCode, RxloopError } from '../../src/errors.js';
import { parseInteger } from './parseInteger.js';
import { RespArgs } from './RespArgs.js';
import { splitInlineArgs } from './splitInlineArgs.js';

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const EMPTY = Buffer.alloc(0);

/**
 * A bulk argument at least this long that does not fit in the bytes at hand gets its own buffer of its exact size,
 * filled chunk by chunk (Redis's PROTO_MBULK_BIG_ARG). Shorter partial items are kept in a small growable stash.
 */
const BIG_ARG = 32 * 1024;

/** Return values of `lineEnd` besides a CR index. */
const INCOMPLETE = -1;
const FAILED = -2;

/** The limits a {@link RespParser} enforces; each defaults to Redis's value. */
export interface RespParserOptions {
  /** Largest bulk argument in bytes (Redis `proto-max-bulk-len`); default 512 MiB. */
  maxBulkLength?: number;
  /** Most arguments in one multibulk command; default 1024 * 1024. */
  maxMultibulkLength?: number;
  /** Longest inline command line, and longest `*<n>` / `$<n>` header line, in bytes; default 64 KiB. */
  maxInlineLength?: number;
}

/**
 * An incremental RESP2 request parser: `push` a chunk as it was read, then call `next` until it returns
 * `undefined`; each call returns one complete command as {@link RespArgs}. Multibulk commands
 * (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline commands (`GET k\r\n`, split with Redis's quoting rules) are both
 * understood, with Redis's limits and Redis's exact error texts.
 *
 * **Speed.** Parsing a command allocates nothing: `next` fills one reused {@link RespArgs} with byte ranges of
 * the chunk, so a pipelined read of many commands costs a few byte compares per header. A command may be spread
 * over any number of chunks: a partial header or short argument is kept in a small stash and completed from the
 * next chunk without rescanning what was parsed, and a long argument is copied once into a buffer of its
 * declared size.
 *
 * **Ownership.** The returned {@link RespArgs} is valid until the next `next()` call. The parser keeps no view
 * of a chunk once `next` has returned `undefined` for it (what it still needs, it copies), so the reader may
 * reuse its read buffer from then on.
 *
 * **Errors.** When the input breaks the protocol, `next` returns `undefined` and `error` is set; the commands
 * returned before that were complete and valid, so the caller runs them, answers `-ERR <error.message>` (Redis's
 * text, for example `Protocol error: invalid bulk length`) and closes the connection, as Redis does. The parser
 * ignores everything pushed after an error.
 *
 * ## Example
 * ```ts
 * import { RespParser } from './RespParser.js';
 *
 * const parser = new RespParser();
 * parser.push(Buffer.from('*1\r\n$4\r\nPING\r\nECHO hi\r\n*1\r\n$3\r\nG'));
 * for (let args = parser.next(); args !== undefined; args = parser.next()) {
 *   console.log(args.toArray().map(String)); // [ 'PING' ], then [ 'ECHO', 'hi' ]
 * }
 * parser.push(Buffer.from('ET\r\n*x\r\n'));
 * console.log(parser.next()?.latin1(0)); // 'GET'
 * console.log(parser.next(), parser.error?.message); // undefined 'Protocol error: invalid multibulk length'
 * ```
 */
export class RespParser {
  private readonly maxBulk: number;
  private readonly maxMultibulk: number;
  private readonly maxInline: number;
  private readonly args = new RespArgs();

  /** The bytes being parsed: a pushed chunk, or the stash holding a completed item (then `owned`). */
  private buf: Buffer = EMPTY;
  private pos = 0;
  private owned = false;
  /** When `buf` is the stash, the chunk to continue with once it is used up, and where in it. */
  private after: Buffer | undefined;
  private afterPos = 0;

  /** Inside a multibulk command: `argi` of `argc` arguments are in; from `unownedFrom` on they range a chunk. */
  private inCommand = false;
  private argc = 0;
  private argi = 0;
  private unownedFrom = 0;
  /** Length of the bulk argument whose header was read, or -1 while the next `$` header is awaited. */
  private bulkLen = -1;
  /** The number the last header line held (set by `scanHeader` and `lineEnd`'s callers). */
  private headerValue = 0;

  /** The start of an unfinished item (a header or inline line, or a short argument), copied out of its chunk. */
  private stash: Buffer | undefined;
  private stashLen = 0;
  /** A long argument being filled across chunks, and how many of its bytes (CRLF included) have arrived. */
  private big: Buffer | undefined;
  private bigHave = 0;

  private failure: RxloopError | undefined;

  /**
   * @param options limits; each defaults to Redis's
   * @throws RxloopError `ERR_INVALID_ARGUMENT` for a limit that is not a positive integer
   */
  constructor(options: RespParserOptions = {}) {
    this.maxBulk = limit(options.maxBulkLength, 512 * 1024 * 1024, 'maxBulkLength');
    this.maxMultibulk = limit(options.maxMultibulkLength, 1024 * 1024, 'maxMultibulkLength');
    this.maxInline = limit(options.maxInlineLength, 64 * 1024, 'maxInlineLength');
  }

  /**
   * Why parsing stopped, once the input broke the protocol: `ERR_FRAME_TOO_LONG` for a limit,
   * `ERR_FRAME_CORRUPT` otherwise. The message is Redis's text, to be sent as `-ERR <message>`.
   */
  get error(): RxloopError | undefined {
    return this.failure;
  }

  /** Bytes held back for an unfinished command (what a read-side memory bound should count). */
  get buffered(): number {
    return this.stashLen + this.bigHave + this.buf.length - this.pos;
  }

  /**
   * Adds the next chunk read from the connection. Call it only after `next` has returned `undefined`; the chunk
   * must stay unchanged until `next` returns `undefined` again.
   *
   * @param chunk the bytes just read
   * @throws RxloopError `ERR_INVALID_ARGUMENT` when commands of the previous chunk were not drained first
   */
  push(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    if (this.pos < this.buf.length || this.after !== undefined) {
      throw new RxloopError(
        ErrorCode.INVALID_ARGUMENT,
        `expected next() to return undefined before push(), got push() with ${this.buffered} bytes unparsed`,
      );
    }
    let off = 0;
    const big = this.big;
    if (big !== undefined) {
      const need = this.bulkLen + 2 - this.bigHave;
      const n = Math.min(need, chunk.length);
      const room = this.bulkLen - this.bigHave;
      if (room > 0) chunk.copy(big, this.bigHave, 0, Math.min(n, room));
      this.bigHave += n;
      if (n < need) return;
      off = n;
      this.setArg(this.argi++, big, 0, this.bulkLen);
      this.big = undefined;
      this.bigHave = 0;
      this.bulkLen = -1;
    }
    if (this.stash !== undefined) {
      const end = this.completion(chunk, off);
      if (end < 0) {
        this.append(chunk, off, chunk.length);
        this.checkPendingLine();
        return;
      }
      this.append(chunk, off, end);
      this.buf = this.stash.subarray(0, this.stashLen);
      this.pos = 0;
      this.owned = true;
      this.stash = undefined;
      this.stashLen = 0;
      this.after = chunk;
      this.afterPos = end;
    } else {
      this.buf = chunk;
      this.pos = off;
      this.owned = false;
      this.unownedFrom = this.argi;
    }
  }

  /**
   * The next complete command, or `undefined` when the bytes so far hold no more (then check `error`).
   *
   * @returns the command's arguments (never none), valid until the next call
   */
  next(): RespArgs | undefined {
    if (this.failure !== undefined || this.stash !== undefined || this.big !== undefined) return undefined;
    const args = this.args;
    for (;;) {
      if (!this.inCommand) {
        const buf = this.buf;
        const pos = this.pos;
        if (pos >= buf.length) {
          if (this.more()) continue;
          return undefined;
        }
        if (buf[pos] !== STAR) {
          const found = this.inline(buf, pos);
          if (found === undefined) {
            if (this.failure === undefined && this.more()) continue;
            return undefined;
          }
          if (found) return args;
          continue;
        }
        let cr = this.scanHeader(buf, pos);
        if (cr < 0) {
          cr = this.lineEnd(buf, pos, 'Protocol error: too big mbulk count string');
          if (cr < 0) {
            if (cr === INCOMPLETE && this.more()) continue;
            return undefined;
          }
          this.headerValue = parseInteger(buf, pos + 1, cr);
        }
        const count = this.headerValue;
        if (!(count <= this.maxMultibulk)) {
          const code = count > this.maxMultibulk ? ErrorCode.FRAME_TOO_LONG : ErrorCode.FRAME_CORRUPT;
          return this.fail(code, 'Protocol error: invalid multibulk length');
        }
        this.pos = cr + 2;
        // Redis skips `*0` and negative counts without running anything.
        if (count <= 0) continue;
        this.inCommand = true;
        this.argc = count;
        this.argi = 0;
        this.unownedFrom = 0;
        this.bulkLen = -1;
      }
      // Read `$<len>\r\n<bytes>\r\n` until all arguments are in; the common case stays in locals.
      const buf = this.buf;
      const end = buf.length;
      const { sources, starts, ends } = args;
      const argc = this.argc;
      let pos = this.pos;
      let argi = this.argi;
      let bulkLen = this.bulkLen;
      while (argi < argc) {
        if (bulkLen < 0) {
          if (pos >= end) break;
          let cr = buf[pos] === DOLLAR ? this.scanHeader(buf, pos) : -1;
          if (cr < 0) {
            cr = this.lineEnd(buf, pos, 'Protocol error: too big bulk count string');
            if (cr === FAILED) return undefined;
            if (cr === INCOMPLETE) break;
            if (buf[pos] !== DOLLAR) return this.fail(ErrorCode.FRAME_CORRUPT, expectedDollar(buf[pos]!));
            this.headerValue = parseInteger(buf, pos + 1, cr);
          }
          const length = this.headerValue;
          if (!(length >= 0 && length <= this.maxBulk)) {
            const code = length > this.maxBulk ? ErrorCode.FRAME_TOO_LONG : ErrorCode.FRAME_CORRUPT;
            return this.fail(code, 'Protocol error: invalid bulk length');
          }
          bulkLen = length;
          pos = cr + 2;
        }
        // Like Redis, the two bytes after the argument are skipped, not checked.
        if (end - pos < bulkLen + 2) break;
        sources[argi] = buf;
        starts[argi] = pos;
        ends[argi] = pos + bulkLen;
        argi++;
        pos += bulkLen + 2;
        bulkLen = -1;
      }
      this.pos = pos;
      this.argi = argi;
      this.bulkLen = bulkLen;
      if (argi < argc) {
        if (this.more()) continue;
        return undefined;
      }
      this.inCommand = false;
      args.count = argc;
      return args;
    }
  }

  /**
   * The fast path for a header line `*<n>\r` or `$<n>\r` of a plain non-negative number below 10^15 with the byte
   * after the CR present: returns the CR's index and leaves the number in `headerValue`. Returns -1 for anything
   * else, which `lineEnd` and `parseInteger` then judge with Redis's full rules.
   */
  private scanHeader(buf: Buffer, pos: number): number {
    let p = pos + 1;
    let c = buf[p];
    let value = 0;
    if (c === 0x30) {
      c = buf[++p];
    } else {
      // Beyond the end `buf[p]` is undefined, which fails every compare below.
      while (c! >= 0x30 && c! <= 0x39 && p - pos < 16) {
        value = value * 10 + (c! - 0x30);
        c = buf[++p];
      }
      if (p === pos + 1) return -1;
    }
    if (c !== CR || p + 1 >= buf.length || p - pos > this.maxInline) return -1;
    this.headerValue = value;
    return p;
  }

  /**
   * Finds the CR ending a `*` or `$` header line that starts at `pos`. Returns its index when the byte after it
   * has arrived too; INCOMPLETE when the line is incomplete; FAILED after failing because the line is too long.
   */
  private lineEnd(buf: Buffer, pos: number, tooLong: string): number {
    const cr = buf.indexOf(CR, pos);
    const length = cr < 0 ? buf.length - pos : cr - pos;
    // Judged on the line's length, not on how it was split into reads, so the outcome is the same for any split.
    if (length > this.maxInline) {
      this.fail(ErrorCode.FRAME_TOO_LONG, tooLong);
      return FAILED;
    }
    return cr >= 0 && cr + 1 < buf.length ? cr : INCOMPLETE;
  }

  /**
   * Parses the inline line at `pos` into `args`: true for a command, false for a blank line, `undefined` when the
   * line is incomplete or failed (see `failure`).
   */
  private inline(buf: Buffer, pos: number): boolean | undefined {
    const lf = buf.indexOf(LF, pos);
    const length = lf < 0 ? buf.length - pos : lf - pos;
    if (length > this.maxInline) {
      this.fail(ErrorCode.FRAME_TOO_LONG, 'Protocol error: too big inline request');
      return undefined;
    }
    if (lf < 0) return undefined;
    const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    this.pos = lf + 1;
    if (!splitInlineArgs(buf, pos, end, this.args)) {
      this.fail(ErrorCode.FRAME_CORRUPT, 'Protocol error: unbalanced quotes in request');
      return undefined;
    }
    return this.args.count > 0;
  }

  /** Moves on to the chunk after the stash, if any; otherwise copies out what is unfinished and reports false. */
  private more(): boolean {
    const after = this.after;
    if (after !== undefined) {
      this.after = undefined;
      this.buf = after;
      this.pos = this.afterPos;
      this.owned = false;
      this.unownedFrom = this.argi;
      return true;
    }
    this.detach();
    return false;
  }

  /** Stops viewing the current chunk: copies the arguments taken from it and its unparsed tail. */
  private detach(): void {
    const { buf, pos } = this;
    if (this.inCommand && !this.owned) {
      const { sources, starts, ends } = this.args;
      for (let i = this.unownedFrom; i < this.argi; i++) {
        this.setArg(i, Buffer.from(sources[i]!.subarray(starts[i], ends[i])), 0, ends[i]! - starts[i]!);
      }
    }
    this.unownedFrom = this.argi;
    const tail = buf.length - pos;
    if (this.inCommand && this.bulkLen >= BIG_ARG) {
      // Sized once from the header, as Redis does; bulkLen is bounded by maxBulkLength.
      const big = Buffer.allocUnsafe(this.bulkLen);
      buf.copy(big, 0, pos, pos + Math.min(tail, this.bulkLen));
      this.big = big;
      this.bigHave = tail;
    } else if (tail > 0) {
      const stash = Buffer.allocUnsafe(Math.max(256, tail * 2));
      buf.copy(stash, 0, pos);
      this.stash = stash;
      this.stashLen = tail;
    }
    this.buf = EMPTY;
    this.pos = 0;
    this.owned = false;
  }

  private setArg(i: number, source: Buffer, start: number, end: number): void {
    this.args.sources[i] = source;
    this.args.starts[i] = start;
    this.args.ends[i] = end;
  }

  /** Where in `chunk` the stashed item ends (one past its last byte), or -1 if it does not end there. */
  private completion(chunk: Buffer, off: number): number {
    const stash = this.stash!;
    const stashLen = this.stashLen;
    if (this.inCommand && this.bulkLen >= 0) {
      const need = this.bulkLen + 2 - stashLen;
      return chunk.length - off >= need ? off + need : -1;
    }
    if (!this.inCommand && stash[0] !== STAR) {
      const lf = chunk.indexOf(LF, off);
      return lf < 0 ? -1 : lf + 1;
    }
    if (stash[stashLen - 1] === CR) return chunk.length > off ? off + 1 : -1;
    const cr = chunk.indexOf(CR, off);
    return cr >= 0 && cr + 1 < chunk.length ? cr + 2 : -1;
  }

  /** Fails once a stashed line that has not ended is already longer than the limit. */
  private checkPendingLine(): void {
    if (this.inCommand && this.bulkLen >= 0) return; // a short argument: bounded by BIG_ARG
    const stash = this.stash!;
    let length = this.stashLen;
    if (!this.inCommand && stash[0] !== STAR) {
      if (length > this.maxInline) this.fail(ErrorCode.FRAME_TOO_LONG, 'Protocol error: too big inline request');
      return;
    }
    if (stash[length - 1] === CR) length--;
    if (length <= this.maxInline) return;
    const what = this.inCommand ? 'bulk' : 'mbulk';
    this.fail(ErrorCode.FRAME_TOO_LONG, `Protocol error: too big ${what} count string`);
  }

  /** Appends `chunk[from, to)` to the stash, doubling it when full (old views of it stay intact). */
  private append(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    let stash = this.stash!;
    if (this.stashLen + n > stash.length) {
      const grown = Buffer.allocUnsafe(Math.max(stash.length * 2, this.stashLen + n));
      stash.copy(grown, 0, 0, this.stashLen);
      this.stash = stash = grown;
    }
    chunk.copy(stash, this.stashLen, from, to);
    this.stashLen += n;
  }

  private fail(code: ErrorCode, message: string): undefined {
    this.failure = new RxloopError(code, message);
    this.inCommand = false;
    this.buf = EMPTY;
    this.pos = 0;
    this.after = undefined;
    this.stash = undefined;
    this.stashLen = 0;
    this.big = undefined;
    this.bigHave = 0;
    return undefined;
  }
}

/**
 * Redis's `expected '$', got '%c'`: the byte goes out raw, except that CR and LF become spaces (Redis cleans
 * every error reply that way) and a NUL ends the text, as `%c` does in a C string.
 */
function expectedDollar(byte: number): string {
  const prefix = "Protocol error: expected '$', got '";
  if (byte === 0) return prefix;
  const shown = byte === CR || byte === LF ? ' ' : String.fromCharCode(byte);
  return `${prefix}${shown}'`;
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected ${name} to be a positive integer, got ${value}`);
  }
  return value;
}
