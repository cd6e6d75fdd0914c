import { AssertionError } from 'node:assert';
import { Subject, type OperatorFunction } from 'rxjs';

/**
 * Options of {@link checkDecoder}.
 *
 * ## Example
 * ```ts
 * import { checkDecoder, encodeLine, lines, type CheckDecoderOptions } from 'rxloop/operators';
 *
 * // Replay the seed a failure named, with more runs, on a zero-copy decoder.
 * const options: CheckDecoderOptions = { seed: 1234, runs: 500, ownedFrames: false };
 * checkDecoder(() => lines({ copy: false }), ['GET /', '', 'Host: a'], (line) => encodeLine(line), options);
 * ```
 */
export interface CheckDecoderOptions {
  /** How many fragmentations to try. Default 100. Run 0 feeds one chunk, run 1 one byte at a time. */
  runs?: number;
  /** Seed of the fragmentations. Default: a random one. A failure names the seed, so it can be replayed. */
  seed?: number;
  /**
   * Whether the decoder promises frames that stay valid after the chunk that carried them is reused (the
   * default `copy: true` of rxloop decoders). Default `true`; set `false` to check a `{ copy: false }` decoder,
   * whose frames are then compared as they were when emitted.
   */
  ownedFrames?: boolean;
}

/**
 * What a passed {@link checkDecoder} tried.
 *
 * ## Example
 * ```ts
 * import { checkDecoder, encodeLine, lines, type CheckDecoderReport } from 'rxloop/operators';
 *
 * const report: CheckDecoderReport = checkDecoder(() => lines(), ['PING', 'PONG'], (line) => encodeLine(line));
 * console.log(`seed ${report.seed}: ${report.runs} runs of ${report.bytes} bytes passed`);
 * ```
 */
export interface CheckDecoderReport {
  /** The seed used: pass it back as `options.seed` to replay the same fragmentations. */
  readonly seed: number;
  /** How many fragmentations passed. */
  readonly runs: number;
  /** How many wire bytes each run fed. */
  readonly bytes: number;
}

/**
 * Property-checks a decoder: encodes `frames`, feeds the bytes in many fragmentations and asserts the same frames
 * come out, in order, followed by completion.
 *
 * Run 0 feeds one chunk, run 1 one byte per chunk, the others random cuts drawn from a seeded generator (tiny,
 * small and large pieces, some empty chunks). Every chunk is fed as a view of one reused buffer whose bytes are
 * inverted after `next` returns, as a leased read buffer would be overwritten, so a decoder that keeps views of
 * its input (or emits them as owned frames) is caught. Decoders must work synchronously; batch decoders
 * (`Buffer[]` per chunk) are flattened. Depends only on rxjs and node.
 *
 * ## Example
 * ```ts
 * import { checkDecoder, encodeLine, lines } from 'rxloop/operators';
 *
 * const report = checkDecoder(() => lines(), ['PING', '', 'ECHO hi'], (line) => encodeLine(line), { seed: 7 });
 * console.log(`${report.runs} fragmentations of ${report.bytes} bytes passed`);
 * ```
 *
 * @param decoder makes a fresh decoder operator for each run
 * @param frames the frames the decoder must emit; strings stand for their UTF-8 bytes
 * @param encode the wire bytes of one frame
 * @param options `runs`, `seed`, `ownedFrames`
 * @returns what was tried
 * @throws AssertionError naming the run, seed and chunk sizes that failed, with the first difference
 */
export function checkDecoder(
  decoder: () => OperatorFunction<Buffer, Buffer | readonly Buffer[]>,
  frames: ReadonlyArray<Uint8Array | string>,
  encode: (frame: Buffer) => Uint8Array,
  options: CheckDecoderOptions = {},
): CheckDecoderReport {
  const runs = options.runs ?? 100;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const owned = options.ownedFrames ?? true;
  const expected = frames.map((frame) => (typeof frame === 'string' ? Buffer.from(frame, 'utf8') : Buffer.from(frame)));
  const wire = Buffer.concat(expected.map((frame) => encode(Buffer.from(frame))));
  const random = prng(seed);
  const lease = Buffer.alloc(Math.max(wire.length, 1));
  for (let run = 0; run < runs; run++) {
    const sizes = fragmentation(run, wire.length, random);
    const problem = feed(decoder, wire, sizes, lease, expected, owned);
    if (problem !== undefined) {
      throw new AssertionError({
        message:
          `checkDecoder: run ${run} of ${runs} failed (seed ${seed}, ${sizes.length} ` +
          `chunk${sizes.length === 1 ? '' : 's'} of ${wire.length} bytes: ${preview(sizes)}): ${problem}. ` +
          `Replay with { seed: ${seed}, runs: ${run + 1} }.`,
      });
    }
  }
  return { seed, runs, bytes: wire.length };
}

/** Feeds one fragmentation; returns what went wrong, if anything. */
function feed(
  decoder: () => OperatorFunction<Buffer, Buffer | readonly Buffer[]>,
  wire: Buffer,
  sizes: readonly number[],
  lease: Buffer,
  expected: readonly Buffer[],
  owned: boolean,
): string | undefined {
  const received: Buffer[] = [];
  const snapshots: Buffer[] = [];
  let failure: unknown;
  let failed = false;
  let completed = false;
  let odd: string | undefined;
  const input = new Subject<Buffer>();
  const take = (frame: unknown): void => {
    if (!Buffer.isBuffer(frame)) {
      odd ??= `the decoder emitted ${describeValue(frame)} where a Buffer was expected`;
      return;
    }
    received.push(frame);
    snapshots.push(Buffer.from(frame));
  };
  try {
    input.pipe(decoder()).subscribe({
      next: (value) => {
        if (Array.isArray(value)) for (const frame of value as readonly unknown[]) take(frame);
        else take(value);
      },
      error: (error: unknown) => {
        failed = true;
        failure = error;
      },
      complete: () => {
        completed = true;
      },
    });
    let offset = 0;
    for (const size of sizes) {
      wire.copy(lease, 0, offset, offset + size);
      offset += size;
      input.next(lease.subarray(0, size));
      // The reader reuses its buffer: every byte changes, so anything still pointing at it sees garbage.
      for (let i = 0; i < size; i++) lease[i] = ~lease[i]! & 0xff;
    }
    input.complete();
  } catch (error) {
    return `the decoder threw ${describeValue(error)}`;
  }
  if (odd !== undefined) return odd;
  if (failed) return `the decoder failed with ${describeValue(failure)} after ${received.length} frames`;
  if (!completed) return 'the decoder did not complete after its input completed';
  const mismatch = compare(expected, snapshots, 'frame');
  if (mismatch !== undefined) return mismatch;
  if (owned) {
    const changed = compare(expected, received, 'kept frame');
    if (changed !== undefined) {
      return `${changed}, so it changed after its chunk was reused (the decoder emitted a view of its input)`;
    }
  }
  return undefined;
}

function compare(expected: readonly Buffer[], actual: readonly Buffer[], what: string): string | undefined {
  const count = Math.min(expected.length, actual.length);
  for (let i = 0; i < count; i++) {
    if (!expected[i]!.equals(actual[i]!)) {
      return `${what} ${i} differs: expected ${describeBytes(expected[i]!)}, got ${describeBytes(actual[i]!)}`;
    }
  }
  if (expected.length !== actual.length) {
    const extra = actual.length > expected.length ? `, the first extra one ${describeBytes(actual[count]!)}` : '';
    return `expected ${expected.length} frames, got ${actual.length}${extra}`;
  }
  return undefined;
}

/** The chunk sizes of one run: a single chunk, single bytes, or random cuts of a random scale. */
function fragmentation(run: number, total: number, random: () => number): number[] {
  if (run === 0) return [total];
  if (run === 1) return new Array<number>(total).fill(1);
  const scales = [2, 4, 16, 64, 512, Math.max(total, 1)];
  const scale = scales[Math.floor(random() * scales.length)]!;
  const empties = random() < 0.25;
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    if (empties && random() < 0.1) sizes.push(0);
    const size = Math.min(left, 1 + Math.floor(random() * scale));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** mulberry32: small, fast and good enough to spread cut points. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function preview(sizes: readonly number[]): string {
  const shown = sizes.slice(0, 24).join(', ');
  return sizes.length > 24 ? `[${shown}, ... ${sizes.length - 24} more]` : `[${shown}]`;
}

function describeBytes(bytes: Buffer): string {
  const text = JSON.stringify(bytes.subarray(0, 48).toString('latin1'));
  return `${bytes.length} bytes ${text}${bytes.length > 48 ? '...' : ''}`;
}

function describeValue(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${value.message}`;
  }
  return typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value);
}
