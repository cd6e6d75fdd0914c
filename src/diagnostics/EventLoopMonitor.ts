import { monitorEventLoopDelay, performance, type EventLoopUtilization, type ELDHistogram } from 'node:perf_hooks';

/**
 * The event loop's health in one snapshot, after OpenTelemetry's Node.js runtime conventions
 * (`nodejs.eventloop.delay.*`, `nodejs.eventloop.utilization`, `nodejs.eventloop.time`), in seconds.
 *
 * ## Example
 * ```ts
 * import type { EventLoopMetrics } from 'rxloop';
 *
 * const busy = (loop: EventLoopMetrics) => loop.utilization > 0.9 || loop.delay.p99 > 0.1;
 * ```
 */
export interface EventLoopMetrics {
  /**
   * How late the loop ran timers since the previous snapshot (`perf_hooks.monitorEventLoopDelay`, less its
   * 10 ms sampling interval), in seconds.
   */
  readonly delay: {
    readonly min: number;
    readonly max: number;
    readonly mean: number;
    readonly stddev: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
  };
  /** The share of time the loop was busy since the previous snapshot, 0 to 1. */
  readonly utilization: number;
  /** Seconds the loop has been busy since the process started. */
  readonly activeSeconds: number;
  /** Seconds it has been idle (waiting for I/O) since then. */
  readonly idleSeconds: number;
}

/**
 * Samples this thread's event loop: delay through a `monitorEventLoopDelay` histogram (reset at each snapshot,
 * so every snapshot describes the time since the one before) and utilization through
 * `performance.eventLoopUtilization`.
 *
 * @internal
 */
export class EventLoopMonitor {
  private readonly histogram: ELDHistogram;
  private last: EventLoopUtilization;
  private readonly resolutionNs: number;

  constructor(resolutionMs = 10) {
    this.resolutionNs = resolutionMs * 1e6;
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
    this.last = performance.eventLoopUtilization();
  }

  snapshot(): EventLoopMetrics {
    const h = this.histogram;
    // The histogram records the time between samples, which includes the sampling interval itself: lateness is
    // what exceeds it.
    const resolution = this.resolutionNs;
    const seconds = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns - resolution) / 1e9 : 0);
    const sampled = h.count > 0;
    const delay = {
      min: sampled ? seconds(h.min) : 0,
      max: sampled ? seconds(h.max) : 0,
      mean: sampled ? seconds(h.mean) : 0,
      stddev: sampled && Number.isFinite(h.stddev) ? h.stddev / 1e9 : 0,
      p50: sampled ? seconds(h.percentile(50)) : 0,
      p90: sampled ? seconds(h.percentile(90)) : 0,
      p99: sampled ? seconds(h.percentile(99)) : 0,
    };
    h.reset();
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    return { delay, utilization: since.utilization, activeSeconds: now.active / 1000, idleSeconds: now.idle / 1000 };
  }
}
