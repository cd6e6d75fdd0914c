import { constants } from 'node:buffer';
import type { OperatorFunction } from 'rxjs';
import type { DecoderOptions } from './DecoderOptions.js';
import { FrameDecoder } from './FrameDecoder.js';
import { LengthField, type LengthFieldOptions } from './LengthField.js';
import { LengthFieldDecoder } from './LengthFieldDecoder.js';
import { decodeFrames } from './decodeFrames.js';

/**
 * Options of {@link lengthPrefixed}.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { lengthPrefixed, type LengthPrefixedOptions } from 'rxloop/operators';
 *
 * // A 2-byte header kept on each frame, and bodies of at most 4 KiB.
 * const options = { lengthBytes: 2, strip: false, maxLength: 4096 } satisfies LengthPrefixedOptions;
 * of(Buffer.from([0, 2, 0x68, 0x69]))
 *   .pipe(lengthPrefixed(options))
 *   .subscribe((frame) => console.log(frame.length)); // 4
 * ```
 */
export interface LengthPrefixedOptions extends DecoderOptions, LengthFieldOptions {
  /** Emit the body only (`true`) or the header and the body (`false`). Default `true`. */
  strip?: boolean;
  /**
   * The largest body accepted (header not counted). A header announcing more fails with `ERR_FRAME_TOO_LONG` as
   * soon as it is read, before any body byte is buffered. Default 1048576 (1 MiB).
   */
  maxLength?: number;
}

/**
 * Reads frames made of a length header and a body: `lengthBytes` bytes of unsigned length in `endian` order,
 * then `length + adjust` bytes of body.
 *
 * A body length that is negative after `adjust`, or an 8-byte length above Number.MAX_SAFE_INTEGER, fails with
 * `ERR_FRAME_CORRUPT`; one above `maxLength` fails with `ERR_FRAME_TOO_LONG` before the body is buffered; input
 * that completes inside a header or body fails with `ERR_FRAME_TRUNCATED`; source errors pass through. See
 * {@link DecoderOptions} for `batch` and `copy`.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { lengthPrefixed } from 'rxloop/operators';
 *
 * const wire = Buffer.from([0, 0, 0, 2, 0x68, 0x69, 0, 0, 0, 0]);
 * of(wire.subarray(0, 3), wire.subarray(3))
 *   .pipe(lengthPrefixed())
 *   .subscribe((body) => console.log(JSON.stringify(body.toString()))); // "hi", then ""
 * ```
 *
 * @param options `lengthBytes` (1, 2, 4, 8; default 4), `endian` (default `'big'`), `adjust` (default 0),
 *   `strip` (default true), `maxLength` (default 1 MiB), `batch`, `copy`
 * @returns an operator from chunks to frames (or, with `batch: true`, to the frames each chunk completed)
 * @throws RxloopError `ERR_INVALID_ARGUMENT` at once for a bad `lengthBytes`, `endian`, `adjust` or `maxLength`
 */
export function lengthPrefixed(options: LengthPrefixedOptions & { batch: true }): OperatorFunction<Buffer, Buffer[]>;
/** Reads length-prefixed frames, one emission per frame. */
export function lengthPrefixed(options?: LengthPrefixedOptions & { batch?: false }): OperatorFunction<Buffer, Buffer>;
/** Reads length-prefixed frames; the emission shape depends on `batch`. */
export function lengthPrefixed(options?: LengthPrefixedOptions): OperatorFunction<Buffer, Buffer | Buffer[]>;
export function lengthPrefixed(options: LengthPrefixedOptions = {}): OperatorFunction<Buffer, Buffer | Buffer[]> {
  const field = new LengthField(options);
  const limit = constants.MAX_LENGTH - field.bytes;
  const maxLength = FrameDecoder.lengthOption(options.maxLength, 'maxLength', 1024 * 1024, 0, limit);
  const strip = options.strip ?? true;
  const copy = options.copy ?? true;
  return decodeFrames(() => new LengthFieldDecoder({ field, strip, maxLength, copy }), options.batch === true);
}
