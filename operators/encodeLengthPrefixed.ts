import { map, type OperatorFunction } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { LengthField, type LengthFieldOptions } from './LengthField.js';

/**
 * Turns frames (bytes or strings, UTF-8) into wire bytes with a length header: the inverse of
 * `lengthPrefixed(options)` with the same `lengthBytes`, `endian` and `adjust`. The field written is
 * `body length - adjust`.
 *
 * A frame whose field would not fit `lengthBytes` fails with `ERR_FRAME_TOO_LONG`; one whose field would be
 * negative (an `adjust` larger than the frame) fails with `ERR_INVALID_ARGUMENT`.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { encodeLengthPrefixed } from 'rxloop/operators';
 *
 * of('hi')
 *   .pipe(encodeLengthPrefixed({ lengthBytes: 2 }))
 *   .subscribe((bytes) => console.log(bytes.toString('hex'))); // '00026869'
 * ```
 *
 * @param options `lengthBytes` (1, 2, 4, 8; default 4), `endian` (default `'big'`), `adjust` (default 0)
 * @returns an operator from frames to one buffer (header and body) per frame
 * @throws RxloopError `ERR_INVALID_ARGUMENT` at once for a bad `lengthBytes`, `endian` or `adjust`
 */
export function encodeLengthPrefixed(options: LengthFieldOptions = {}): OperatorFunction<Uint8Array | string, Buffer> {
  const field = new LengthField(options);
  return map((frame) => prefix(frame, field));
}

/**
 * Encodes one frame with its length header. The plain-function form of {@link encodeLengthPrefixed}.
 *
 * ## Example
 * ```ts
 * import { encodeLengthPrefixedFrame } from 'rxloop/operators';
 *
 * console.log(encodeLengthPrefixedFrame('hi', { lengthBytes: 1 }).toString('hex')); // '026869'
 * ```
 *
 * @param frame the body; strings are encoded as UTF-8
 * @param options `lengthBytes`, `endian`, `adjust`
 * @returns a new buffer with header and body
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for bad options or a negative field, `ERR_FRAME_TOO_LONG` for a
 *   field that does not fit
 */
export function encodeLengthPrefixedFrame(frame: Uint8Array | string, options: LengthFieldOptions = {}): Buffer {
  return prefix(frame, new LengthField(options));
}

function prefix(frame: Uint8Array | string, field: LengthField): Buffer {
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  const value = size - field.adjust;
  if (value < 0) {
    throw new RxloopError(
      ErrorCode.INVALID_ARGUMENT,
      `expected a frame of at least ${field.adjust} bytes (adjust ${field.adjust}), got ${size}`,
    );
  }
  if (value > field.maxValue) {
    throw new RxloopError(
      ErrorCode.FRAME_TOO_LONG,
      `expected a frame whose length field fits ${field.bytes} byte${field.bytes === 1 ? '' : 's'} ` +
        `(at most ${field.maxValue - field.adjust} bytes of body), got ${size}`,
    );
  }
  const out = Buffer.allocUnsafe(field.bytes + size);
  field.write(out, 0, value);
  if (typeof frame === 'string') out.write(frame, field.bytes);
  else out.set(frame, field.bytes);
  return out;
}
