import type { BenchContext } from './BenchContext.js';
import type { ContenderResult, MetricColumn, Section } from './Section.js';

/** A scenario of the bench: measures its contenders and returns the report's sections. @internal */
export interface Scenario {
  /** The name `--only` takes. */
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<Section[]>;
}

/** The parts of a section a scenario fills in; the rest comes from the run. @internal */
export interface SectionParts {
  readonly id: string;
  readonly title: string;
  readonly commands: readonly string[];
  readonly notes?: readonly string[];
  readonly skipped?: string;
  readonly primary: string;
  readonly cost?: string;
  readonly higherIsBetter: boolean;
  readonly baseline: string | undefined;
  readonly columns: readonly MetricColumn[];
  readonly contenders?: readonly ContenderResult[];
}

/**
 * Completes a section with the run's mode, time and rounds.
 *
 * @internal
 * @param ctx the harness
 * @param scenario the scenario's id
 * @param parts what the scenario measured
 * @returns the section
 */
export function section(ctx: BenchContext, scenario: string, parts: SectionParts): Section {
  return {
    scenario,
    mode: ctx.quick ? 'quick' : 'full',
    measuredAt: new Date().toISOString(),
    rounds: ctx.rounds,
    notes: [],
    contenders: [],
    ...parts,
  };
}

/**
 * The result of contender `id` among `results`.
 *
 * @internal
 */
export function find(results: readonly ContenderResult[], id: string): ContenderResult | undefined {
  return results.find((result) => result.id === id);
}
