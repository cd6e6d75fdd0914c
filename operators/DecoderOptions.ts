/**
 * The options every frame decoder (`lines`, `delimited`, `lengthPrefixed`, `fixedLength`) accepts.
 *
 * ## Example
 * ```ts
 * import { lines, type DecoderOptions } from 'rxloop/operators';
 *
 * const hot: DecoderOptions = { batch: true, copy: false };
 * const framing = lines({ ...hot, maxLength: 4096 });
 * ```
 */
export interface DecoderOptions {
  /**
   * Emit one `Buffer[]` per input chunk (every frame that chunk completed, in order) instead of one value per
   * frame. A chunk that completes no frame emits nothing. This is the hot path for pipelined protocols: one RxJS
   * emission per socket read. Default `false`.
   */
  batch?: boolean;
  /**
   * Whether emitted frames own their memory. Default `true`.
   *
   * - `true`: no frame ever shares memory with an input chunk, so frames may be kept after `next` returns even
   *   when the chunks are leased buffers that the reader reuses. The frames completed by one chunk are views of
   *   one fresh copy of their bytes (one allocation per read, not per frame), so keeping one frame keeps the
   *   bytes of its siblings from the same read alive. Copies under 4 KiB are cut from rxloop's own 8 KiB slabs
   *   (not Node's pool, whose slab is 64 KiB from Node 24.18), so a small kept frame pins at most 8 KiB. To keep
   *   a small frame of a large read for long, copy it into memory of its own:
   *   `Buffer.allocUnsafeSlow(frame.length)` and `frame.copy(it)` (`Buffer.from` would share Node's pool).
   * - `false`: a frame that lies inside one chunk is a view (`subarray`) of that chunk: zero-copy, and exactly as
   *   durable as the chunk. With leased or reused chunks, use such a frame synchronously inside `next` and copy
   *   what you keep.
   *
   * In both modes a frame assembled from several chunks is a fresh buffer, and the decoder never keeps a
   * reference to a chunk after its `next` returns (bytes of an unfinished frame are copied), so a reader may
   * reuse a chunk as soon as the decoder's `next` returns.
   */
  copy?: boolean;
}
