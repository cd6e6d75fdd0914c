/** Control words: the reader's position, the writer's position (both count bytes, modulo 2^32). */
const HEAD = 0;
const TAIL = 1;
const CONTROL_BYTES = 8;

/** `Atomics.waitAsync` (ES2024; Node.js 16 on), typed here since the project's lib is older. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<unknown> | string };
}).waitAsync;

/**
 * A one-way byte pipe between two threads of one process in a `SharedArrayBuffer`: one thread writes, the other
 * reads, neither blocks its event loop. The shared-memory link measured for a handler's service under
 * `multiReactor({ threads: true })` (see docs/examples.md, "The keyspace under threads"): a hop through it costs
 * about a quarter of a hop through a Unix socket when several batches are in flight, since no system call and no
 * stream machinery are involved.
 *
 * `write` copies what fits and says how much; `read` copies out all that is there. `readable()` and
 * `writable()` resolve once there is something to read or room to write, through `Atomics.waitAsync`, which
 * does not keep an event loop alive by itself: the owner of the ring keeps a handle while it waits.
 *
 * @internal
 */
export class SharedRing {
  /** The shared memory, to hand to the other thread. */
  readonly buffer: SharedArrayBuffer;
  /** Bytes the ring holds at most. */
  readonly capacity: number;
  private readonly control: Int32Array;
  private readonly data: Uint8Array;

  /**
   * @param buffer memory made by {@link SharedRing.allocate}, in either thread
   */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = buffer.byteLength - CONTROL_BYTES;
    this.control = new Int32Array(buffer, 0, 2);
    this.data = new Uint8Array(buffer, CONTROL_BYTES, this.capacity);
  }

  /**
   * Shared memory for a ring of `capacity` bytes.
   *
   * @param capacity the bytes it holds at most
   * @returns the memory
   */
  static allocate(capacity: number): SharedArrayBuffer {
    return new SharedArrayBuffer(CONTROL_BYTES + capacity);
  }

  /** Bytes written and not yet read. */
  get length(): number {
    return (Atomics.load(this.control, TAIL) - Atomics.load(this.control, HEAD)) >>> 0;
  }

  /**
   * The writer's side: copies as much of `chunk` as fits and wakes the reader.
   *
   * @param chunk the bytes
   * @returns how many bytes were taken (less than `chunk.length` when the ring is full)
   */
  write(chunk: Uint8Array): number {
    const tail = Atomics.load(this.control, TAIL) >>> 0;
    const free = this.capacity - ((tail - (Atomics.load(this.control, HEAD) >>> 0)) >>> 0);
    const n = Math.min(free, chunk.length);
    if (n === 0) return 0;
    const at = tail % this.capacity;
    const first = Math.min(n, this.capacity - at);
    this.data.set(chunk.subarray(0, first), at);
    if (first < n) this.data.set(chunk.subarray(first, n), 0);
    Atomics.store(this.control, TAIL, (tail + n) | 0);
    Atomics.notify(this.control, TAIL);
    return n;
  }

  /**
   * The reader's side: everything written so far, copied out, and wakes the writer.
   *
   * @returns the bytes, or `null` when there are none
   */
  read(): Buffer | null {
    const head = Atomics.load(this.control, HEAD) >>> 0;
    const n = ((Atomics.load(this.control, TAIL) >>> 0) - head) >>> 0;
    if (n === 0) return null;
    const out = Buffer.allocUnsafe(n);
    const at = head % this.capacity;
    const first = Math.min(n, this.capacity - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    Atomics.store(this.control, HEAD, (head + n) | 0);
    Atomics.notify(this.control, HEAD);
    return out;
  }

  /** Resolves once there is something to read (at once when there is). */
  async readable(): Promise<void> {
    for (;;) {
      const tail = Atomics.load(this.control, TAIL);
      if (tail !== Atomics.load(this.control, HEAD)) return;
      const wait = waitAsync(this.control, TAIL, tail);
      if (wait.async) await wait.value;
    }
  }

  /** Resolves once there is room to write (at once when there is). */
  async writable(): Promise<void> {
    for (;;) {
      const head = Atomics.load(this.control, HEAD);
      if (this.length < this.capacity) return;
      const wait = waitAsync(this.control, HEAD, head);
      if (wait.async) await wait.value;
    }
  }
}
