import type { ContractNeed } from './BackendHarness.js';
import type { ContractWorld } from './ContractWorld.js';

/** One contract case: a function of the world a harness sets up, run against every backend. */
export interface ContractCase {
  /** What the backend must do, as a sentence. */
  readonly name: string;
  /** Needs beyond TCP on 127.0.0.1; a backend that lacks one reports the case as not run. */
  readonly needs?: readonly ContractNeed[];
  run(world: ContractWorld): Promise<void>;
}
