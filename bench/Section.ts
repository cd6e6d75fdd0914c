/** One column of a section's table: a metric every contender reports. @internal */
export interface MetricColumn {
  readonly key: string;
  readonly label: string;
  /** Digits after the decimal point in the report. */
  readonly digits: number;
}

/** One contender's figures in a section. @internal */
export interface ContenderResult {
  readonly id: string;
  readonly label: string;
  /** Why it did not run (a tool or module missing, a failure), shown by name in the report. */
  readonly skipped?: string;
  /** Median of each metric over the rounds. */
  readonly medians: Record<string, number>;
  /** Every round's figures, in order. */
  readonly samples: readonly Record<string, number>[];
  /** The primary metric's median divided by the baseline's (or the baseline's by this, when lower is better). */
  readonly ratio?: number;
}

/** A target the issue sets, evaluated on the report's sections. @internal */
export interface TargetResult {
  readonly name: string;
  /** The section it reads. */
  readonly section: string;
  readonly value: number;
  readonly comparison: '>=' | '<=' | '<';
  readonly threshold: number;
  /** `'x'` for ratios, `'MiB'` for memory. */
  readonly unit: string;
  /** `undefined` when it could not be measured (a contender skipped). */
  readonly pass: boolean | undefined;
  /** Why it could not be measured, when `pass` is `undefined` (a contender's skip reason, a missing section). */
  readonly missing?: string;
  /** Why it misses, from its last profile (set only when it misses and one is recorded in targets.ts). */
  readonly whyMissed?: string;
  /** The same comparison on CPU cost (baseline CPU per unit of work / the contender's), where there is one. */
  readonly costRatio?: number;
  /** The mode and time of the section it was evaluated on. */
  readonly mode?: string;
  readonly measuredAt?: string;
}

/** One table of the report: a scenario, or one variant of it (`-P 1`, `-P 16`). @internal */
export interface Section {
  readonly id: string;
  readonly scenario: string;
  readonly title: string;
  /** `'quick'` or `'full'`: the mode of the run that measured it. */
  readonly mode: string;
  readonly measuredAt: string;
  readonly rounds: number;
  readonly commands: readonly string[];
  readonly notes: readonly string[];
  /** Set when the whole section was skipped, with how to make it run. */
  readonly skipped?: string;
  /** The metric ratios are taken on. */
  readonly primary: string;
  /** A CPU-cost metric (lower is better) whose baseline / contender ratio gets its own column. */
  readonly cost?: string;
  readonly higherIsBetter: boolean;
  readonly baseline: string | undefined;
  readonly columns: readonly MetricColumn[];
  readonly contenders: readonly ContenderResult[];
}

/** What `docs/benchmarks.json` holds. @internal */
export interface BenchDocument {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: Record<string, unknown>;
  readonly sections: Section[];
  readonly targets: TargetResult[];
  readonly profiles: { readonly title: string; readonly frames: readonly string[]; readonly measuredAt: string }[];
  /** The backends the rxloop contenders ran on, and whether io_uring runs on the machine (absent in older reports). */
  readonly backends?: {
    readonly requested: string;
    readonly selected: readonly string[];
    readonly uringAvailable: boolean;
    readonly uringReason?: string;
  };
}
