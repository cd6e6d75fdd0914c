import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { uringSupport } from './uringSupport.js';
import type { TransportFeatures } from '../Backend.js';

/** The addon's class Ring (native/src/binding.cc): one io_uring with its provided buffers and libuv handles. */
export interface NativeRing {
  /**
   * Four int32 per completion in a batch: slot, result, CQE flags, offset of its bytes in `data` (-1: none), or,
   * when the flags carry META_VIEW, the id of the lent provided buffer that holds them.
   */
  readonly meta: ArrayBuffer;
  /** The provided buffers' memory (absent where Node-API refuses external memory: then nothing is lent). */
  readonly arena?: ArrayBuffer;
  listenInet(host: string, port: number, backlog: number, reusePort: boolean): number;
  listenUnix(path: string, backlog: number): number;
  socket(kind: 4 | 6 | 0): number;
  connectInet(fd: number, host: string, port: number): number;
  connectUnix(fd: number, path: string): number;
  address(fd: number, peer: boolean): [kind: 0 | 4 | 6, where: string, port: number] | number;
  setNoDelay(fd: number, on: boolean): number;
  setLingerZero(fd: number): number;
  socketError(fd: number): number;
  closeNow(fd: number): number;
  adopt(fd: number): number;
  track(fd: number): void;
  accept(fd: number): number;
  /** Whether the kernel ends a multishot receive at a byte cap (`limit`), probed when the ring was made. */
  readonly cappedReceives: boolean;
  recvMultishot(fd: number, multishot: boolean, views: boolean, limit: number): number;
  giveBack(ids: Int32Array, count: number): number;
  recvInto(fd: number, target: Uint8Array): number;
  send(fd: number, data: Uint8Array): number;
  sendv(fd: number, parts: readonly Uint8Array[]): number;
  shutdown(fd: number, how: number): number;
  closeFd(fd: number): number;
  cancel(slot: number): number;
  abandon(slot: number): number;
  submit(): number;
  stats(): Omit<UringRingStats, 'noBuffers'>;
  destroy(): void;
}

/**
 * Counters of one thread's ring, from {@link uringStats}.
 *
 * ## Example
 * ```ts
 * import { uringStats } from 'rxloop';
 *
 * const stats = uringStats();
 * if (stats !== undefined) console.log(`${stats.completions} completions in ${stats.batches} batches`);
 * ```
 */
export interface UringRingStats {
  /** `io_uring_enter` calls (one per loop turn with submissions, plus cancellations done at once). */
  readonly enters: number;
  /** Submission queue entries the kernel took. */
  readonly submitted: number;
  /** Completion queue entries reaped. */
  readonly completions: number;
  /** Calls into JavaScript with completions (one per poll, whatever the number of completions). */
  readonly batches: number;
  /** Bytes the kernel received into the provided buffer ring. */
  readonly bufferBytes: number;
  /** Times the completion queue overflowed and was flushed. */
  readonly overflows: number;
  /** Buffers in the provided buffer ring. */
  readonly bufferCount: number;
  /** Bytes per provided buffer. */
  readonly bufferSize: number;
  /** Provided buffers the kernel holds now (0 when all are back in the ring), or a negative errno where the kernel cannot say (before 6.8). */
  readonly buffersInKernelUse: number;
  /** The `IORING_SETUP_*` flags the ring was made with. */
  readonly setupFlags: number;
  /** Receives that ended because every provided buffer was out (ENOBUFS), each re-armed once buffers came back. */
  readonly noBuffers: number;
  /** Provided buffers lent to readers as views now (`'provided'` reads), not yet given back. */
  readonly buffersLent: number;
  /** Provided buffers lent as views since the ring was made. */
  readonly lent: number;
  /** Returns of buffers that were not lent (a view given back twice): ignored, so the ring stays sound. */
  readonly refusedReturns: number;
}

/** Receives the completions of the requests it submitted. */
export interface RingOwner {
  /** One completion: `kind` as given to `own`, `res` the kernel's result, `more` whether more will follow. */
  complete(kind: number, res: number, more: boolean, bytes: Buffer | undefined): void;
  /** Called once after a batch for owners that asked with `touch` during it. */
  batchEnd?(): void;
}

const F_MORE = 2;
/** In a batch record's flags: the bytes are in a lent provided buffer whose id is the record's fourth field. */
const META_VIEW = 1 << 16;

type NativeModule = {
  Ring: new (deliver: (count: number, data: Buffer | undefined) => void, entries: number, buffers: number, bufferSize: number) => NativeRing;
  /** A close-on-exec duplicate of `fd`, or -errno. */
  duplicate(fd: number): number;
  /** Closes `fd`: 0 or -errno. */
  closeDescriptor(fd: number): number;
};

let nativeModule: NativeModule | undefined;

function loadNative(): NativeModule {
  if (nativeModule !== undefined) return nativeModule;
  const support = uringSupport();
  if (!support.available) {
    throw new RxloopError(ErrorCode.UNSUPPORTED, `expected io_uring to work here, but ${support.reason ?? 'it does not'}; use the node backend`);
  }
  const built = fileURLToPath(new URL('../../../../native/build/Release/rxloop_uring.node', import.meta.url));
  const sources = fileURLToPath(new URL('../../../native/build/Release/rxloop_uring.node', import.meta.url));
  nativeModule = createRequire(import.meta.url)(existsSync(built) ? built : sources) as NativeModule;
  return nativeModule;
}

/**
 * One thread's ring, shared by every uring backend made on that thread: the requests' owners by slot, the batch
 * dispatch, and the writes waiting for the end of the turn.
 *
 * @internal
 */
export class UringLoop {
  readonly ring: NativeRing;
  /** Whether the kernel took a multishot receive (6.0); single-shot buffer-select receives otherwise. */
  multishot = true;
  /** Receives that ended with ENOBUFS. */
  noBuffers = 0;
  private readonly meta: Int32Array;
  private readonly owners: (RingOwner | undefined)[] = [];
  private readonly kinds: number[] = [];
  /** What each request's buffers are (kept referenced until its last completion). */
  private readonly pins: unknown[] = [];
  private touched: RingOwner[] = [];
  private readonly flushing: Set<{ flushWrites(): void }> = new Set();
  private flushScheduled = false;
  /** The provided buffers' memory, which lent views are of; `undefined`: nothing is lent, receives are copied. */
  readonly arena: ArrayBuffer | undefined;
  /** Bytes per provided buffer. */
  readonly bufferSize: number;
  /** Provided buffers in the ring. */
  readonly bufferCount: number;
  /** Ids of views given back this turn, returned to the ring in one call at the end of it. */
  private readonly returns: Int32Array;
  private returnCount = 0;
  private returnScheduled = false;
  /** The view each lent buffer was lent as: only that very view gives it back (a stale one is refused). */
  private readonly lentViews: (Uint8Array | undefined)[];
  private refusedHere = 0;
  /** Receives parked on ENOBUFS while buffers were lent: re-armed once some come back. */
  private readonly waitingForBuffers = new Set<{ buffersBack(): void }>();

  constructor(entries = 1024, buffers = 1024, bufferSize = 16384) {
    const { Ring } = loadNative();
    this.ring = new Ring((count, data) => this.onBatch(count, data), entries, buffers, bufferSize);
    this.meta = new Int32Array(this.ring.meta);
    this.arena = this.ring.arena;
    this.bufferSize = bufferSize;
    this.bufferCount = buffers;
    this.returns = new Int32Array(buffers);
    this.lentViews = new Array<Uint8Array | undefined>(buffers).fill(undefined);
    this.features = Object.freeze({
      zeroCopyLeasedReads: true,
      secure: false,
      providedBuffers: this.arena === undefined ? undefined : Object.freeze({ bufferSize }),
    });
  }

  /** What this ring's transports can do: leased reads into the reader's buffers, provided reads when lent. */
  readonly features: TransportFeatures;

  /** Whether `chunk` is a view of a lent provided buffer. */
  isView(chunk: Uint8Array): boolean {
    return this.arena !== undefined && chunk.buffer === this.arena;
  }

  /**
   * Gives a lent view's buffer back to the ring (at the end of this turn, with the others given back in it).
   * Returns `false` for a chunk that is not a view of the ring's buffers.
   */
  giveBack(view: Uint8Array): boolean {
    if (this.arena === undefined || view.buffer !== this.arena) return false;
    if (this.closed) return true; // the ring is gone; its memory goes when the last view does
    const id = Math.floor(view.byteOffset / this.bufferSize);
    if (this.lentViews[id] !== view) {
      // Given back already (and perhaps lent again since, as another view): returning it now would hand the
      // kernel a buffer someone is reading. Refused and counted.
      this.refusedHere++;
      return true;
    }
    this.lentViews[id] = undefined;
    if (this.returnCount === this.returns.length) this.flushReturns();
    this.returns[this.returnCount++] = id;
    if (!this.returnScheduled) {
      this.returnScheduled = true;
      process.nextTick(() => this.flushReturns());
    }
    return true;
  }

  /** Re-arms `receiver` (its `buffersBack`) once lent buffers come back; see {@link UringLoop.giveBack}. */
  waitForBuffers(receiver: { buffersBack(): void }): void {
    this.waitingForBuffers.add(receiver);
  }

  /** Provided buffers lent as views and not yet given back to the ring (counted here, as the ring counts them). */
  lentNow = 0;

  private flushReturns(): void {
    this.returnScheduled = false;
    if (this.returnCount === 0 || this.closed) return;
    this.lentNow -= this.ring.giveBack(this.returns, this.returnCount);
    this.returnCount = 0;
    if (this.waitingForBuffers.size === 0) return;
    const waiting = [...this.waitingForBuffers];
    this.waitingForBuffers.clear();
    for (const receiver of waiting) receiver.buffersBack();
  }

  /**
   * Records who gets the completions of the request on `slot` (a negative slot is an errno from the ring: it is
   * returned as it is, owning nothing).
   */
  own(slot: number, owner: RingOwner, kind: number, pin?: unknown): number {
    if (slot > 0) {
      this.owners[slot] = owner;
      this.kinds[slot] = kind;
      if (pin !== undefined) this.pins[slot] = pin;
    }
    return slot;
  }

  /** Closes the ring: every request ends, the sockets it still knows are closed, and so are their transports. */
  close(): void {
    if (this.closed) return;
    // The transports first (while the ring can still name their peers), then the ring, which closes their
    // descriptors with every other socket it knows.
    const live = this.live;
    this.live = undefined;
    if (live !== undefined) for (const transport of live) transport.ringClosed();
    this.closed = true;
    this.ring.destroy();
  }

  /** Whether {@link UringLoop.close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  private closed = false;
  /**
   * The open transports of a ring that can be closed before its thread ends (a backend's own ring), told when
   * it is; the thread's shared ring keeps no such list (it lives as long as everything on it).
   */
  private live: Set<{ ringClosed(): void }> | undefined;

  /** Makes {@link UringLoop.close} close the transports still open on the ring (see `live`). */
  trackTransports(): void {
    this.live ??= new Set();
  }

  /** Registers an open transport (only where the ring tracks them). */
  opened(transport: { ringClosed(): void }): void {
    this.live?.add(transport);
  }

  /** Unregisters a closed transport. */
  ended(transport: { ringClosed(): void }): void {
    this.live?.delete(transport);
  }

  /** The ring's counters. */
  stats(): UringRingStats {
    const stats = this.ring.stats();
    return { ...stats, noBuffers: this.noBuffers, refusedReturns: stats.refusedReturns + this.refusedHere };
  }

  /** Asks for `owner.batchEnd()` after the batch being dispatched. */
  touch(owner: RingOwner): void {
    this.touched.push(owner);
  }

  /** Runs `flushWrites` of `writer` at the end of this turn, once however often it is asked. */
  scheduleFlush(writer: { flushWrites(): void }): void {
    this.flushing.add(writer);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flushAll());
  }

  private flushAll(): void {
    this.flushScheduled = false;
    for (const writer of this.flushing) {
      this.flushing.delete(writer);
      writer.flushWrites();
    }
  }

  private onBatch(count: number, data: Buffer | undefined): void {
    const meta = this.meta;
    for (let i = 0; i < count; i++) {
      const slot = meta[i * 4]!;
      const res = meta[i * 4 + 1]!;
      const flags = meta[i * 4 + 2]!;
      const more = (flags & F_MORE) !== 0;
      const offset = meta[i * 4 + 3]!;
      const owner = this.owners[slot];
      const kind = this.kinds[slot]!;
      if (!more) {
        this.owners[slot] = undefined;
        this.pins[slot] = undefined;
      }
      let bytes: Buffer | undefined;
      if ((flags & META_VIEW) !== 0) {
        bytes = Buffer.from(this.arena!, offset * this.bufferSize, res);
        this.lentViews[offset] = bytes;
        this.lentNow++;
        if (owner === undefined) {
          this.giveBack(bytes);
          continue;
        }
      } else {
        if (owner === undefined) continue;
        bytes = offset >= 0 && data !== undefined && res > 0 ? data.subarray(offset, offset + res) : undefined;
      }
      owner.complete(kind, res, more, bytes);
    }
    const touched = this.touched;
    if (touched.length > 0) {
      this.touched = [];
      for (const owner of touched) owner.batchEnd?.();
    }
  }
}

/**
 * A duplicate of a descriptor for another thread of this process (no ring needed), or -errno.
 *
 * @internal
 */
export function duplicateDescriptor(fd: number): number {
  return loadNative().duplicate(fd);
}

/**
 * Closes a descriptor no ring tracks.
 *
 * @internal
 */
export function closeDescriptor(fd: number): void {
  loadNative().closeDescriptor(fd);
}

let shared: UringLoop | undefined;

/**
 * This thread's ring, made on first use.
 *
 * @internal
 */
export function uringLoop(): UringLoop {
  shared ??= new UringLoop();
  return shared;
}

/**
 * The counters of this thread's ring, or `undefined` when no uring backend made one here yet.
 *
 * ## Example
 * ```ts
 * import { uringStats } from 'rxloop';
 *
 * setInterval(() => console.log(uringStats()), 10_000).unref();
 * ```
 *
 * @returns the ring's counters
 */
export function uringStats(): UringRingStats | undefined {
  return shared?.stats();
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/**
 * Turns a negative errno from the ring into a coded error.
 *
 * @internal
 */
export function ringError(res: number, doing: string, syscall: string): RxloopError {
  const name = errnoNames.get(-res) ?? `errno ${-res}`;
  return toRxloopError(Object.assign(new Error(`${syscall} ${name}`), { code: name, errno: res, syscall }), doing);
}
