import type { BufferSource, ReadMode, Transport, TransportSink } from '../../../src/backends/Backend.js';
import type { RxloopError } from '../../../src/errors.js';

/**
 * A sink for tests: records every event, keeps copies of the bytes it received, and fails loudly on any call
 * after `closed`. Hooks let a test react inside the calls.
 */
export class TransportRecorder implements TransportSink {
  /** Event names in order: readable, completed, writable, ended, closed or closed:CODE. */
  readonly events: string[] = [];
  /** Copies of every chunk handed over. */
  readonly received: Buffer[] = [];
  /** Every array `completed` was called with (the backend should reuse one). */
  readonly batchArrays = new Set<readonly Buffer[]>();
  /** Calls that came after `closed` (must stay empty). */
  readonly lateCalls: string[] = [];
  receivedLength = 0;
  /** `null` until closed. */
  closedWith: RxloopError | undefined | null = null;
  /** Readiness mode: the size passed to `read` (undefined reads everything). */
  readSize: number | undefined;
  onCompleted: ((chunks: readonly Buffer[]) => void) | undefined;
  onReadable: (() => void) | undefined;
  onEnded: (() => void) | undefined;
  onWritable: (() => void) | undefined;

  constructor(
    readonly transport: Transport,
    options: { mode?: ReadMode; source?: BufferSource; reading?: boolean; readSize?: number } = {},
  ) {
    this.readSize = options.readSize;
    transport.attach(this);
    if (options.mode !== undefined) transport.setReadMode(options.mode, options.source);
    if (options.reading ?? true) transport.setReading(true);
  }

  /** Everything received, as one buffer. */
  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }

  get text(): string {
    return this.bytes.toString();
  }

  get isClosed(): boolean {
    return this.closedWith !== null;
  }

  readable(): void {
    this.record('readable');
    if (this.onReadable !== undefined) {
      this.onReadable();
      return;
    }
    let chunk: Buffer | null;
    while ((chunk = this.transport.read(this.readSize)) !== null) this.keep(chunk);
  }

  completed(chunks: readonly Buffer[]): void {
    this.record('completed');
    this.batchArrays.add(chunks);
    for (const chunk of chunks) this.keep(chunk);
    this.onCompleted?.(chunks);
  }

  writable(): void {
    this.record('writable');
    this.onWritable?.();
  }

  ended(): void {
    this.record('ended');
    this.onEnded?.();
  }

  closed(error: RxloopError | undefined): void {
    this.record(error === undefined ? 'closed' : `closed:${error.code}`);
    this.closedWith = error;
  }

  /** Keeps a copy of bytes read in any mode. */
  keep(chunk: Buffer): void {
    this.received.push(Buffer.from(chunk));
    this.receivedLength += chunk.length;
  }

  private record(event: string): void {
    if (this.closedWith !== null) {
      this.lateCalls.push(event);
      return;
    }
    if (event !== 'readable' && event !== 'completed') this.events.push(event);
  }
}

/**
 * A `BufferSource` over a fixed set of `count` buffers of `size` bytes. Leases come back with `release(view)`.
 * Counts the `null`s it returned (no credit) and checks every view it is handed back lies inside one of its own
 * buffers, which proves the backend allocated no backing memory of its own for them.
 */
export class LeasePool implements BufferSource {
  readonly buffers: Buffer[];
  private readonly free: Buffer[];
  nulls = 0;
  leases = 0;

  constructor(count: number, size: number) {
    this.buffers = Array.from({ length: count }, () => Buffer.alloc(size));
    this.free = [...this.buffers];
  }

  lease(): Buffer | null {
    const buffer = this.free.pop();
    if (buffer === undefined) {
      this.nulls++;
      return null;
    }
    this.leases++;
    return buffer;
  }

  /** The pool buffer `view` lies in, or undefined. */
  ownerOf(view: Buffer): Buffer | undefined {
    return this.buffers.find(
      (buffer) =>
        buffer.buffer === view.buffer &&
        view.byteOffset >= buffer.byteOffset &&
        view.byteOffset + view.length <= buffer.byteOffset + buffer.length,
    );
  }

  release(view: Buffer): void {
    const owner = this.ownerOf(view);
    if (owner === undefined) throw new Error('released a view that is not inside any pool buffer');
    if (this.free.includes(owner)) throw new Error('released a pool buffer twice');
    this.free.push(owner);
  }

  /** Like `release`, but a buffer that is already free is left as it is (after `reclaimAll`). */
  releaseQuietly(view: Buffer): void {
    const owner = this.ownerOf(view);
    if (owner !== undefined && !this.free.includes(owner)) this.free.push(owner);
  }

  /** Takes back every buffer, including any the transport abandoned (posted, never completed). */
  reclaimAll(): void {
    this.free.length = 0;
    this.free.push(...this.buffers);
  }
}

/**
 * Makes a recorder read in `'leased'` mode from `pool`, keeping each view until the next turn of the loop (so credit
 * runs out under load) and then releasing it and asking for more. Counts views that were not inside a pool buffer,
 * and views whose bytes changed while the reader still held them (the backend read into a buffer it had handed over).
 */
export function leaseReader(
  transport: Transport,
  pool: LeasePool,
): { recorder: TransportRecorder; foreign: () => number; overwritten: () => number } {
  let foreign = 0;
  let overwritten = 0;
  const held: Array<{ view: Buffer; copy: Buffer }> = [];
  let scheduled = false;
  const recorder = new TransportRecorder(transport, { mode: 'leased', source: pool });
  recorder.onCompleted = (chunks) => {
    for (const view of chunks) {
      if (pool.ownerOf(view) === undefined) foreign++;
      else held.push({ view, copy: Buffer.from(view) });
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      for (const { view, copy } of held.splice(0)) {
        if (!view.equals(copy)) overwritten++;
        pool.release(view);
      }
      if (!recorder.isClosed) transport.setReading(true);
    });
  };
  return { recorder, foreign: () => foreign, overwritten: () => overwritten };
}

/** `length` bytes of a pattern that shows any loss, duplication or reordering. */
export function pattern(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 8) * 13) & 0xff;
  return bytes;
}
