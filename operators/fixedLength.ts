import type { OperatorFunction } from 'rxjs';
import type { DecoderOptions } from './DecoderOptions.js';
import { FixedLengthDecoder } from './FixedLengthDecoder.js';
import { FrameDecoder } from './FrameDecoder.js';
import { decodeFrames } from './decodeFrames.js';

/**
 * Cuts a byte stream into frames of exactly `size` bytes, whatever the chunk boundaries.
 *
 * Input that completes after a partial frame fails with `ERR_FRAME_TRUNCATED`; source errors pass through. See
 * {@link DecoderOptions} for `batch` and `copy`.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { fixedLength } from 'rxloop/operators';
 *
 * of(Buffer.from('abcd'), Buffer.from('ef'))
 *   .pipe(fixedLength(3))
 *   .subscribe((frame) => console.log(frame.toString())); // 'abc', then 'def'
 * ```
 *
 * @param size bytes per frame, an integer of at least 1
 * @param options `batch`, `copy`
 * @returns an operator from chunks to frames (or, with `batch: true`, to the frames each chunk completed)
 * @throws RxloopError `ERR_INVALID_ARGUMENT` at once for a bad `size`
 */
export function fixedLength(
  size: number,
  options: DecoderOptions & { batch: true },
): OperatorFunction<Buffer, Buffer[]>;
/** Cuts a byte stream into fixed-size frames, one emission per frame. */
export function fixedLength(
  size: number,
  options?: DecoderOptions & { batch?: false },
): OperatorFunction<Buffer, Buffer>;
/** Cuts a byte stream into fixed-size frames; the emission shape depends on `batch`. */
export function fixedLength(size: number, options?: DecoderOptions): OperatorFunction<Buffer, Buffer | Buffer[]>;
export function fixedLength(size: number, options: DecoderOptions = {}): OperatorFunction<Buffer, Buffer | Buffer[]> {
  const frameSize = FrameDecoder.lengthOption(size, 'size', undefined, 1);
  const copy = options.copy ?? true;
  return decodeFrames(() => new FixedLengthDecoder(frameSize, copy), options.batch === true);
}
