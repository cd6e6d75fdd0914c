import type { BufferSource, ReadMode, Transport, TransportSink } from '../../../src/backends/Backend.js';
import type { RxloopError } from '../../../src/errors.js';

/**
 * A sink for tests: records every event, keeps copies of the bytes it received, and fails loudly on any call
 * after `closed`. Hooks let a test react (echo, stop reading) inside the calls.
 */
export class TransportRecorder implements TransportSink {
  /** Event names in order: readable, completed, writable, ended, closed or closed:CODE. */
  readonly events: string[] = [];
  /** Copies of every chunk handed over. */
  readonly received: Buffer[] = [];
  /** The chunk lengths of each `completed` call. */
  readonly batches: number[][] = [];
  /** `null` until closed. */
  closedWith: RxloopError | undefined | null = null;
  onCompleted: ((chunks: readonly Buffer[]) => void) | undefined;
  onReadable: (() => void) | undefined;
  onWritable: (() => void) | undefined;
  onEnded: (() => void) | undefined;

  constructor(
    readonly transport: Transport,
    options: { mode?: ReadMode; source?: BufferSource; reading?: boolean } = {},
  ) {
    transport.attach(this);
    if (options.mode !== undefined) transport.setReadMode(options.mode, options.source);
    if (options.reading ?? true) transport.setReading(true);
  }

  /** Everything received, as one buffer. */
  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }

  /** Everything received, as text. */
  get text(): string {
    return this.bytes.toString();
  }

  readable(): void {
    this.record('readable');
    if (this.onReadable !== undefined) {
      this.onReadable();
      return;
    }
    let chunk: Buffer | null;
    while ((chunk = this.transport.read()) !== null) this.received.push(Buffer.from(chunk));
  }

  completed(chunks: readonly Buffer[]): void {
    this.record('completed');
    this.batches.push(chunks.map((chunk) => chunk.length));
    for (const chunk of chunks) this.received.push(Buffer.from(chunk));
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

  private record(event: string): void {
    if (this.closedWith !== null) throw new Error(`sink got ${event} after closed`);
    this.events.push(event);
  }
}

/**
 * A `BufferSource` of `count` buffers of `size` bytes. A lease comes back with {@link LeaseSource.release}; when
 * the source ran dry, the release resumes reading, as a real lease pool does.
 */
export class LeaseSource implements BufferSource {
  readonly leases: Buffer[];
  private readonly free: Buffer[];
  private starved = false;
  transport: Transport | undefined;
  /** How many times `lease()` returned null. */
  refusals = 0;

  constructor(count: number, size: number) {
    this.leases = Array.from({ length: count }, () => Buffer.alloc(size));
    this.free = [...this.leases].reverse();
  }

  get available(): number {
    return this.free.length;
  }

  lease(): Buffer | null {
    const buffer = this.free.pop();
    if (buffer !== undefined) return buffer;
    this.starved = true;
    this.refusals++;
    return null;
  }

  /** Gives back the lease that `view` was filled into. */
  release(view: Buffer): void {
    const lease = this.leases.find((candidate) => candidate.buffer === view.buffer);
    if (lease === undefined || this.free.includes(lease)) throw new Error('released a view of no outstanding lease');
    this.free.push(lease);
    if (this.starved) {
      this.starved = false;
      this.transport?.setReading(true);
    }
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same fragmentation in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A `fragment` option that splits each write into random pieces of 1 to `max` bytes. */
export function randomFragments(random: () => number, max: number): (chunk: Buffer) => Buffer[] {
  return (chunk) => {
    const pieces: Buffer[] = [];
    for (let at = 0; at < chunk.length; ) {
      const size = 1 + Math.floor(random() * max);
      pieces.push(chunk.subarray(at, at + size));
      at += size;
    }
    return pieces;
  };
}
