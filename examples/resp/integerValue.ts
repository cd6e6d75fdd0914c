import { integerLength, writeInteger } from './writeInteger.js';

/** How many small integers have one shared value buffer each (Redis's OBJ_SHARED_INTEGERS). */
const SHARED = 10_000;
// Filled up front with undefined so the array stays a dense one (a sparse array would be a dictionary).
const shared: (Buffer | undefined)[] = new Array<Buffer | undefined>(SHARED).fill(undefined);

/**
 * The stored form of an integer value (its decimal digits), as `INCR` and friends store it. Values from 0 to
 * 9999 come from a table of shared, never-mutated buffers, as Redis shares its small integers: a counter then
 * costs no allocation per increment, and its bytes stay in cache however many counters there are. Larger values
 * get a buffer of their own.
 *
 * ## Example
 * ```ts
 * import { integerValue } from './integerValue.js';
 *
 * console.log(integerValue(42).toString()); // '42'
 * console.log(integerValue(42) === integerValue(42)); // true: shared
 * ```
 *
 * @internal
 * @param value a safe integer
 * @returns its decimal digits; do not write into it
 */
export function integerValue(value: number): Buffer {
  if (value >= 0 && value < SHARED) return (shared[value] ??= digits(value));
  return digits(value);
}

function digits(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(integerLength(value));
  writeInteger(bytes, 0, value);
  return bytes;
}
