import { map, type OperatorFunction } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';

const LF = Buffer.from('\n');
const CRLF = Buffer.from('\r\n');

/**
 * Options of {@link encodeLines} and {@link encodeLine}.
 *
 * ## Example
 * ```ts
 * import { encodeLine, type EncodeLinesOptions } from 'rxloop/operators';
 *
 * const crlf: EncodeLinesOptions = { crlf: true };
 * console.log(JSON.stringify(encodeLine('+OK', crlf).toString())); // "+OK\r\n"
 * ```
 */
export interface EncodeLinesOptions {
  /** End lines with CRLF instead of LF. Default `false`. */
  crlf?: boolean;
}

/**
 * Turns lines (bytes or strings, UTF-8) into wire bytes by appending LF, or CRLF with `crlf: true`: the inverse
 * of `lines()`.
 *
 * A line that contains an LF would arrive as two lines, so it fails with `ERR_INVALID_ARGUMENT` instead of being
 * sent (this also stops line injection through untrusted text).
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { encodeLines } from 'rxloop/operators';
 *
 * of('+OK', 'PONG')
 *   .pipe(encodeLines({ crlf: true }))
 *   .subscribe((bytes) => console.log(JSON.stringify(bytes.toString()))); // "+OK\r\n", then "PONG\r\n"
 * ```
 *
 * @param options `crlf`
 * @returns an operator from lines to one buffer per line
 */
export function encodeLines(options: EncodeLinesOptions = {}): OperatorFunction<Uint8Array | string, Buffer> {
  const ending = options.crlf === true ? CRLF : LF;
  return map((line) => terminate(line, ending));
}

/**
 * Encodes one line: its bytes followed by LF (or CRLF). The plain-function form of {@link encodeLines}.
 *
 * ## Example
 * ```ts
 * import { encodeLine } from 'rxloop/operators';
 *
 * console.log(encodeLine('PING', { crlf: true })); // <Buffer 50 49 4e 47 0d 0a>
 * ```
 *
 * @param line the line, without its ending; strings are encoded as UTF-8
 * @param options `crlf`
 * @returns a new buffer with the line and its ending
 * @throws RxloopError `ERR_INVALID_ARGUMENT` when the line contains an LF
 */
export function encodeLine(line: Uint8Array | string, options: EncodeLinesOptions = {}): Buffer {
  return terminate(line, options.crlf === true ? CRLF : LF);
}

function terminate(line: Uint8Array | string, ending: Buffer): Buffer {
  const size = typeof line === 'string' ? Buffer.byteLength(line) : line.length;
  const out = Buffer.allocUnsafe(size + ending.length);
  if (typeof line === 'string') out.write(line, 0);
  else out.set(line, 0);
  ending.copy(out, size);
  const lf = out.indexOf(0x0a);
  if (lf !== out.length - 1) {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a line without LF, found one at byte ${lf}`);
  }
  return out;
}
