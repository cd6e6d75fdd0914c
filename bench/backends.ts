import { uringSupport } from '../src/backends/uring/uringSupport.js';

/** A backend the bench's rxloop contenders can run on. @internal */
export type BenchBackend = 'node' | 'uring';

/** Which backends this run measures, and whether io_uring can run here. @internal */
export interface BackendSelection {
  /** What `--backend` said (`node`, `uring`, `auto`, or a list such as `node,uring`); `node,uring` by default. */
  readonly requested: string;
  /** The backends whose contenders run. */
  readonly selected: readonly BenchBackend[];
  /** Whether io_uring runs here (the native addon loads and the kernel has what the backend needs). */
  readonly uringAvailable: boolean;
  /** Why not, when it does not. */
  readonly uringReason: string | undefined;
}

/**
 * Resolves `--backend`: `node` (the node-backend contenders only), `uring` (the uring ones only), `auto` (uring
 * where io_uring runs, node elsewhere, like `rxloop serve`), or a comma-separated list; without it both run, so
 * that the uring targets (which compare the two) are measured in one run. Baselines (plain node:net, node:http,
 * redis-server) run whatever is selected.
 *
 * ## Example
 * ```ts
 * import { selectBenchBackends } from './backends.js';
 *
 * const selection = selectBenchBackends('auto', { available: false, reason: 'no addon' });
 * console.log(selection.selected); // ['node']
 * ```
 *
 * @internal
 * @param requested the `--backend` value, or `undefined`
 * @param support what `uringSupport()` says (a parameter so tests can state it)
 * @returns the selection
 * @throws Error for a name that is not a backend
 */
export function selectBenchBackends(
  requested: string | undefined,
  support: { readonly available: boolean; readonly reason: string | undefined } = uringSupport(),
): BackendSelection {
  const text = requested ?? 'node,uring';
  const names = text.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const selected = new Set<BenchBackend>();
  for (const name of names) {
    if (name === 'node' || name === 'uring') selected.add(name);
    else if (name === 'auto') selected.add(support.available ? 'uring' : 'node');
    else throw new Error(`--backend expected node, uring, auto or a list of them, got ${name}`);
  }
  if (selected.size === 0) throw new Error('--backend expected node, uring, auto or a list of them, got nothing');
  return {
    requested: text,
    selected: (['node', 'uring'] as const).filter((backend) => selected.has(backend)),
    uringAvailable: support.available,
    uringReason: support.available ? undefined : (support.reason ?? 'io_uring is unavailable'),
  };
}

/**
 * Why a contender on `backend` does not run in this selection (`undefined` when it runs): not selected, or
 * io_uring unavailable here, said in words so the report shows it next to the contender.
 *
 * @internal
 * @param selection the run's backends
 * @param backend the contender's backend
 * @returns the reason to skip
 */
export function backendSkipped(selection: BackendSelection, backend: BenchBackend): string | undefined {
  if (!selection.selected.includes(backend)) return `not selected (--backend ${selection.requested})`;
  if (backend === 'uring' && !selection.uringAvailable) {
    return `io_uring backend NOT MEASURED: io_uring is unavailable on this machine (${selection.uringReason ?? 'unknown reason'})`;
  }
  return undefined;
}
