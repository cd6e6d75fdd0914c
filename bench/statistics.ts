/**
 * The median of some numbers (NaN when there are none).
 *
 * @internal
 * @param values the numbers
 * @returns the median
 */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

/**
 * The `p`-th percentile (0..100, nearest rank) of numbers already sorted ascending.
 *
 * @internal
 * @param sorted ascending numbers
 * @param p the percentile
 * @returns the value, NaN when there are none
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * The geometric mean of positive numbers (NaN when there are none), the fair average of ratios.
 *
 * @internal
 * @param values the numbers
 * @returns the geometric mean
 */
export function geometricMean(values: readonly number[]): number {
  const usable = values.filter((value) => Number.isFinite(value) && value > 0);
  if (usable.length === 0) return NaN;
  return Math.exp(usable.reduce((sum, value) => sum + Math.log(value), 0) / usable.length);
}
