/** `"9223372036854775807"`, the digits of the largest signed 64-bit integer (LLONG_MAX). */
const MAX_DIGITS = [57, 50, 50, 51, 51, 55, 50, 48, 51, 54, 56, 53, 52, 55, 55, 53, 56, 48, 55];

/**
 * Reads a signed 64-bit decimal integer from `buf[start, end)` with exactly the rules of Redis's `string2ll`: an
 * optional `-`, no `+`, no spaces, no leading zeros (`"0"` alone is fine, `"-0"` and `"007"` are not), and the value
 * must fit in a signed 64-bit integer. RESP lengths, `INCR` values, `EX` seconds and `SELECT` indexes all go
 * through this one gate, so they accept and refuse the same strings Redis does.
 *
 * Values beyond ±2^53 come back as the nearest double; a caller that needs them exactly checks
 * `Number.isSafeInteger(result)` and re-reads the digits with `BigInt(buf.toString('latin1', start, end))`.
 *
 * ## Example
 * ```ts
 * import { parseInteger } from './parseInteger.js';
 *
 * const line = Buffer.from('*3\r\n');
 * console.log(parseInteger(line, 1, 2)); // 3
 * console.log(parseInteger(Buffer.from('007'), 0, 3)); // NaN
 * ```
 *
 * @internal
 * @param buf the bytes
 * @param start the first byte of the number
 * @param end one past its last byte
 * @returns the value, or `NaN` when the bytes are not a valid 64-bit integer
 */
export function parseInteger(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  // Redis refuses anything of LONG_STR_SIZE (21) bytes or more before looking at it.
  if (length <= 0 || length >= 21) return NaN;
  let i = start;
  let c = buf[i]!;
  if (c === 0x30) return length === 1 ? 0 : NaN;
  const negative = c === 0x2d;
  if (negative) {
    if (++i === end) return NaN;
    c = buf[i]!;
  }
  if (c < 0x31 || c > 0x39) return NaN;
  // A digit loop rather than toString + Number(): no string per length header on the hot path.
  let value = 0;
  for (; i < end; i++) {
    c = buf[i]!;
    if (c < 0x30 || c > 0x39) return NaN;
    value = value * 10 + (c - 0x30);
  }
  const digits = negative ? length - 1 : length;
  if (digits > 19 || (digits === 19 && !fitsInt64(buf, end - 19, negative))) return NaN;
  // Past 15 digits the running sum may round more than once; let Number() round the whole once.
  if (digits > 15) return Number(Buffer.from(buf.buffer, buf.byteOffset + start, length).toString('latin1'));
  return negative ? -value : value;
}

/** Compares 19 digits with LLONG_MAX (or with -LLONG_MIN, one more, for a negative number). */
function fitsInt64(buf: Uint8Array, at: number, negative: boolean): boolean {
  for (let i = 0; i < 19; i++) {
    const limit = i === 18 && negative ? 56 : MAX_DIGITS[i]!;
    const c = buf[at + i]!;
    if (c !== limit) return c < limit;
  }
  return true;
}

/** The largest signed 64-bit integer, Redis's LLONG_MAX. @internal */
export const LLONG_MAX = 9223372036854775807n;

/** The smallest signed 64-bit integer, Redis's LLONG_MIN. @internal */
export const LLONG_MIN = -9223372036854775808n;
