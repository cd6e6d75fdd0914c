import { FrameDecoder } from './FrameDecoder.js';
import { allocOwned } from '../src/backends/shared/allocOwned.js';

/**
 * Cuts input into frames of one fixed size. A frame split over chunks is copied into a buffer of its final size.
 *
 * @internal
 */
export class FixedLengthDecoder extends FrameDecoder {
  private pending: Buffer | null = null;
  private pendingLength = 0;

  /**
   * @param size bytes per frame, at least 1
   * @param copy see `DecoderOptions.copy`
   */
  constructor(
    private readonly size: number,
    copy: boolean,
  ) {
    super(copy);
  }

  push(chunk: Buffer, emit: (frame: Buffer) => void): void {
    const n = chunk.length;
    const size = this.size;
    let pos = 0;
    const pending = this.pending;
    if (pending !== null) {
      pos = chunk.copy(pending, this.pendingLength, 0, Math.min(n, size - this.pendingLength));
      this.pendingLength += pos;
      if (this.pendingLength < size) return;
      this.pending = null;
      emit(pending);
      if (this.stopped) return;
    }
    const spanEnd = pos + Math.floor((n - pos) / size) * size;
    this.beginSpan(chunk, pos, spanEnd);
    while (pos < spanEnd) {
      emit(this.frame(chunk, pos, pos + size));
      pos += size;
      if (this.stopped) return;
    }
    this.endSpan();
    if (pos < n) {
      this.pending = allocOwned(size);
      this.pendingLength = chunk.copy(this.pending, 0, pos, n);
    }
  }

  end(): void {
    if (this.pending !== null) throw FrameDecoder.truncated(`a frame of ${this.size} bytes`, this.pendingLength);
  }

  protected release(): void {
    this.pending = null;
  }
}
