import { ErrorCode, RxloopError } from '../src/errors.js';
import { FrameDecoder } from './FrameDecoder.js';
import type { LengthField } from './LengthField.js';
import { allocOwned } from '../src/backends/shared/allocOwned.js';

/** How a {@link LengthFieldDecoder} reads frames. @internal */
export interface LengthFieldRule {
  /** The header layout. */
  readonly field: LengthField;
  /** Emit the body only (true) or header and body (false). */
  readonly strip: boolean;
  /** The largest body accepted, header not counted. */
  readonly maxLength: number;
  /** See `DecoderOptions.copy`. */
  readonly copy: boolean;
}

/**
 * Reads frames made of a length header and a body.
 *
 * The length is checked as soon as the header is complete, before any body byte is buffered, so a hostile header
 * costs nothing. A body that does not fit in the current chunk is copied into a buffer of its exact final size
 * (bounded by `maxLength`), so a frame spread over many chunks is copied once.
 *
 * @internal
 */
export class LengthFieldDecoder extends FrameDecoder {
  private readonly field: LengthField;
  private readonly headerSize: number;
  private readonly strip: boolean;
  private readonly maxLength: number;
  /** Header bytes received so far when a header is split over chunks. */
  private readonly header: Buffer;
  private headerLength = 0;
  /** The frame being assembled (with its header unless stripped), and how much of it is filled. */
  private pending: Buffer | null = null;
  private pendingLength = 0;

  /** @param rule the layout and limits */
  constructor(rule: LengthFieldRule) {
    super(rule.copy);
    this.field = rule.field;
    this.headerSize = rule.field.bytes;
    this.strip = rule.strip;
    this.maxLength = rule.maxLength;
    this.header = allocOwned(this.headerSize);
  }

  push(chunk: Buffer, emit: (frame: Buffer) => void): void {
    const n = chunk.length;
    const headerSize = this.headerSize;
    let pos = 0;
    if (this.pending !== null) {
      pos = this.fill(chunk, 0, emit);
      if (this.pending !== null || this.stopped) return;
    } else if (this.headerLength > 0) {
      pos = Math.min(headerSize - this.headerLength, n);
      chunk.copy(this.header, this.headerLength, 0, pos);
      this.headerLength += pos;
      if (this.headerLength < headerSize) return;
      this.headerLength = 0;
      const body = this.bodyLength(this.header, 0);
      this.pending = allocOwned(this.strip ? body : headerSize + body);
      this.pendingLength = 0;
      if (!this.strip) this.pendingLength = this.header.copy(this.pending, 0);
      pos = this.fill(chunk, pos, emit);
      if (this.pending !== null || this.stopped) return;
    }
    const spanEnd = this.copy ? this.completeFramesEnd(chunk, pos) : n;
    this.beginSpan(chunk, pos, spanEnd);
    while (n - pos >= headerSize) {
      const body = this.bodyLength(chunk, pos);
      const end = pos + headerSize + body;
      if (end > n) {
        this.endSpan();
        this.pending = allocOwned(this.strip ? body : headerSize + body);
        this.pendingLength = chunk.copy(this.pending, 0, this.strip ? pos + headerSize : pos, n);
        return;
      }
      emit(this.frame(chunk, this.strip ? pos + headerSize : pos, end));
      pos = end;
      if (this.stopped) return;
    }
    this.endSpan();
    if (pos < n) this.headerLength = chunk.copy(this.header, 0, pos, n);
  }

  end(): void {
    if (this.headerLength > 0) {
      throw FrameDecoder.truncated(`a ${this.headerSize}-byte length header`, this.headerLength);
    }
    const pending = this.pending;
    if (pending !== null) {
      const received = this.strip ? this.headerSize + this.pendingLength : this.pendingLength;
      const total = this.strip ? this.headerSize + pending.length : pending.length;
      throw FrameDecoder.truncated(`a frame of ${total} bytes (header included)`, received);
    }
  }

  protected release(): void {
    this.pending = null;
    this.headerLength = 0;
  }

  /** Copies body bytes from `chunk[pos..]` into the pending frame; emits it when full. Returns the new pos. */
  private fill(chunk: Buffer, pos: number, emit: (frame: Buffer) => void): number {
    const pending = this.pending!;
    const end = Math.min(chunk.length, pos + pending.length - this.pendingLength);
    const copied = chunk.copy(pending, this.pendingLength, pos, end);
    this.pendingLength += copied;
    if (this.pendingLength === pending.length) {
      this.pending = null;
      emit(pending);
    }
    return pos + copied;
  }

  /** Where the run of complete, valid frames starting at `pos` ends (a pre-scan that sizes the span copy). */
  private completeFramesEnd(chunk: Buffer, pos: number): number {
    const n = chunk.length;
    const headerSize = this.headerSize;
    const adjust = this.field.adjust;
    while (n - pos >= headerSize) {
      const body = this.field.read(chunk, pos) + adjust;
      if (!(body >= 0 && body <= this.maxLength) || pos + headerSize + body > n) break;
      pos += headerSize + body;
    }
    return pos;
  }

  /** The body length announced by the header at `offset`, or the reason it is refused. */
  private bodyLength(buffer: Buffer, offset: number): number {
    const field = this.field.read(buffer, offset);
    if (field === Infinity) {
      throw new RxloopError(
        ErrorCode.FRAME_CORRUPT,
        `expected an 8-byte length of at most ${Number.MAX_SAFE_INTEGER}, got ${this.field.describe(buffer, offset)}`,
      );
    }
    const body = field + this.field.adjust;
    if (body < 0) {
      throw new RxloopError(
        ErrorCode.FRAME_CORRUPT,
        `expected a length field of at least ${-this.field.adjust} (adjust ${this.field.adjust}), got ${field}`,
      );
    }
    if (body > this.maxLength) {
      throw new RxloopError(
        ErrorCode.FRAME_TOO_LONG,
        `expected a frame body of at most ${this.maxLength} bytes, the header announced ${body}`,
      );
    }
    return body;
  }
}
