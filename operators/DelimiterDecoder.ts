import { ErrorCode, RxloopError } from '../src/errors.js';
import { FrameDecoder } from './FrameDecoder.js';
import { allocOwned } from '../src/backends/shared/allocOwned.js';

const CR = 0x0d;
/** A held buffer larger than this is dropped once its frame is done, so one long frame does not pin memory. */
const KEEP_CAPACITY = 16 * 1024;

/** How a {@link DelimiterDecoder} splits its input. @internal */
export interface DelimiterRule {
  /** The delimiter bytes, at least one. */
  readonly delimiter: Buffer;
  /** The largest frame emitted, delimiter and stripped CR not counted. */
  readonly maxLength: number;
  /** Emit frames with their delimiter. */
  readonly keepDelimiter: boolean;
  /** Drop a CR right before the delimiter (lines ending in CRLF). */
  readonly stripCR: boolean;
  /** See `DecoderOptions.copy`. */
  readonly copy: boolean;
}

/**
 * Splits input on a delimiter of any length, including one split over several chunks.
 *
 * Bytes of an unfinished frame are held, copied, in one growing buffer. When a chunk arrives the decoder first
 * looks for a delimiter that starts in the held bytes and ends in the chunk (a window of the last `d - 1` held
 * bytes and the first `d - 1` new ones), then searches the chunk itself with `indexOf`. The held bytes never
 * contain a whole delimiter, which is what makes the window enough.
 *
 * @internal
 */
export class DelimiterDecoder extends FrameDecoder {
  /** What `indexOf` looks for: the byte itself for a one-byte delimiter (memchr), the bytes otherwise. */
  private readonly needle: number | Buffer;
  private readonly delimiter: Buffer;
  private readonly size: number;
  private readonly maxLength: number;
  private readonly keepDelimiter: boolean;
  private readonly stripCR: boolean;
  /** How many held bytes beyond `maxLength` may still end up outside the frame: a CR and a delimiter prefix. */
  private readonly slack: number;
  /** Scratch for the cross-boundary search, `2 * (d - 1)` bytes. */
  private readonly window: Buffer;
  private held: Buffer | null = null;
  private heldLength = 0;

  /** @param rule the delimiter and limits */
  constructor(rule: DelimiterRule) {
    super(rule.copy);
    this.delimiter = rule.delimiter;
    this.size = rule.delimiter.length;
    this.needle = this.size === 1 ? rule.delimiter[0]! : rule.delimiter;
    this.maxLength = rule.maxLength;
    this.keepDelimiter = rule.keepDelimiter;
    this.stripCR = rule.stripCR;
    this.slack = this.size - 1 + (rule.stripCR ? 1 : 0);
    this.window = allocOwned(2 * (this.size - 1));
  }

  push(chunk: Buffer, emit: (frame: Buffer) => void): void {
    let start = 0;
    if (this.heldLength > 0) {
      start = this.finishHeld(chunk, emit);
      if (start < 0 || this.stopped) return;
    }
    const size = this.size;
    const last = chunk.lastIndexOf(this.needle);
    if (last >= start) {
      // Every frame found below ends by last + size; copy that range once (copy mode) and hand out views of it.
      this.beginSpan(chunk, start, last + size);
      // While start <= last a delimiter starts at or after start, so indexOf finds one.
      while (start <= last) {
        const at = chunk.indexOf(this.needle, start);
        let end = at;
        if (this.stripCR && end > start && chunk[end - 1] === CR) end--;
        if (end - start > this.maxLength) throw this.tooLong(end - start);
        emit(this.frame(chunk, start, this.keepDelimiter ? at + size : end));
        start = at + size;
        if (this.stopped) return;
      }
      this.endSpan();
    }
    if (start < chunk.length) this.hold(chunk, start);
  }

  end(): void {
    if (this.heldLength > 0) {
      throw FrameDecoder.truncated(`a frame ending in ${this.describe()}`, this.heldLength);
    }
  }

  protected release(): void {
    this.held = null;
    this.heldLength = 0;
  }

  /**
   * Completes the held frame with the start of `chunk`. Returns where the rest of the chunk starts, or -1 when
   * the whole chunk was held because it holds no delimiter end.
   */
  private finishHeld(chunk: Buffer, emit: (frame: Buffer) => void): number {
    const held = this.held!;
    const heldLength = this.heldLength;
    const size = this.size;
    // `at`: where the delimiter starts, counted from the first held byte.
    let at = -1;
    if (size > 1) {
      const tail = Math.min(size - 1, heldLength);
      const head = Math.min(size - 1, chunk.length);
      held.copy(this.window, 0, heldLength - tail, heldLength);
      chunk.copy(this.window, tail, 0, head);
      // Bytes past tail + head are stale, so a match reaching into them is no match (and none can come earlier).
      const found = this.window.indexOf(this.delimiter);
      if (found !== -1 && found + size <= tail + head) at = heldLength - tail + found;
    }
    if (at === -1) {
      const found = chunk.indexOf(this.needle);
      if (found === -1) {
        this.hold(chunk, 0);
        return -1;
      }
      at = heldLength + found;
    }
    let end = at;
    if (this.stripCR && end > 0 && (end > heldLength ? chunk[end - 1 - heldLength] : held[end - 1]) === CR) end--;
    if (end > this.maxLength) throw this.tooLong(end);
    const frameEnd = this.keepDelimiter ? at + size : end;
    const frame = allocOwned(frameEnd);
    held.copy(frame, 0, 0, Math.min(frameEnd, heldLength));
    if (frameEnd > heldLength) chunk.copy(frame, heldLength, 0, frameEnd - heldLength);
    this.heldLength = 0;
    if (held.length > KEEP_CAPACITY) this.held = null;
    emit(frame);
    return at + size - heldLength;
  }

  /** Copies `chunk[start..]` behind the held bytes, failing as soon as the frame is provably too long. */
  private hold(chunk: Buffer, start: number): void {
    const total = this.heldLength + chunk.length - start;
    if (total > this.maxLength + this.slack) throw this.tooLong(total, true);
    let held = this.held;
    if (held === null || held.length < total) {
      const capacity = Math.min(Math.max(total, 2 * (held?.length ?? 0), 256), this.maxLength + this.slack);
      const grown = allocOwned(capacity);
      if (held !== null) held.copy(grown, 0, 0, this.heldLength);
      this.held = held = grown;
    }
    chunk.copy(held, this.heldLength, start);
    this.heldLength = total;
    if (total > this.maxLength && !this.mayStillFit(held, total)) throw this.tooLong(total, true);
  }

  /**
   * Whether some split of the held bytes into at most `maxLength` frame bytes, an optional CR (when stripped)
   * and a delimiter prefix exists; when none does, the frame is too long whatever comes next.
   */
  private mayStillFit(held: Buffer, total: number): boolean {
    for (let content = Math.max(0, total - this.slack); content <= this.maxLength; content++) {
      let at = content;
      if (this.stripCR && at < total && held[at] === CR) at++;
      if (total - at >= this.size) continue;
      if (held.compare(this.delimiter, 0, total - at, at, total) === 0) return true;
    }
    return false;
  }

  private tooLong(length: number, unfinished = false): RxloopError {
    const expected = `expected a frame of at most ${this.maxLength} bytes before ${this.describe()}`;
    return new RxloopError(
      ErrorCode.FRAME_TOO_LONG,
      `${expected}, got ${length} bytes${unfinished ? ' without one' : ''}`,
    );
  }

  private describe(): string {
    return JSON.stringify(this.delimiter.toString('latin1'));
  }
}
