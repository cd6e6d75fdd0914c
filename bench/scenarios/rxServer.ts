import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import type { ChildSpec } from '../ChildProcess.js';

/** The topologies the scenarios compare, as `serveHandler.js` flags. @internal */
export const SCHEDULERS = [
  { id: 'single', label: 'rxloop singleReactor', args: ['--scheduler', 'single'] },
  { id: 'pooled', label: 'rxloop pooledReactor', args: ['--scheduler', 'pooled'] },
  { id: 'multi', label: 'rxloop multiReactor(2)', args: ['--scheduler', 'multi', '--reactors', '2'] },
] as const;

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
