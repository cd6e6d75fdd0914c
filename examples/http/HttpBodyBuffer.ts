const EMPTY = Buffer.alloc(0);

/**
 * Collects a request body that spans socket reads. It grows with what arrives rather than with what was
 * announced: a client announcing 1 MiB and sending nothing must not cost 1 MiB per connection.
 *
 * @internal
 */
export class HttpBodyBuffer {
  /** Bytes collected so far. */
  length = 0;
  private buffer: Buffer = EMPTY;

  /**
   * Copies `src[start, start + count)` in.
   *
   * @param capacity the most this body may hold (the announced length, or the body limit)
   */
  append(src: Buffer, start: number, count: number, capacity: number): void {
    if (count === 0) return;
    const needed = this.length + count;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(capacity, Math.max(needed, this.buffer.length * 2, 4096)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    src.copy(this.buffer, this.length, start, start + count);
    this.length = needed;
  }

  /**
   * Hands the body over and starts empty: the returned buffer belongs to the request (and to a handler that
   * keeps it), so the next body gets new memory.
   */
  take(): Buffer {
    const body = this.length === 0 ? EMPTY : this.buffer.subarray(0, this.length);
    this.clear();
    return body;
  }

  /** Drops what was collected. */
  clear(): void {
    this.buffer = EMPTY;
    this.length = 0;
  }
}
