import type { OperatorFunction } from 'rxjs';
import type { DecoderOptions } from './DecoderOptions.js';
import { DelimiterDecoder } from './DelimiterDecoder.js';
import { FrameDecoder } from './FrameDecoder.js';
import { decodeFrames } from './decodeFrames.js';

const LF = Buffer.from('\n');

/**
 * Options of {@link lines}.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { lines, type LinesOptions } from 'rxloop/operators';
 *
 * // An LF-only protocol: keep a CR that ends a line, and refuse lines over 1 KiB.
 * const options = { crlf: false, maxLength: 1024 } satisfies LinesOptions;
 * of(Buffer.from('a\r\nb\n'))
 *   .pipe(lines(options))
 *   .subscribe((line) => console.log(JSON.stringify(line.toString()))); // "a\r", then "b"
 * ```
 */
export interface LinesOptions extends DecoderOptions {
  /** Strip a CR before the LF, so CRLF and LF endings both work. Default `true`. */
  crlf?: boolean;
  /**
   * The longest line accepted, line ending not counted. A longer line fails with `ERR_FRAME_TOO_LONG` as soon
   * as more than this many bytes arrived without an LF. Default 65536 (64 KiB).
   */
  maxLength?: number;
}

/**
 * Splits a byte stream into lines: frames ending in LF, emitted without the LF (and without a CR before it,
 * unless `crlf: false`). An empty line is an empty buffer.
 *
 * Input may arrive in any fragmentation. Input that completes after a partial line fails with
 * `ERR_FRAME_TRUNCATED` (the last line must end in LF); a line longer than `maxLength` fails with
 * `ERR_FRAME_TOO_LONG`; source errors pass through. See {@link DecoderOptions} for `batch` and `copy`.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { lines } from 'rxloop/operators';
 *
 * of(Buffer.from('PING\r\nECHO hel'), Buffer.from('lo\r\n'))
 *   .pipe(lines())
 *   .subscribe((line) => console.log(line.toString())); // 'PING', then 'ECHO hello'
 * ```
 *
 * @param options `crlf`, `maxLength`, `batch`, `copy`
 * @returns an operator from chunks to lines (or, with `batch: true`, to the lines each chunk completed)
 * @throws RxloopError `ERR_INVALID_ARGUMENT` at once for a bad `maxLength`
 */
export function lines(options: LinesOptions & { batch: true }): OperatorFunction<Buffer, Buffer[]>;
/** Splits a byte stream into lines, one emission per line. */
export function lines(options?: LinesOptions & { batch?: false }): OperatorFunction<Buffer, Buffer>;
/** Splits a byte stream into lines; the emission shape depends on `batch`. */
export function lines(options?: LinesOptions): OperatorFunction<Buffer, Buffer | Buffer[]>;
export function lines(options: LinesOptions = {}): OperatorFunction<Buffer, Buffer | Buffer[]> {
  const maxLength = FrameDecoder.lengthOption(options.maxLength, 'maxLength', 64 * 1024);
  const stripCR = options.crlf ?? true;
  const copy = options.copy ?? true;
  return decodeFrames(
    () => new DelimiterDecoder({ delimiter: LF, maxLength, keepDelimiter: false, stripCR, copy }),
    options.batch === true,
  );
}
