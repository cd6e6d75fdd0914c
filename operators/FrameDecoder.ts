import { constants } from 'node:buffer';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { allocOwned } from '../src/backends/shared/allocOwned.js';

/**
 * The incremental core under every frame decoder: bytes go in through `push` in whatever pieces they arrive,
 * whole frames come out through `emit`, and `end` reports input that stopped in the middle of a frame.
 *
 * Every subclass keeps one ownership rule, because input chunks may be leased buffers that the reader reuses as
 * soon as the operator's `next` returns: it never keeps a reference to a chunk after `push` returns. Bytes of an
 * unfinished frame are copied into memory the decoder owns; a frame that lies inside one chunk is emitted through
 * {@link FrameDecoder.frame}, which honours the `copy` option.
 *
 * Errors (`ERR_FRAME_TOO_LONG`, `ERR_FRAME_CORRUPT`, `ERR_FRAME_TRUNCATED`) are thrown as {@link RxloopError};
 * `decodeFrames` turns them into `error` notifications after delivering the frames that came before them. A
 * decoder that threw is not used again.
 *
 * @internal
 */
export abstract class FrameDecoder {
  /** Set by `dispose`; loops check it after each `emit` because a consumer may unsubscribe from inside `next`. */
  protected stopped = false;
  /** In copy mode: one fresh copy of the part of the current chunk that holds complete frames. */
  private span: Buffer | null = null;
  /** Where `span` starts in the current chunk. */
  private spanStart = 0;

  /** @param copy whether emitted frames must own their memory (see `DecoderOptions.copy`) */
  constructor(protected readonly copy: boolean) {}

  /**
   * Takes the next chunk of input and emits every frame it completes, in order.
   *
   * @param chunk the bytes, valid only during this call
   * @param emit receives each frame
   */
  abstract push(chunk: Buffer, emit: (frame: Buffer) => void): void;

  /** The input ended: throws `ERR_FRAME_TRUNCATED` when a frame was partly received. */
  abstract end(): void;

  /** Stops a `push` in progress after its current frame and drops buffered bytes. */
  dispose(): void {
    this.stopped = true;
    this.span = null;
    this.release();
  }

  /** Drops the subclass's buffered bytes. */
  protected abstract release(): void;

  /**
   * Announces that `chunk[start, end)` consists of complete frames about to be emitted. In copy mode it copies
   * that range once, so the frames share one allocation per read instead of one each.
   */
  protected beginSpan(chunk: Buffer, start: number, end: number): void {
    if (!this.copy || end <= start) return;
    const span = allocOwned(end - start);
    chunk.copy(span, 0, start, end);
    this.span = span;
    this.spanStart = start;
  }

  /** The frame `chunk[start, end)`: a view of the span's copy in copy mode, a view of the chunk otherwise. */
  protected frame(chunk: Buffer, start: number, end: number): Buffer {
    if (!this.copy) return chunk.subarray(start, end);
    const span = this.span;
    const offset = start - this.spanStart;
    if (span !== null && offset >= 0 && offset + (end - start) <= span.length) {
      return span.subarray(offset, offset + (end - start));
    }
    // Outside any announced span: copy this frame alone rather than ever hand out a view of the chunk.
    const own = allocOwned(end - start);
    chunk.copy(own, 0, start, end);
    return own;
  }

  /** Forgets the span so the decoder does not keep emitted memory alive. */
  protected endSpan(): void {
    this.span = null;
  }

  /** The `ERR_FRAME_TRUNCATED` error for input that ended with `pending` bytes of an unfinished frame. */
  protected static truncated(expected: string, pending: number): RxloopError {
    return new RxloopError(
      ErrorCode.FRAME_TRUNCATED,
      `expected ${expected}, the input ended with ${pending} byte${pending === 1 ? '' : 's'} of it pending`,
    );
  }

  /**
   * Reads a length option: `fallback` when absent (and a fallback is given), otherwise an integer in `[min, max]`.
   *
   * @throws RxloopError `ERR_INVALID_ARGUMENT` for anything else
   */
  static lengthOption(
    value: number | undefined,
    name: string,
    fallback: number | undefined,
    min = 0,
    max: number = constants.MAX_LENGTH - 16,
  ): number {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new RxloopError(
        ErrorCode.INVALID_ARGUMENT,
        `expected ${name} to be an integer from ${min} to ${max}, got ${String(value)}`,
      );
    }
    return value;
  }
}
