/**
 * Returns bytes that may be moved to another thread: `view` itself when it is the only view of its whole
 * `ArrayBuffer`, otherwise a copy that is. Moving a view of a shared slab (`Buffer.from`, `allocUnsafe` and
 * every small Buffer share Node's pool slabs, 8 KiB before Node 24.18 and 64 KiB since; rxloop's own frames
 * share 8 KiB slabs) would detach the slab under every other Buffer cut from it, so those
 * are copied once, and only their own bytes (posting the view itself would clone the whole slab).
 *
 * @internal
 * @param view bytes on their way to a worker (or back)
 * @returns `view`, or a copy that owns its whole buffer; add its `buffer` to the transfer list
 */
export function ownedBytes(view: Uint8Array): Uint8Array<ArrayBuffer> {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength) {
    return view as Uint8Array<ArrayBuffer>;
  }
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}
