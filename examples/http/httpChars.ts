// Byte classes for the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112). The parser validates every byte of a request
// head, which no Buffer method can do, so it walks bytes through these tables: one indexed load per byte. The
// constants are plain module-level numbers (not object properties) so the optimising compiler folds them into
// the scanning loops.

/** @internal Class bit: tchar, the characters of a method, a header name, a chunk-extension name. */
export const TOKEN = 1;
/** @internal Class bit: field-vchar / obs-text plus SP and HTAB, what a header value or chunk extension may hold. */
export const VALUE = 2;
/** @internal Class bit: VCHAR without SP, what a request-target may hold (its structure is not checked). */
export const TARGET = 4;

/** @internal */
export const HTAB = 0x09;
/** @internal */
export const LF = 0x0a;
/** @internal */
export const CR = 0x0d;
/** @internal */
export const SP = 0x20;
/** @internal */
export const COMMA = 0x2c;
/** @internal */
export const DOT = 0x2e;
/** @internal */
export const SLASH = 0x2f;
/** @internal */
export const COLON = 0x3a;
/** @internal */
export const SEMICOLON = 0x3b;
/** @internal */
export const QUESTION = 0x3f;

/** @internal Class bits of each byte value. */
export const CHAR_CLASS: Uint8Array = buildClasses();
/** @internal Value of a hex digit byte, or 255 for any other byte. */
export const HEX_VALUE: Uint8Array = buildHex();
/** @internal ASCII lowercase of each byte value (other bytes map to themselves). */
export const LOWER: Uint8Array = buildLower();

function buildClasses(): Uint8Array {
  const table = new Uint8Array(256);
  const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let i = 0; i < tchars.length; i++) table[tchars.charCodeAt(i)]! |= TOKEN;
  for (let c = 0x21; c <= 0x7e; c++) table[c]! |= VALUE | TARGET;
  for (let c = 0x80; c <= 0xff; c++) table[c]! |= VALUE;
  table[SP]! |= VALUE;
  table[HTAB]! |= VALUE;
  return table;
}

function buildHex(): Uint8Array {
  const table = new Uint8Array(256).fill(255);
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    table[0x41 + d] = 10 + d;
    table[0x61 + d] = 10 + d;
  }
  return table;
}

function buildLower(): Uint8Array {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) table[c] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  return table;
}

/**
 * Skips the bytes of one class from `i`, returning the first index not in it (or `to`). Unrolled by four: the
 * combined test halves the cost per byte of long values (user agents, cookies) against the one-byte loop.
 *
 * @internal
 */
export function skipClass(src: Buffer, i: number, to: number, mask: number, classes: Uint8Array): number {
  while (i + 4 <= to && (classes[src[i]!]! & classes[src[i + 1]!]! & classes[src[i + 2]!]! & classes[src[i + 3]!]! & mask) !== 0) {
    i += 4;
  }
  while (i < to && (classes[src[i]!]! & mask) !== 0) i++;
  return i;
}

/**
 * Names a byte for an error message without echoing request text.
 *
 * @internal
 */
export function describeByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  if (byte === LF) return `a bare LF (${hex})`;
  if (byte === CR) return `CR (${hex})`;
  if (byte > 0x20 && byte < 0x7f) return `"${String.fromCharCode(byte)}" (${hex})`;
  return `byte ${hex}`;
}
