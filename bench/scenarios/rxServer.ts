import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import type { ChildSpec } from '../ChildProcess.js';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import type { Contender } from '../alternate.js';
import { backendSkipped, type BenchBackend } from '../backends.js';

/** An rxloop server a scenario measures: a topology on a backend, as `serveHandler.js` flags. @internal */
export interface RxTopology {
  readonly id: string;
  readonly label: string;
  readonly args: readonly string[];
  readonly backend: BenchBackend;
}

/** The topologies the scenarios compare, on the node backend, as `serveHandler.js` flags. @internal */
export const SCHEDULERS = [
  { id: 'single', label: 'rxloop singleReactor', args: ['--scheduler', 'single'], backend: 'node' },
  { id: 'pooled', label: 'rxloop pooledReactor', args: ['--scheduler', 'pooled'], backend: 'node' },
  { id: 'multi', label: 'rxloop multiReactor(2)', args: ['--scheduler', 'multi', '--reactors', '2'], backend: 'node' },
] as const satisfies readonly RxTopology[];

/** The multi-reactor on threads, beside the one on processes (RESP and HTTP), with `accept` as the processes'. @internal */
export const THREADS = {
  id: 'threads',
  label: 'rxloop multiReactor(2) threads',
  args: ['--scheduler', 'multi', '--reactors', '2', '--threads'],
  backend: 'node',
} as const satisfies RxTopology;

/** The single reactor on the io_uring backend (`serve(handler, { backend: 'uring' })`). @internal */
export const URING_SINGLE = {
  id: 'single-uring',
  label: 'rxloop singleReactor, uring backend',
  args: ['--scheduler', 'single', '--backend', 'uring'],
  backend: 'uring',
} as const satisfies RxTopology;

/**
 * The contenders of rxloop servers serving one handler, each skipped with its reason where its backend is not
 * selected or cannot run here, where the handler is not built, or (the threads topology) where this Node.js
 * cannot move sockets to threads.
 *
 * @internal
 * @param ctx the harness
 * @param handler the handler module, relative to the compiled tree's root
 * @param topologies the servers
 * @param run one measurement of a server, from its spec and label
 * @param noThreads why the threads topology cannot run (from {@link threadsMissing})
 * @returns one contender per topology
 */
export function rxContenders(
  ctx: BenchContext,
  handler: string,
  topologies: readonly RxTopology[],
  run: (spec: ChildSpec, label: string) => Promise<Record<string, number>>,
  noThreads?: string,
): Contender[] {
  const noHandler = missingHandler(ctx, handler);
  return topologies.map((topology): Contender => {
    const skipped = backendSkipped(ctx.backends, topology.backend) ?? noHandler ??
      (topology.args.includes('--threads') ? noThreads : undefined);
    return {
      id: topology.id,
      label: topology.label,
      ...(skipped !== undefined ? { skipped } : {}),
      run: () => run(rxServer(ctx, handler, topology.args), topology.label),
    };
  });
}

/**
 * Why this Node.js cannot run {@link THREADS} (acceptor mode: sockets that move to threads), or `undefined`.
 *
 * @internal
 * @returns the reason to skip
 */
export async function threadsMissing(): Promise<string | undefined> {
  if ((await nodeFeatures()).transferableSockets) return undefined;
  return `Node.js ${process.version} cannot move sockets to threads (24.20 on): run the bench with PATH=$(.ci/fetch-node 24.22.3):$PATH`;
}

/**
 * The process spec of an rxloop server serving `handler` (a path under the compiled tree) on a topology.
 *
 * @internal
 * @param ctx the harness
 * @param handler the handler module, relative to the compiled tree's root
 * @param schedulerArgs the topology flags
 * @param nodeArgs extra Node flags
 * @returns the spec
 */
export function rxServer(
  ctx: BenchContext,
  handler: string,
  schedulerArgs: readonly string[],
  nodeArgs: readonly string[] = [],
): ChildSpec {
  return {
    script: join(ctx.benchDir, 'servers', 'serveHandler.js'),
    args: ['--handler', join(ctx.distRoot, handler), ...schedulerArgs],
    nodeArgs,
  };
}

/**
 * Why a handler module cannot be served yet (`undefined` when it is built).
 *
 * @internal
 * @param ctx the harness
 * @param handler the handler module, relative to the compiled tree's root
 * @returns the reason to skip, naming the source file
 */
export function missingHandler(ctx: BenchContext, handler: string): string | undefined {
  return existsSync(join(ctx.distRoot, handler))
    ? undefined
    : `${handler.replace(/\.js$/, '.ts')} is not written or not built yet (npm run build)`;
}
