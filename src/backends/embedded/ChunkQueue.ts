import { allocOwned } from '../shared/allocOwned.js';

const EMPTY = Buffer.alloc(0);

/**
 * A FIFO of byte chunks: the "kernel receive buffer" of an embedded transport. Chunks are kept as they arrived
 * and only copied when a read spans several of them, so pushing and draining whole chunks never copies.
 *
 * @internal
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** Index of the first chunk still holding bytes. */
  private head = 0;
  /** Bytes already taken from `chunks[head]`. */
  private offset = 0;
  private bytes = 0;

  /** Bytes queued. */
  get length(): number {
    return this.bytes;
  }

  /**
   * Appends a chunk (kept by reference).
   *
   * @param chunk the bytes; the queue owns them from now on
   */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /**
   * Moves queued chunks into `into`, in order, up to `limit` bytes (the last one split if needed).
   *
   * @param into the array to append to
   * @param limit the most bytes to move (default: all)
   * @returns the number of bytes moved
   */
  drainInto(into: Buffer[], limit = Infinity): number {
    let moved = 0;
    while (this.bytes > 0 && moved < limit) {
      const chunk = this.chunks[this.head]!;
      const size = Math.min(chunk.length - this.offset, limit - moved);
      into.push(this.offset === 0 && size === chunk.length ? chunk : chunk.subarray(this.offset, this.offset + size));
      this.consume(size, chunk.length);
      moved += size;
    }
    return moved;
  }

  /**
   * Takes up to `size` bytes: a view when they lie in one chunk, a copy when they span several.
   *
   * @param size the most bytes to take (a positive integer)
   * @returns the bytes (empty when the queue is empty)
   */
  take(size: number): Buffer {
    if (this.bytes === 0) return EMPTY;
    const first = this.chunks[this.head]!;
    const start = this.offset;
    if (start + size <= first.length) {
      this.consume(size, first.length);
      return first.subarray(start, start + size);
    }
    const out = allocOwned(Math.min(size, this.bytes));
    this.copyInto(out);
    return out;
  }

  /**
   * Copies queued bytes into `target` until it is full or the queue is empty, and consumes them.
   *
   * @param target where to copy
   * @returns the number of bytes copied
   */
  copyInto(target: Uint8Array): number {
    let filled = 0;
    while (filled < target.length && this.bytes > 0) {
      const chunk = this.chunks[this.head]!;
      const end = Math.min(chunk.length, this.offset + target.length - filled);
      const copied = chunk.copy(target, filled, this.offset, end);
      filled += copied;
      this.consume(copied, chunk.length);
    }
    return filled;
  }

  /**
   * Like {@link ChunkQueue.copyInto}, but stops at the end of the first chunk: one read returns at most one
   * segment, so short reads happen where the sender's data was fragmented.
   *
   * @param target where to copy
   * @returns the number of bytes copied
   */
  copySegmentInto(target: Uint8Array): number {
    if (this.bytes === 0) return 0;
    const chunk = this.chunks[this.head]!;
    const copied = chunk.copy(target, 0, this.offset, Math.min(chunk.length, this.offset + target.length));
    this.consume(copied, chunk.length);
    return copied;
  }

  /** Drops every queued byte. */
  clear(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.offset = 0;
    this.bytes = 0;
  }

  /** Consumes `size` bytes of the head chunk (of length `headLength`). */
  private consume(size: number, headLength: number): void {
    this.bytes -= size;
    this.offset += size;
    if (this.offset < headLength) return;
    // Forget the chunk at once so its memory can be collected before the array is compacted.
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      // Compact rarely so shifting stays amortised O(1) per chunk.
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
