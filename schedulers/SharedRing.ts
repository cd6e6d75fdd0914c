/**
 * Control words: the reader's position, the writer's position (both count bytes, modulo 2^32), the state flags,
 * and one word for each side that says it is waiting (the other side wakes it only then).
 */
const HEAD = 0;
const TAIL = 1;
const FLAGS = 2;
const READER_WAITS = 3;
const WRITER_WAITS = 4;
/** Eight words: room for the five above, and the data starts 32 bytes in. */
const CONTROL_BYTES = 32;

/** Flags: the writer will write no more (end of output). */
const ENDED = 1;
/** Flags: the reader will read no more; what is written is dropped. */
const LEFT = 2;
/** Flags: one side reset the link; neither reads nor writes any more. */
const RESET = 4;

/** `Atomics.waitAsync` (ES2024; Node.js 16 on), typed here since the project's lib is older. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<unknown> | string };
}).waitAsync;

/**
 * A one-way byte pipe between two threads of one process in a `SharedArrayBuffer`: one thread writes, the other
 * reads, neither blocks its event loop. Two of them, one per direction, are the link between a
 * `multiReactor({ threads: true })` sub-reactor thread and its server's service on the main thread (see
 * `RingTransport`, `serviceLink`, and docs/examples.md, "The keyspace under threads"): a hop through it costs a
 * fraction of a hop through a Unix socket, since no system call and no stream machinery are involved.
 *
 * `write` copies what fits and says how much; `read` copies out what is there. Each side may also close its end:
 * the writer with `end` (the reader sees it once it has read everything before), the reader with `leave` (the
 * writer may drop what it still has), either with `abort`.
 *
 * Waiting: `whenReadable()` and `whenWritable()` return `null` when there is something to do now, else a promise
 * that resolves at the other side's next move (or a `wake` from this side), after which the caller looks again.
 * A side announces in shared memory that it waits, and the other notifies only then, so a pipe under load does
 * no `Atomics.notify` at all. The promises come from `Atomics.waitAsync`, which does not keep an event loop alive
 * by itself: the owner of the ring keeps a handle while it waits.
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
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
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

  /** The writer has ended its output (bytes before the end may still be unread). */
  get ended(): boolean {
    return (Atomics.load(this.control, FLAGS) & ENDED) !== 0;
  }

  /** The reader has left: it reads no more. */
  get left(): boolean {
    return (Atomics.load(this.control, FLAGS) & LEFT) !== 0;
  }

  /** The reader has left or a side has reset: what is written goes nowhere. */
  get gone(): boolean {
    return (Atomics.load(this.control, FLAGS) & (LEFT | RESET)) !== 0;
  }

  /** A side has reset the link. */
  get reset(): boolean {
    return (Atomics.load(this.control, FLAGS) & RESET) !== 0;
  }

  /**
   * The writer's side: copies as much of `chunk` as fits and wakes the reader if it waits.
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
    this.data.set(first === chunk.length ? chunk : chunk.subarray(0, first), at);
    if (first < n) this.data.set(chunk.subarray(first, n), 0);
    Atomics.store(this.control, TAIL, (tail + n) | 0);
    this.wakeReader();
    return n;
  }

  /**
   * The reader's side: what was written so far (at most `max` bytes), copied out; wakes the writer if it waits.
   *
   * @param max the most bytes to take (default: all there are)
   * @returns the bytes, or `null` when there are none
   */
  read(max = Infinity): Buffer | null {
    const head = Atomics.load(this.control, HEAD) >>> 0;
    const n = Math.min(max, ((Atomics.load(this.control, TAIL) >>> 0) - head) >>> 0);
    if (n <= 0) return null;
    const out = Buffer.allocUnsafe(n);
    this.copyOut(head, n, out);
    return out;
  }

  /**
   * The reader's side: copies what was written into `target`, as much as fits; wakes the writer if it waits.
   *
   * @param target where the bytes go
   * @returns how many bytes were copied (0 when there were none)
   */
  readInto(target: Uint8Array): number {
    const head = Atomics.load(this.control, HEAD) >>> 0;
    const n = Math.min(target.length, ((Atomics.load(this.control, TAIL) >>> 0) - head) >>> 0);
    if (n > 0) this.copyOut(head, n, target);
    return n;
  }

  /** The writer's side: no more bytes will come; the reader sees it after the bytes before. */
  end(): void {
    Atomics.or(this.control, FLAGS, ENDED);
    this.wakeReader();
  }

  /** The reader's side: it reads no more, and the writer may drop what it has. */
  leave(): void {
    Atomics.or(this.control, FLAGS, LEFT);
    this.wakeWriter();
  }

  /** Either side: the link is reset; both sides are woken. */
  abort(): void {
    Atomics.or(this.control, FLAGS, RESET);
    this.wakeReader();
    this.wakeWriter();
  }

  /**
   * The reader's side: `null` when at least `length` bytes are there to read or the writer has ended or reset,
   * else a promise that resolves at the writer's next move (or a {@link SharedRing.wakeReader}).
   *
   * @param length how many bytes make it readable (default 1; more waits for bytes beyond those there now)
   * @returns `null`, or what to await before looking again
   */
  whenReadable(length = 1): Promise<unknown> | null {
    if (this.readableNow(length)) return null;
    Atomics.store(this.control, READER_WAITS, 1);
    if (this.readableNow(length)) {
      Atomics.store(this.control, READER_WAITS, 0);
      return null;
    }
    const wait = waitAsync(this.control, READER_WAITS, 1);
    return wait.async ? (wait.value as Promise<unknown>) : null;
  }

  /**
   * The writer's side: `null` when there is room or the reader has left or reset, else a promise that resolves at
   * the reader's next move (or a {@link SharedRing.wakeWriter}).
   *
   * @returns `null`, or what to await before looking again
   */
  whenWritable(): Promise<unknown> | null {
    if (this.writableNow()) return null;
    Atomics.store(this.control, WRITER_WAITS, 1);
    if (this.writableNow()) {
      Atomics.store(this.control, WRITER_WAITS, 0);
      return null;
    }
    const wait = waitAsync(this.control, WRITER_WAITS, 1);
    return wait.async ? (wait.value as Promise<unknown>) : null;
  }

  /** Resolves once there is something to read, or the writer ended (at once when there is). */
  async readable(): Promise<void> {
    for (let wait = this.whenReadable(); wait !== null; wait = this.whenReadable()) await wait;
  }

  /** Resolves once there is room to write, or the reader left (at once when there is). */
  async writable(): Promise<void> {
    for (let wait = this.whenWritable(); wait !== null; wait = this.whenWritable()) await wait;
  }

  /** Wakes the reader if it waits (the writer after each move; the reader itself, to stop waiting). */
  wakeReader(): void {
    // Seq-cst: the writer stores TAIL and then loads this word, the reader stores this word and then loads TAIL,
    // so one of them sees the other's store: a reader that went to sleep is always woken.
    if (Atomics.load(this.control, READER_WAITS) !== 0 && Atomics.exchange(this.control, READER_WAITS, 0) === 1) {
      Atomics.notify(this.control, READER_WAITS);
    }
  }

  /** Wakes the writer if it waits (the reader after each move; the writer itself, to stop waiting). */
  wakeWriter(): void {
    if (Atomics.load(this.control, WRITER_WAITS) !== 0 && Atomics.exchange(this.control, WRITER_WAITS, 0) === 1) {
      Atomics.notify(this.control, WRITER_WAITS);
    }
  }

  private readableNow(length: number): boolean {
    return this.length >= length || (Atomics.load(this.control, FLAGS) & (ENDED | RESET)) !== 0;
  }

  private writableNow(): boolean {
    return this.length < this.capacity || (Atomics.load(this.control, FLAGS) & (LEFT | RESET)) !== 0;
  }

  private copyOut(head: number, n: number, out: Uint8Array): void {
    const at = head % this.capacity;
    const first = Math.min(n, this.capacity - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    Atomics.store(this.control, HEAD, (head + n) | 0);
    this.wakeWriter();
  }
}
