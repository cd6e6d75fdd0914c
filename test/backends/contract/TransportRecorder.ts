import type { BufferSource, ProvidedReads, ReadMode, Transport, TransportSink } from '../../../src/backends/Backend.js';
import type { RxloopError } from '../../../src/errors.js';

/** How a {@link TransportRecorder} starts reading. */
export interface RecorderOptions {
  /** The read mode to set (absent: the transport's default). */
  readonly mode?: ReadMode;
  /** The lease source for `'leased'`, or the credit for `'provided'`. */
  readonly source?: BufferSource | ProvidedReads;
  /** Whether to call `setReading(true)` at once (default true). */
  readonly reading?: boolean;
  /** Readiness mode: the size the default `readable` handler passes to `read` (absent: everything). */
  readonly readSize?: number;
}

/**
 * A sink for tests, shared by every backend's tests: records every call, keeps copies of the bytes it received,
 * and keeps calls that came after `closed` in {@link lateCalls} (which must stay empty). Hooks let a test react
 * inside the calls (echo, stop reading); without `onReadable` it reads everything that is buffered.
 */
export class TransportRecorder implements TransportSink {
  /** Every call in order: readable, completed, writable, ended, closed or closed:CODE. */
  readonly calls: string[] = [];
  /** The calls that are not data (writable, ended, closed or closed:CODE), in order. */
  readonly events: string[] = [];
  /** Copies of every chunk handed over. */
  readonly received: Buffer[] = [];
  /** The chunk lengths of each `completed` call. */
  readonly batches: number[][] = [];
  /** Every array `completed` was called with. */
  readonly batchArrays = new Set<readonly Buffer[]>();
  /** Calls that came after `closed` (must stay empty). */
  readonly lateCalls: string[] = [];
  /** Bytes kept in {@link received}. */
  receivedLength = 0;
  /** `null` until closed. */
  closedWith: RxloopError | undefined | null = null;
  /** Readiness mode: the size the default handler passes to `read`. */
  readSize: number | undefined;
  onCompleted: ((chunks: readonly Buffer[]) => void) | undefined;
  onReadable: (() => void) | undefined;
  onWritable: (() => void) | undefined;
  onEnded: (() => void) | undefined;

  constructor(readonly transport: Transport, options: RecorderOptions = {}) {
    this.readSize = options.readSize;
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
    this.batches.push(chunks.map((chunk) => chunk.length));
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

  private record(call: string): void {
    if (this.closedWith !== null) {
      this.lateCalls.push(call);
      return;
    }
    this.calls.push(call);
    if (call !== 'readable' && call !== 'completed') this.events.push(call);
  }
}
