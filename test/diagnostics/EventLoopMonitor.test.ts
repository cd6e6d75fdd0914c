import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLoopMetrics } from '../../src/index.js';
import { EventLoopMonitor } from '../../src/diagnostics/EventLoopMonitor.js';

/** Keeps the loop busy for `ms`: every timer due meanwhile runs at least that late. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

function checkShape(metrics: EventLoopMetrics): void {
  const { min, max, mean, p50, p90, p99 } = metrics.delay;
  for (const [name, value] of Object.entries(metrics.delay)) assert.ok(Number.isFinite(value) && value >= 0, `delay.${name} = ${value}`);
  assert.ok(min <= p50 && p50 <= p90 && p90 <= p99 && p99 <= max, `ordered percentiles: ${JSON.stringify(metrics.delay)}`);
  assert.ok(min <= mean && mean <= max, 'the mean lies between min and max');
  assert.ok(metrics.utilization >= 0 && metrics.utilization <= 1, `utilization ${metrics.utilization}`);
  assert.ok(metrics.activeSeconds >= 0 && metrics.idleSeconds >= 0);
  assert.ok(metrics.activeSeconds + metrics.idleSeconds <= performance.now() / 1000, 'seconds since the loop started, no more');
}

test('before the first sample every delay is 0; the loop times are there from the start', () => {
  const snapshot = new EventLoopMonitor().snapshot();
  assert.equal(snapshot.delay, { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 });
  checkShape(snapshot);
});

test('a blocked loop shows as delay (less the sampling interval, in seconds) and as busy time', async () => {
  const monitor = new EventLoopMonitor();
  const before = monitor.snapshot();
  await sleep(30);
  block(150);
  await sleep(30); // a sample after the block records how late it came
  const after = monitor.snapshot();
  checkShape(after);
  // A 150 ms block makes one sampling interval at least 150 ms long: 140 ms or more of lateness.
  assert.ok(after.delay.max >= 0.14, `the block shows in delay.max: ${JSON.stringify(after.delay)}`);
  assert.ok(after.delay.max < 150, 'in seconds, not milliseconds or nanoseconds');
  assert.ok(after.activeSeconds - before.activeSeconds >= 0.15, 'the block counts as busy time');
  assert.ok(after.utilization > 0, 'busy since the snapshot before');
  // The TSDoc example's test: with a handful of samples, p99 is the block's.
  const busy = (loop: EventLoopMetrics) => loop.utilization > 0.9 || loop.delay.p99 > 0.1;
  assert.ok(busy(after), `busy: ${JSON.stringify(after)}`);
});

test('each snapshot describes the time since the one before: the histogram starts again, the totals go on', async () => {
  const monitor = new EventLoopMonitor();
  await sleep(20);
  block(60);
  await sleep(20);
  const first = monitor.snapshot();
  assert.ok(first.delay.max > 0, 'something was sampled');
  const second = monitor.snapshot();
  assert.equal(second.delay, { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 }, 'no sample since the previous snapshot');
  assert.ok(second.activeSeconds >= first.activeSeconds && second.idleSeconds >= first.idleSeconds, 'totals never go back');
  await sleep(40);
  const third = monitor.snapshot();
  checkShape(third);
  assert.ok(third.idleSeconds > second.idleSeconds, 'waiting on a timer is idle time');
});

test('a coarser resolution is subtracted too: an idle loop at 20 ms reads as little delay, never negative', async () => {
  const monitor = new EventLoopMonitor(20);
  await sleep(100);
  const snapshot = monitor.snapshot();
  checkShape(snapshot);
  // Each sample's interval is at least the 20 ms resolution; what is left is lateness alone, well under it.
  assert.ok(snapshot.delay.min < 0.02, `min ${snapshot.delay.min}: the 20 ms interval itself was subtracted`);
});

test.run();
