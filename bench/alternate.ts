import type { BenchContext } from './BenchContext.js';
import type { ContenderResult } from './Section.js';
import { median } from './statistics.js';

/** A contender of a scenario: one way of doing the work, measured by `run` once per round. @internal */
export interface Contender {
  readonly id: string;
  readonly label: string;
  /** Set to skip it (tool or module missing); shown by name in the report. */
  readonly skipped?: string;
  /** Does one measurement in fresh processes and returns its figures. */
  run(): Promise<Record<string, number>>;
}

/**
 * Runs the contenders alternately (A B C A B C ...) for `rounds` rounds, so slow drifts of a shared machine
 * hit every contender alike, printing a progress line per measurement. A contender that fails is reported as
 * skipped with its error and the others go on.
 *
 * @internal
 * @param ctx the harness
 * @param title what the progress lines say
 * @param contenders the contenders
 * @param format turns one measurement into the short text of a progress line
 * @returns one result per contender, medians over the rounds
 */
export async function alternate(
  ctx: BenchContext,
  title: string,
  contenders: readonly Contender[],
  format: (figures: Record<string, number>) => string,
): Promise<ContenderResult[]> {
  const samples = new Map<string, Record<string, number>[]>();
  const failures = new Map<string, string>();
  for (const contender of contenders) {
    samples.set(contender.id, []);
    if (contender.skipped !== undefined) ctx.progress(`[${title}] skipping ${contender.label}: ${contender.skipped}`);
  }
  for (let round = 1; round <= ctx.rounds; round++) {
    for (const contender of contenders) {
      if (contender.skipped !== undefined || failures.has(contender.id)) continue;
      const started = performance.now();
      try {
        const figures = await contender.run();
        samples.get(contender.id)!.push(figures);
        const took = ((performance.now() - started) / 1000).toFixed(1);
        ctx.progress(`[${title}] round ${round}/${ctx.rounds} ${contender.label.padEnd(28)} ${format(figures)} (${took} s)`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.set(contender.id, `failed: ${message.split('\n')[0]}`);
        ctx.progress(`[${title}] round ${round}/${ctx.rounds} ${contender.label} FAILED: ${message}`);
      }
    }
  }
  return contenders.map((contender) => {
    const rows = samples.get(contender.id)!;
    const skipped = contender.skipped ?? (rows.length === 0 ? failures.get(contender.id) : undefined);
    const medians: Record<string, number> = {};
    const keys = new Set(rows.flatMap((row) => Object.keys(row)));
    for (const key of keys) medians[key] = median(rows.map((row) => row[key] ?? NaN));
    return skipped !== undefined
      ? { id: contender.id, label: contender.label, skipped, medians, samples: rows }
      : { id: contender.id, label: contender.label, medians, samples: rows };
  });
}

/**
 * Adds each contender's ratio to the baseline on `metric`.
 *
 * @internal
 * @param results the contenders' results
 * @param baseline the baseline contender's id
 * @param metric the metric compared
 * @param higherIsBetter whether more is better (throughput) or less (latency, memory)
 * @returns the results with `ratio` set where both figures exist
 */
export function withRatios(
  results: readonly ContenderResult[],
  baseline: string,
  metric: string,
  higherIsBetter: boolean,
): ContenderResult[] {
  const base = results.find((result) => result.id === baseline)?.medians[metric];
  return results.map((result) => {
    const value = result.medians[metric];
    if (base === undefined || value === undefined || !(base > 0) || !(value > 0)) return result;
    return { ...result, ratio: higherIsBetter ? value / base : base / value };
  });
}
