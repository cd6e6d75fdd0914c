import { parseInteger } from './parseInteger.js';

/** Copies shorter than this are done byte by byte: `Buffer#copy` of a sub-range costs ~100 ns in checks and views. */
const SHORT_COPY = 64;
/** Slots a fresh argument list has; most commands have fewer arguments. */
const INITIAL_SLOTS = 32;
/** A list grown past this many slots is replaced by a fresh small one once its command is done. */
const SHRINK_ABOVE = 4096;
const EMPTY = Buffer.alloc(0);
/**
 * Strings shorter than V8's shortest cons string (13) are built in JavaScript, char by char, which stays flat and
 * costs about half a native `toString` call; longer ones are cut natively.
 */
const SHORT_STRING = 12;
/** Values up to this many bytes are stored as latin1 strings, longer ones as Buffers (see `Value`). */
const STRING_VALUE_MAX = 1024;

/**
 * The arguments of one parsed command, as byte ranges of the bytes read: no Buffer, array or string is made per
 * command unless a command asks for one. {@link RespParser} fills one instance over and over, so it is valid
 * only until the parser's next `next()` call, and its ranges only until the reader reuses its read buffer. Use
 * `latin1(i)` for keys, `copy(i)` for values to keep, and `buffer(i)` (a view) for anything else short-lived.
 *
 * An argument costs 16 bytes here (where it is, and its range: 4-byte offsets in typed arrays) plus its bytes
 * wherever they lie; the parser returns the slots of a command of many arguments once it is done.
 *
 * ## Example
 * ```ts
 * import { RespParser } from './RespParser.js';
 *
 * const parser = new RespParser();
 * parser.push(Buffer.from('SET Greeting hello\r\n'));
 * const args = parser.next()!;
 * console.log(args.count, args.is(0, 'set'), args.latin1(1), args.copy(2).toString()); // 3 true 'Greeting' 'hello'
 * ```
 */
export class RespArgs {
  /** Number of arguments, the command name included. */
  count = 0;
  /** @internal The buffer holding each argument (usually the chunk read), and its range in it. */
  sources: Buffer[] = [];
  /** @internal */
  starts = new Int32Array(INITIAL_SLOTS);
  /** @internal */
  ends = new Int32Array(INITIAL_SLOTS);

  /** @internal How many arguments fit before {@link RespArgs.grow} must be called. */
  get capacity(): number {
    return this.starts.length;
  }

  /**
   * @internal Makes room for `slots` arguments, keeping those set. Callers double the capacity (or less, when
   * the command needs less), so that filling a long list costs amortised O(1) per argument.
   */
  grow(slots: number): void {
    if (slots <= this.starts.length) return;
    const starts = new Int32Array(slots);
    const ends = new Int32Array(slots);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }

  /**
   * @internal Forgets the buffers of the arguments from `from` on, so that they can be freed, and gives back the
   * room of a long argument list when `from` is 0.
   */
  release(from: number): void {
    const sources = this.sources;
    if (from === 0 && this.starts.length > SHRINK_ABOVE) {
      this.sources = [];
      this.starts = new Int32Array(INITIAL_SLOTS);
      this.ends = new Int32Array(INITIAL_SLOTS);
      return;
    }
    // A shared empty buffer rather than `undefined`: the array keeps one element kind on the hot path.
    for (let i = from; i < sources.length; i++) sources[i] = EMPTY;
  }

  /**
   * The length of argument `i` in bytes.
   *
   * @param i the index, 0 for the command name
   */
  length(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /**
   * Argument `i` as a latin1 string (one character per byte, so any bytes map to a distinct string): how keys
   * are named.
   *
   * @param i the index
   */
  latin1(i: number): string {
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    const source = this.sources[i]!;
    if (end - start > SHORT_STRING) return source.toString('latin1', start, end);
    let text = '';
    for (let j = start; j < end; j++) text += String.fromCharCode(source[j]!);
    return text;
  }

  /**
   * An owned copy of argument `i`, for storing. Small copies come from Node's buffer pool.
   *
   * @param i the index
   */
  copy(i: number): Buffer {
    const source = this.sources[i]!;
    const start = this.starts[i]!;
    const length = this.ends[i]! - start;
    const value = Buffer.allocUnsafe(length);
    if (length < SHORT_COPY) for (let j = 0; j < length; j++) value[j] = source[start + j]!;
    else source.copy(value, 0, start, start + length);
    return value;
  }

  /**
   * Argument `i` in the form the keyspace stores values: a latin1 string up to 1 KiB, a Buffer of its own above.
   *
   * @param i the index
   */
  value(i: number): string | Buffer {
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    if (end - start <= STRING_VALUE_MAX) return this.latin1(i);
    const value = Buffer.allocUnsafeSlow(end - start);
    this.sources[i]!.copy(value, 0, start, end);
    return value;
  }

  /**
   * A view of argument `i`, valid as long as the read buffer is not reused.
   *
   * @param i the index
   */
  buffer(i: number): Buffer {
    return this.sources[i]!.subarray(this.starts[i], this.ends[i]);
  }

  /**
   * Whether argument `i` spells `lower` in any letter case.
   *
   * @param i the index
   * @param lower lowercase ASCII letters
   */
  is(i: number, lower: string): boolean {
    const source = this.sources[i]!;
    const start = this.starts[i]!;
    const length = lower.length;
    if (this.ends[i]! - start !== length) return false;
    // `byte | 0x20` equals a lowercase letter exactly when the byte is that letter in either case.
    for (let j = 0; j < length; j++) if ((source[start + j]! | 0x20) !== lower.charCodeAt(j)) return false;
    return true;
  }

  /**
   * Argument `i` as a 64-bit integer with Redis's rules (see `parseInteger`); beyond ±2^53 inexact, see
   * {@link RespArgs.bigint}.
   *
   * @param i the index
   * @returns the value, or NaN when the argument is not an integer
   */
  integer(i: number): number {
    return parseInteger(this.sources[i]!, this.starts[i]!, this.ends[i]!);
  }

  /**
   * Argument `i`, which `integer(i)` accepted, as an exact bigint.
   *
   * @param i the index
   */
  bigint(i: number): bigint {
    return BigInt(this.latin1(i));
  }

  /** Views of all arguments, for code off the hot path (error messages, tests). */
  toArray(): Buffer[] {
    const views: Buffer[] = [];
    for (let i = 0; i < this.count; i++) views.push(this.buffer(i));
    return views;
  }
}
