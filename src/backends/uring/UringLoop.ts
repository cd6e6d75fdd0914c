import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';
import { uringSupport } from './uringSupport.js';

/** The addon's class Ring (native/src/binding.cc): one io_uring with its provided buffers and libuv handles. */
export interface NativeRing {
  /** Four int32 per completion in a batch: slot, result, CQE flags, offset of its bytes in `data` (-1: none). */
  readonly meta: ArrayBuffer;
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
  recvMultishot(fd: number, multishot: boolean): number;
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
}

/** Receives the completions of the requests it submitted. */
export interface RingOwner {
  /** One completion: `kind` as given to `own`, `res` the kernel's result, `more` whether more will follow. */
  complete(kind: number, res: number, more: boolean, bytes: Buffer | undefined): void;
  /** Called once after a batch for owners that asked with `touch` during it. */
  batchEnd?(): void;
}

const F_MORE = 2;

type NativeModule = { Ring: new (deliver: (count: number, data: Buffer | undefined) => void, entries: number, buffers: number, bufferSize: number) => NativeRing };

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

  constructor(entries = 1024, buffers = 1024, bufferSize = 16384) {
    const { Ring } = loadNative();
    this.ring = new Ring((count, data) => this.onBatch(count, data), entries, buffers, bufferSize);
    this.meta = new Int32Array(this.ring.meta);
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

  /** Closes the ring: every request ends, and the sockets it still knows are closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ring.destroy();
  }

  private closed = false;

  /** The ring's counters. */
  stats(): UringRingStats {
    return { ...this.ring.stats(), noBuffers: this.noBuffers };
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
      const more = (meta[i * 4 + 2]! & F_MORE) !== 0;
      const offset = meta[i * 4 + 3]!;
      const owner = this.owners[slot];
      const kind = this.kinds[slot]!;
      if (!more) {
        this.owners[slot] = undefined;
        this.pins[slot] = undefined;
      }
      if (owner === undefined) continue;
      const bytes = offset >= 0 && data !== undefined && res > 0 ? data.subarray(offset, offset + res) : undefined;
      owner.complete(kind, res, more, bytes);
    }
    const touched = this.touched;
    if (touched.length > 0) {
      this.touched = [];
      for (const owner of touched) owner.batchEnd?.();
    }
  }
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
