import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * The layout of a length header, shared by `lengthPrefixed` and `encodeLengthPrefixed`.
 *
 * ## Example
 * ```ts
 * import { lengthPrefixed, encodeLengthPrefixed, type LengthFieldOptions } from 'rxloop/operators';
 *
 * // A 2-byte little-endian length that counts itself.
 * const field: LengthFieldOptions = { lengthBytes: 2, endian: 'little', adjust: -2 };
 * const decode = lengthPrefixed(field);
 * const encode = encodeLengthPrefixed(field);
 * ```
 */
export interface LengthFieldOptions {
  /** Size of the length field in bytes. Default 4. */
  lengthBytes?: 1 | 2 | 4 | 8;
  /** Byte order of the length field. Default `'big'` (network order). */
  endian?: 'big' | 'little';
  /**
   * Added to the length field to get the body length (the bytes after the header). Default 0. Use `-lengthBytes`
   * when the field counts the header too.
   */
  adjust?: number;
}

const TWO_TO_32 = 2 ** 32;
/** The high 32-bit word of Number.MAX_SAFE_INTEGER: an 8-byte field with a larger high word is not exact. */
const MAX_SAFE_HIGH = 0x1f_ffff;

/**
 * Reads and writes one length-field layout. Constructing it validates the options.
 *
 * @internal
 */
export class LengthField {
  /** Header size in bytes. */
  readonly bytes: 1 | 2 | 4 | 8;
  /** Added to the field to get the body length. */
  readonly adjust: number;
  /** The largest value the field holds exactly. */
  readonly maxValue: number;
  private readonly little: boolean;

  /**
   * @param options the layout
   * @throws RxloopError `ERR_INVALID_ARGUMENT` for a size other than 1, 2, 4, 8, an unknown endianness or an
   *   adjust that is not a safe integer
   */
  constructor(options: LengthFieldOptions) {
    const bytes = options.lengthBytes ?? 4;
    if (bytes !== 1 && bytes !== 2 && bytes !== 4 && bytes !== 8) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected lengthBytes 1, 2, 4 or 8, got ${String(bytes)}`);
    }
    const endian = options.endian ?? 'big';
    if (endian !== 'big' && endian !== 'little') {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected endian 'big' or 'little', got ${String(endian)}`);
    }
    const adjust = options.adjust ?? 0;
    if (!Number.isSafeInteger(adjust)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected adjust to be a safe integer, got ${String(adjust)}`);
    }
    this.bytes = bytes;
    this.little = endian === 'little';
    this.adjust = adjust;
    this.maxValue = bytes === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * bytes) - 1;
  }

  /** The field at `offset`; `Infinity` for an 8-byte value above Number.MAX_SAFE_INTEGER. */
  read(buffer: Buffer, offset: number): number {
    switch (this.bytes) {
      case 1:
        return buffer[offset]!;
      case 2:
        return this.little ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
      case 4:
        return this.little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
      case 8: {
        // Two 32-bit reads instead of readBigUInt64: no BigInt on the hot path.
        const high = this.little ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset);
        const low = this.little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset + 4);
        return high > MAX_SAFE_HIGH ? Infinity : high * TWO_TO_32 + low;
      }
    }
  }

  /** Writes `value` (an integer from 0 to `maxValue`) at `offset`. */
  write(buffer: Buffer, offset: number, value: number): void {
    switch (this.bytes) {
      case 1:
        buffer[offset] = value;
        return;
      case 2:
        if (this.little) buffer.writeUInt16LE(value, offset);
        else buffer.writeUInt16BE(value, offset);
        return;
      case 4:
        if (this.little) buffer.writeUInt32LE(value, offset);
        else buffer.writeUInt32BE(value, offset);
        return;
      case 8: {
        const high = Math.floor(value / TWO_TO_32);
        const low = value - high * TWO_TO_32;
        if (this.little) {
          buffer.writeUInt32LE(low, offset);
          buffer.writeUInt32LE(high, offset + 4);
        } else {
          buffer.writeUInt32BE(high, offset);
          buffer.writeUInt32BE(low, offset + 4);
        }
        return;
      }
    }
  }

  /** The exact field at `offset` as decimal text, for error messages (beyond what `read` returns exactly). */
  describe(buffer: Buffer, offset: number): string {
    if (this.bytes !== 8) return String(this.read(buffer, offset));
    return String(this.little ? buffer.readBigUInt64LE(offset) : buffer.readBigUInt64BE(offset));
  }
}
