import { map, type OperatorFunction } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * Turns frames (bytes or strings, UTF-8) into wire bytes by appending a delimiter: the inverse of
 * `delimited(delimiter)`.
 *
 * A frame that would not come back whole from `delimited` fails with `ERR_INVALID_ARGUMENT` instead of being
 * sent: one that contains the delimiter, or one whose end and the delimiter form an earlier match (frame `'ab'`
 * with delimiter `'aba'`). This also stops injection of extra frames through untrusted data.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { encodeDelimited } from 'rxloop/operators';
 *
 * of('a=1', 'b=2')
 *   .pipe(encodeDelimited('\r\n\r\n'))
 *   .subscribe((bytes) => console.log(JSON.stringify(bytes.toString()))); // "a=1\r\n\r\n", then "b=2\r\n\r\n"
 * ```
 *
 * @param delimiter the separator: a string (UTF-8) or bytes, not empty
 * @returns an operator from frames to one buffer per frame
 * @throws RxloopError `ERR_INVALID_ARGUMENT` at once for an empty delimiter
 */
export function encodeDelimited(delimiter: string | Uint8Array): OperatorFunction<Uint8Array | string, Buffer> {
  const bytes = delimiterBytes(delimiter);
  return map((frame) => append(frame, bytes));
}

/**
 * Encodes one frame: its bytes followed by the delimiter. The plain-function form of {@link encodeDelimited}.
 *
 * ## Example
 * ```ts
 * import { encodeDelimitedFrame } from 'rxloop/operators';
 *
 * console.log(encodeDelimitedFrame('hi', '\0').toString('hex')); // '686900'
 * ```
 *
 * @param frame the frame; strings are encoded as UTF-8
 * @param delimiter the separator: a string (UTF-8) or bytes, not empty
 * @returns a new buffer with the frame and the delimiter
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for an empty delimiter, or a frame that would not decode whole
 */
export function encodeDelimitedFrame(frame: Uint8Array | string, delimiter: string | Uint8Array): Buffer {
  return append(frame, delimiterBytes(delimiter));
}

function delimiterBytes(delimiter: string | Uint8Array): Buffer {
  const bytes = typeof delimiter === 'string' ? Buffer.from(delimiter, 'utf8') : Buffer.from(delimiter);
  if (bytes.length === 0) {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected a delimiter of at least one byte, got an empty one');
  }
  return bytes;
}

function append(frame: Uint8Array | string, delimiter: Buffer): Buffer {
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  const out = Buffer.allocUnsafe(size + delimiter.length);
  if (typeof frame === 'string') out.write(frame, 0);
  else out.set(frame, 0);
  delimiter.copy(out, size);
  // The decoder takes the leftmost match, so the only match allowed is the one we appended.
  const at = out.indexOf(delimiter);
  if (at !== size) {
    throw new RxloopError(
      ErrorCode.INVALID_ARGUMENT,
      `expected a frame that does not contain ${JSON.stringify(delimiter.toString('latin1'))}, found it at byte ${at}`,
    );
  }
  return out;
}
