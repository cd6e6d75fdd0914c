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
/** Return value of `completion`: the stashed line met a NUL and the parser is stuck. */
const STUCK = -3;

/** Bytes of the first arena block; later blocks double, up to ARENA_MAX. */
const ARENA_MIN = 256;
const ARENA_MAX = 64 * 1024;
/** What one argument's slot costs while a command is pending (its source, start and end), for the query limit. */
const SLOT_BYTES = 16;
/** Redis's INT_MAX: the largest multibulk count it accepts. */
const INT_MAX = 0x7fffffff;

/** The limits a {@link RespParser} enforces; each defaults to Redis's value. */
export interface RespParserOptions {
  /** Largest bulk argument in bytes (Redis `proto-max-bulk-len`); default 512 MiB. */
  maxBulkLength?: number;
  /** Most arguments in one multibulk command; default 2^31 - 1, as Redis accepts (the memory limit comes first). */
  maxMultibulkLength?: number;
  /**
   * Most bytes an inline command line, or a `*<n>` / `$<n>` header line, may have pending without its end at the
   * end of a read; default 64 KiB (Redis's PROTO_INLINE_MAX_SIZE). A line whose end has arrived is parsed
   * whatever its length, as Redis does.
   */
  maxInlineLength?: number;
  /**
   * Most bytes one unfinished command may hold (its arguments so far, 16 bytes of bookkeeping each, and its
   * unparsed bytes); default 1 GiB (Redis's `client-query-buffer-limit`). Past it the connection is closed
   * without a reply, as Redis closes it.
   */
  maxQueryBuffer?: number;
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
 * **Memory.** The arguments of a command that spans reads are copied, back to back, into a few arena blocks of
 * the parser (an argument costs its bytes plus 16), never one buffer each; once the command has run, the
 * parser keeps nothing of it, so an idle connection holds no argument memory. A command that would hold more
 * than `maxQueryBuffer` fails.
 *
 * **Ownership.** The returned {@link RespArgs} is valid until the next `next()` call. The parser keeps no view
 * of a chunk once `next` has returned `undefined` for it (what it still needs, it copies), so the reader may
 * reuse its read buffer from then on.
 *
 * **Errors.** When the input breaks the protocol, `next` returns `undefined` and `error` is set; the commands
 * returned before that were complete and valid, so the caller runs them, answers `-ERR <error.message>` (Redis's
 * text, for example `Protocol error: invalid bulk length`) unless `replyToError` is false, and closes the
 * connection, as Redis does. The parser ignores everything pushed after an error.
 *
 * **Redis's quirks, kept.** Redis finds line ends with `strchr`, which stops at a NUL byte: a NUL in an inline
 * line or a header line hides its end for good, so the parser waits (answering nothing more) until over
 * `maxInlineLength` bytes are pending and then fails with the line's "too big" error, as Redis does. A header or
 * inline line whose end has arrived is judged by its content however long it is; one still without its end
 * after a read fails once more than `maxInlineLength` bytes are pending (so, as with Redis, which reads 16 KiB
 * and more at a time, a line of 64 to about 160 KiB may pass or fail depending on how it was read).
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
  private readonly maxQuery: number;
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
  /** Counts multibulk commands begun, so the arena knows when its last command is over. */
  private commands = 0;

  /** The start of an unfinished item (a header or inline line, or a short argument), copied out of its chunk. */
  private stash: Buffer | undefined;
  private stashLen = 0;
  /** A long argument being filled across chunks, and how many of its bytes (CRLF included) have arrived. */
  private big: Buffer | undefined;
  private bigHave = 0;

  /** Where the arguments of a command that spans reads are kept: the newest block, its fill, its command. */
  private arena: Buffer | undefined;
  private arenaPos = 0;
  private arenaCommand = -1;
  /** Bytes the unfinished command holds in arena blocks and big arguments. */
  private kept = 0;

  /** Set once a NUL hid a line's end: the "too big" message to fail with, and the bytes pending since. */
  private stuck: string | undefined;
  private stuckPending = 0;

  private failure: RxloopError | undefined;
  private silent = false;

  /**
   * @param options limits; each defaults to Redis's
   * @throws RxloopError `ERR_INVALID_ARGUMENT` for a limit that is not a positive integer
   */
  constructor(options: RespParserOptions = {}) {
    this.maxBulk = limit(options.maxBulkLength, 512 * 1024 * 1024, 'maxBulkLength');
    this.maxMultibulk = limit(options.maxMultibulkLength, INT_MAX, 'maxMultibulkLength');
    this.maxInline = limit(options.maxInlineLength, 64 * 1024, 'maxInlineLength');
    this.maxQuery = limit(options.maxQueryBuffer, 1024 * 1024 * 1024, 'maxQueryBuffer');
  }

  /**
   * Why parsing stopped, once the input broke the protocol: `ERR_FRAME_TOO_LONG` for a limit,
   * `ERR_FRAME_CORRUPT` otherwise. The message is Redis's text, to be sent as `-ERR <message>`.
   */
  get error(): RxloopError | undefined {
    return this.failure;
  }

  /**
   * Whether the client is told about `error` (`-ERR <message>`) before the connection closes: false only for
   * `maxQueryBuffer`, which Redis enforces by closing the connection without a word.
   */
  get replyToError(): boolean {
    return !this.silent;
  }

  /** Bytes held back for an unfinished command (what a read-side memory bound should count). */
  get buffered(): number {
    return this.kept + this.stashLen + this.bigHave + this.buf.length - this.pos;
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
    if (this.stuck !== undefined) {
      this.stuckPending += chunk.length;
      if (this.stuckPending > this.maxInline) this.fail(ErrorCode.FRAME_TOO_LONG, this.stuck);
      return;
    }
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
      this.unownedFrom = this.argi;
      this.kept += this.bulkLen;
      this.big = undefined;
      this.bigHave = 0;
      this.bulkLen = -1;
    }
    if (this.stash !== undefined) {
      const end = this.completion(chunk, off);
      if (end === STUCK) return;
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
    if (this.failure !== undefined || this.stuck !== undefined || this.stash !== undefined || this.big !== undefined) {
      return undefined;
    }
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
            if (this.failure === undefined && this.stuck === undefined && this.more()) continue;
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
        this.kept = 0;
        this.commands++;
      }
      // Read `$<len>\r\n<bytes>\r\n` until all arguments are in; the common case stays in locals.
      const buf = this.buf;
      const end = buf.length;
      const sources = args.sources;
      let { starts, ends } = args;
      let capacity = starts.length;
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
        if (argi === capacity) {
          // Grown as arguments arrive, never from the header's count alone (as Redis grows its argv).
          args.grow(Math.min(argc, capacity * 2));
          ({ starts, ends } = args);
          capacity = starts.length;
        }
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
    if (c !== CR || p + 1 >= buf.length) return -1;
    this.headerValue = value;
    return p;
  }

  /**
   * Finds the CR ending a `*` or `$` header line that starts at `pos`, as Redis's `strchr` does. Returns its index
   * when the byte after it has arrived too; INCOMPLETE when the line has not ended (or only its last byte is
   * missing); FAILED after failing (over the limit at the end of this read) or getting stuck (a NUL first).
   */
  private lineEnd(buf: Buffer, pos: number, tooLong: string): number {
    const cr = buf.indexOf(CR, pos);
    if (nulBetween(buf, pos, cr < 0 ? buf.length : cr)) {
      this.stick(tooLong, this.pendingFrom(buf, pos));
      return FAILED;
    }
    if (cr < 0) {
      // The chunk is all there is for now: this is the end of a read.
      if (buf.length - pos > this.maxInline) {
        this.fail(ErrorCode.FRAME_TOO_LONG, tooLong);
        return FAILED;
      }
      return INCOMPLETE;
    }
    return cr + 1 < buf.length ? cr : INCOMPLETE;
  }

  /**
   * Parses the inline line at `pos` into `args`: true for a command, false for a blank line, `undefined` when the
   * line is incomplete, failed (see `failure`) or got the parser stuck.
   */
  private inline(buf: Buffer, pos: number): boolean | undefined {
    const message = 'Protocol error: too big inline request';
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) {
      if (nulBetween(buf, pos, buf.length)) this.stick(message, this.pendingFrom(buf, pos));
      else if (buf.length - pos > this.maxInline) this.fail(ErrorCode.FRAME_TOO_LONG, message);
      return undefined;
    }
    // Redis finds the line end with strchr: a NUL anywhere before it hides it, whatever the line holds before the
    // NUL (an unbalanced quote ahead of it is never seen), the same whether the line came in one read or several.
    if (nulBetween(buf, pos, lf)) {
      this.stick(message, this.pendingFrom(buf, pos));
      return undefined;
    }
    const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const split = splitInlineArgs(buf, pos, end, this.args);
    if (split === 'nul') {
      this.stick(message, this.pendingFrom(buf, pos));
      return undefined;
    }
    this.pos = lf + 1;
    if (split === 'unbalanced') {
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

  /**
   * The end of a read: stops viewing the current chunk, copying the arguments taken from it (into the arena) and
   * its unparsed tail, and forgets every buffer no unfinished command needs.
   */
  private detach(): void {
    const { buf, pos } = this;
    const args = this.args;
    if (this.inCommand) {
      if (!this.owned) this.keep(this.unownedFrom, this.argi);
      this.unownedFrom = this.argi;
      args.release(this.argi);
    } else {
      args.release(0);
      this.arena = undefined;
    }
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
    const held = this.kept + this.argi * SLOT_BYTES + this.stashLen + (this.big !== undefined ? this.bulkLen : 0);
    if (this.inCommand && held > this.maxQuery) {
      this.silent = true;
      this.fail(ErrorCode.FRAME_TOO_LONG, `expected a command of at most ${this.maxQuery} bytes (the query buffer limit)`);
    }
  }

  /** Copies arguments `[from, to)` out of the chunk into the arena, back to back. */
  private keep(from: number, to: number): void {
    if (from >= to) return;
    if (this.arenaCommand !== this.commands) {
      // The arena's last command has run: its newest block is free again.
      this.arenaCommand = this.commands;
      this.arenaPos = 0;
    }
    const args = this.args;
    const { sources, starts, ends } = args;
    let arena = this.arena;
    let at = this.arenaPos;
    for (let i = from; i < to; i++) {
      const start = starts[i]!;
      const length = ends[i]! - start;
      if (arena === undefined || at + length > arena.length) {
        const grown = Math.min(ARENA_MAX, Math.max(ARENA_MIN, 2 * (arena?.length ?? 0)));
        arena = Buffer.allocUnsafeSlow(Math.max(grown, length));
        at = 0;
      }
      const source = sources[i]!;
      if (length < 64) for (let j = 0; j < length; j++) arena[at + j] = source[start + j]!;
      else source.copy(arena, at, start, start + length);
      sources[i] = arena;
      starts[i] = at;
      ends[i] = at + length;
      at += length;
      this.kept += length;
    }
    this.arena = arena;
    this.arenaPos = at;
  }

  /** Bytes from `pos` of `buf` to the end of what has been pushed. */
  private pendingFrom(buf: Buffer, pos: number): number {
    return buf.length - pos + (this.after !== undefined ? this.after.length - this.afterPos : 0);
  }

  /**
   * A NUL hid the end of the current line: like Redis, wait for a line end that can never be found, counting
   * bytes, and fail with the line's "too big" error once more than `maxInlineLength` are pending.
   */
  private stick(message: string, pending: number): void {
    this.drop();
    this.stuck = message;
    this.stuckPending = pending;
    if (pending > this.maxInline) this.fail(ErrorCode.FRAME_TOO_LONG, message);
  }

  private setArg(i: number, source: Buffer, start: number, end: number): void {
    const args = this.args;
    if (i >= args.capacity) args.grow(Math.min(this.argc, args.capacity * 2));
    args.sources[i] = source;
    args.starts[i] = start;
    args.ends[i] = end;
  }

  /** Where in `chunk` the stashed item ends (one past its last byte), -1 if it does not end there, or STUCK. */
  private completion(chunk: Buffer, off: number): number {
    const stash = this.stash!;
    const stashLen = this.stashLen;
    if (this.inCommand && this.bulkLen >= 0) {
      const need = this.bulkLen + 2 - stashLen;
      return chunk.length - off >= need ? off + need : -1;
    }
    if (!this.inCommand && stash[0] !== STAR) {
      const lf = chunk.indexOf(LF, off);
      if (nulBetween(chunk, off, lf < 0 ? chunk.length : lf)) {
        this.stick('Protocol error: too big inline request', stashLen + chunk.length - off);
        return STUCK;
      }
      return lf < 0 ? -1 : lf + 1;
    }
    if (stash[stashLen - 1] === CR) return chunk.length > off ? off + 1 : -1;
    const cr = chunk.indexOf(CR, off);
    if (nulBetween(chunk, off, cr < 0 ? chunk.length : cr)) {
      this.stick(`Protocol error: too big ${this.inCommand ? 'bulk' : 'mbulk'} count string`, stashLen + chunk.length - off);
      return STUCK;
    }
    return cr >= 0 && cr + 1 < chunk.length ? cr + 2 : -1;
  }

  /** At the end of a read: fails once a stashed line that has not ended is longer than the limit. */
  private checkPendingLine(): void {
    if (this.inCommand && this.bulkLen >= 0) return; // a short argument: bounded by BIG_ARG
    const stash = this.stash!;
    const length = this.stashLen;
    if (!this.inCommand && stash[0] !== STAR) {
      if (length > this.maxInline) this.fail(ErrorCode.FRAME_TOO_LONG, 'Protocol error: too big inline request');
      return;
    }
    // A header line whose CR has come is over: Redis waits for the byte after it, whatever the length.
    if (stash[length - 1] === CR || length <= this.maxInline) return;
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

  /** Lets go of every buffer and of the unfinished command. */
  private drop(): void {
    this.inCommand = false;
    this.buf = EMPTY;
    this.pos = 0;
    this.after = undefined;
    this.stash = undefined;
    this.stashLen = 0;
    this.big = undefined;
    this.bigHave = 0;
    this.arena = undefined;
    this.kept = 0;
    this.args.release(0);
  }

  private fail(code: ErrorCode, message: string): undefined {
    this.failure = new RxloopError(code, message);
    this.stuck = undefined;
    this.drop();
    return undefined;
  }
}

/** Whether `buf[from, to)` holds a NUL byte (the end of a C string). */
function nulBetween(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === 0) return true;
  return false;
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
