import type { BackendSelection } from './backends.js';

/** What every scenario gets from the harness. @internal */
export interface BenchContext {
  /** One round and short durations. */
  readonly quick: boolean;
  /** Rounds per scenario (each contender runs once per round, alternating). */
  readonly rounds: number;
  /** Seconds of load per measurement (wrk -d, client loops). */
  readonly seconds: number;
  /** Bytes for the receive-throughput scenario. */
  readonly receiveBytes: number;
  /** Bytes the flood client tries to push. */
  readonly floodBytes: number;
  /** Idle connections for the memory scenario. */
  readonly idleConnections: number;
  /** The backends the rxloop contenders run on (`--backend`), and whether io_uring runs here. */
  readonly backends: BackendSelection;
  /** Run one extra pass of the rxloop contenders under `node --cpu-prof` and keep the top frames. */
  readonly profile: boolean;
  /** The compiled bench directory (where run.js is), as an absolute path. */
  readonly benchDir: string;
  /** The compiled tree's root (holds bench/, examples/, src/). */
  readonly distRoot: string;
  /** A scratch directory for profiles. */
  readonly scratchDir: string;
  /** Prints a progress line. */
  progress(line: string): void;
  /** Keeps a CPU profile summary for the report. */
  addProfile(title: string, frames: readonly string[]): void;
}
