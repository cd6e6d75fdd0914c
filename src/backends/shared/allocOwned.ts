/**
 * Memory for bytes a reader may keep: decoded frames, and the chunks `data$` hands over.
 *
 * `Buffer.allocUnsafe` cuts small buffers from a process-wide pool slab, and a kept buffer keeps its whole slab
 * alive. Node 24.18 raised that slab from 8 KiB to 64 KiB, so one kept 40-byte frame can pin 64 KiB: measured on
 * Node 24.22, 10,000 such frames kept among other short-lived allocations held 632 MB. Allocating each small
 * buffer alone (`allocUnsafeSlow`) bounds that, but costs about 0.8 us more per allocation, which is more than a
 * pipelined RESP command costs in total. So rxloop cuts what it hands out from slabs of its own, of a fixed
 * 8 KiB on every Node line: as fast as Node's pool (a bump of an offset), and a kept buffer pins at most
 * {@link OWNED_SLAB_SIZE} bytes. Buffers of half a slab or more get memory of their own, as Node's pool does.
 *
 * @packageDocumentation
 */

/** The size of the slabs small owned buffers are cut from: the most memory one kept small buffer can pin. */
export const OWNED_SLAB_SIZE = 8 * 1024;

let slab: Buffer = Buffer.allocUnsafeSlow(OWNED_SLAB_SIZE);
let offset = 0;

/**
 * Returns `size` uninitialised bytes that belong to the caller (no other live buffer overlaps them), cut from an
 * 8 KiB slab when small, so keeping the buffer pins at most 8 KiB whatever Node's own pool size is.
 *
 * ## Example
 * ```ts
 * // Inside rxloop: a decoder copying the frames of one read out of a leased buffer.
 * // const span = allocOwned(end - start); chunk.copy(span, 0, start, end);
 * ```
 *
 * @internal
 * @param size the number of bytes
 * @returns a buffer of exactly `size` bytes
 */
export function allocOwned(size: number): Buffer {
  if (size >= OWNED_SLAB_SIZE >>> 1) return Buffer.allocUnsafeSlow(size);
  if (offset + size > OWNED_SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(OWNED_SLAB_SIZE);
    offset = 0;
  }
  const start = offset;
  // Eight-byte alignment, as Node's pool keeps, so typed-array views of a buffer stay aligned.
  offset = (start + size + 7) & ~7;
  return slab.subarray(start, start + size);
}
