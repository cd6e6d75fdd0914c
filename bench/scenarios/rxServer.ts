import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import type { ChildSpec } from '../ChildProcess.js';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';

/** The topologies the scenarios compare, as `serveHandler.js` flags. @internal */
export const SCHEDULERS = [
  { id: 'single', label: 'rxloop singleReactor', args: ['--scheduler', 'single'] },
  { id: 'pooled', label: 'rxloop pooledReactor', args: ['--scheduler', 'pooled'] },
  { id: 'multi', label: 'rxloop multiReactor(2)', args: ['--scheduler', 'multi', '--reactors', '2'] },
] as const;

/** The multi-reactor on threads, beside the one on processes (RESP and HTTP), with `accept` as the processes'. @internal */
export const THREADS = {
  id: 'threads',
  label: 'rxloop multiReactor(2) threads',
  args: ['--scheduler', 'multi', '--reactors', '2', '--threads'],
} as const;

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
