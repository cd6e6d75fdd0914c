import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HistogramSnapshot } from '../../src/index.js';
import { CONNECTION_DURATION_BOUNDS, DurationHistogram } from '../../src/diagnostics/DurationHistogram.js';

test('a new histogram has one empty bucket per bound, and one above the last', () => {
  assert.equal(new DurationHistogram([1, 2]).snapshot(), { bounds: [1, 2], counts: [0, 0, 0], sum: 0, count: 0 });
});

test('a value falls in (previous bound, bound]: a value on a bound counts in that bound\'s bucket', () => {
  const histogram = new DurationHistogram([1, 2, 5]);
  for (const value of [0, 1, 1.0001, 2, 4.9, 5, 5.1, 1000, -3]) histogram.record(value);
  const snapshot = histogram.snapshot();
  assert.equal(snapshot.counts, [3, 2, 2, 2], '(-inf, 1]: 0, 1, -3; (1, 2]: 1.0001, 2; (2, 5]: 4.9, 5; above: 5.1, 1000');
  assert.is(snapshot.count, 9);
  assert.ok(Math.abs(snapshot.sum - (0 + 1 + 1.0001 + 2 + 4.9 + 5 + 5.1 + 1000 - 3)) < 1e-9);
});

test('counts are per bucket and cumulative since start; a snapshot is a copy that later records leave alone', () => {
  const histogram = new DurationHistogram([10]);
  histogram.record(3);
  const first = histogram.snapshot();
  histogram.record(30);
  histogram.record(4);
  const second = histogram.snapshot();
  assert.equal(first, { bounds: [10], counts: [1, 0], sum: 3, count: 1 });
  assert.equal(second, { bounds: [10], counts: [2, 1], sum: 37, count: 3 });
});

test('the default bounds are OpenTelemetry\'s advice for connection durations, in seconds', () => {
  assert.equal(CONNECTION_DURATION_BOUNDS, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
  const histogram = new DurationHistogram();
  histogram.record(0.005);
  histogram.record(0.75);
  histogram.record(3600);
  const snapshot = histogram.snapshot();
  assert.is(snapshot.bounds, CONNECTION_DURATION_BOUNDS);
  assert.is(snapshot.counts.length, 15);
  assert.equal([snapshot.counts[0], snapshot.counts[6], snapshot.counts[14]], [1, 1, 1]);
  assert.is(snapshot.counts.reduce((a, b) => a + b, 0), snapshot.count);
});

test('the TSDoc example: the mean of a snapshot, 0 while empty', () => {
  const mean = (h: HistogramSnapshot) => (h.count === 0 ? 0 : h.sum / h.count);
  const histogram = new DurationHistogram();
  assert.is(mean(histogram.snapshot()), 0);
  histogram.record(1);
  histogram.record(2);
  assert.is(mean(histogram.snapshot()), 1.5);
  assert.equal(JSON.parse(JSON.stringify(histogram.snapshot())), histogram.snapshot(), 'it travels as JSON unchanged');
});

test.run();
