/**
 * A histogram's state as it travels between processes (JSON) and into an exposition: `counts[i]` values fell
 * in `(bounds[i-1], bounds[i]]`, the last count above the last bound.
 *
 * ## Example
 * ```ts
 * import type { HistogramSnapshot } from 'rxloop';
 *
 * const mean = (h: HistogramSnapshot) => (h.count === 0 ? 0 : h.sum / h.count);
 * ```
 */
export interface HistogramSnapshot {
  /** The buckets' upper bounds, ascending. */
  readonly bounds: readonly number[];
  /** Values per bucket (not cumulative), one more than `bounds`. */
  readonly counts: readonly number[];
  /** The sum of every value recorded. */
  readonly sum: number;
  /** How many values were recorded. */
  readonly count: number;
}

/**
 * Bucket bounds for connection durations, in seconds: OpenTelemetry's advice for `kestrel.connection.duration`.
 *
 * @internal
 */
export const CONNECTION_DURATION_BOUNDS: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/**
 * A fixed-bucket histogram (cumulative since start, as Prometheus wants it).
 *
 * @internal
 */
export class DurationHistogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[] = CONNECTION_DURATION_BOUNDS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Records one value. */
  record(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: this.bounds, counts: [...this.counts], sum: this.sum, count: this.count };
  }
}
