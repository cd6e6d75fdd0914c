import { constants } from 'node:buffer';
import type { OperatorFunction } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { DecoderOptions } from './DecoderOptions.js';
import { DelimiterDecoder } from './DelimiterDecoder.js';
import { FrameDecoder } from './FrameDecoder.js';
import { decodeFrames } from './decodeFrames.js';

/**
 * Options of {@link delimited}.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { delimited, type DelimitedOptions } from 'rxloop/operators';
 *
 * // NUL-terminated records of at most 256 bytes, emitted with their terminator.
 * const options = { maxLength: 256, keepDelimiter: true } satisfies DelimitedOptions;
 * of(Buffer.from('ab\0c\0'))
 *   .pipe(delimited('\0', options))
 *   .subscribe((record) => console.log(record.length)); // 3, then 2
 * ```
 */
export interface DelimitedOptions extends DecoderOptions {
  /**
   * The longest frame accepted, delimiter not counted. A longer frame fails with `ERR_FRAME_TOO_LONG` as soon as
   * the bytes received prove it (at most delimiter length - 1 bytes later). Default 65536 (64 KiB).
   */
  maxLength?: number;
  /** Emit each frame with its delimiter. Default `false`. */
  keepDelimiter?: boolean;
}

/**
 * Splits a byte stream on a delimiter of one or more bytes, found wherever chunk boundaries fall (also when the
 * delimiter itself is split over chunks). Frames are the bytes between delimiters, leftmost match first.
 *
 * Input that completes after a partial frame fails with `ERR_FRAME_TRUNCATED`; a frame longer than
 * `maxLength` fails with `ERR_FRAME_TOO_LONG`; source errors pass through. See {@link DecoderOptions} for
 * `batch` and `copy`.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { delimited } from 'rxloop/operators';
 *
 * of(Buffer.from('a=1\r\n\r'), Buffer.from('\nb=2\r\n\r\n'))
 *   .pipe(delimited('\r\n\r\n'))
 *   .subscribe((block) => console.log(JSON.stringify(block.toString()))); // "a=1", then "b=2"
 * ```
 *
 * @param delimiter the separator: a string (UTF-8) or bytes, not empty; copied, so later changes do not matter
 * @param options `maxLength`, `keepDelimiter`, `batch`, `copy`
 * @returns an operator from chunks to frames (or, with `batch: true`, to the frames each chunk completed)
 * @throws RxloopError `ERR_INVALID_ARGUMENT` at once for an empty delimiter or a bad `maxLength`
 */
export function delimited(
  delimiter: string | Uint8Array,
  options: DelimitedOptions & { batch: true },
): OperatorFunction<Buffer, Buffer[]>;
/** Splits a byte stream on a delimiter, one emission per frame. */
export function delimited(
  delimiter: string | Uint8Array,
  options?: DelimitedOptions & { batch?: false },
): OperatorFunction<Buffer, Buffer>;
/** Splits a byte stream on a delimiter; the emission shape depends on `batch`. */
export function delimited(
  delimiter: string | Uint8Array,
  options?: DelimitedOptions,
): OperatorFunction<Buffer, Buffer | Buffer[]>;
export function delimited(
  delimiter: string | Uint8Array,
  options: DelimitedOptions = {},
): OperatorFunction<Buffer, Buffer | Buffer[]> {
  const bytes = typeof delimiter === 'string' ? Buffer.from(delimiter, 'utf8') : Buffer.from(delimiter);
  if (bytes.length === 0) {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected a delimiter of at least one byte, got an empty one');
  }
  const limit = constants.MAX_LENGTH - bytes.length;
  const maxLength = FrameDecoder.lengthOption(options.maxLength, 'maxLength', 64 * 1024, 0, limit);
  const keepDelimiter = options.keepDelimiter ?? false;
  const copy = options.copy ?? true;
  return decodeFrames(
    () => new DelimiterDecoder({ delimiter: bytes, maxLength, keepDelimiter, stripCR: false, copy }),
    options.batch === true,
  );
}
