import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BenchContext } from './BenchContext.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * The top frames of a V8 `.cpuprofile` by self time, as report lines: the 15 hottest functions and the 8
 * hottest files, in percent of the samples that were not idle.
 *
 * @internal
 * @param file the profile written by `node --cpu-prof`
 * @returns lines for the report
 */
export function summarizeProfile(file: string): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += hits;
    const where = url === '' ? '' : shorten(url);
    const name = `${functionName || '(anonymous)'}${where === '' ? '' : ` ${where}:${lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const fileKey = where === '' ? functionName : where;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + hits);
  }
  const top = (map: Map<string, number>, count: number): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, hits]) => `${((hits / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
  // What the library itself costs, next to what Node and the handler cost.
  let library = 0;
  for (const [file, hits] of byFile) {
    if (/^(src|operators|schedulers)\//.test(file) || file.startsWith('rxjs/')) library += hits;
  }
  return ['Top functions (self time, % of non-idle samples):', ...top(byFunction, 15),
    'Top files (self time):', ...top(byFile, 8),
    `rxloop (src/, operators/, schedulers/) + rxjs, self time: ${((library / busy) * 100).toFixed(1)}%`];
}

/** Keeps the part of a URL that says where code lives: node internals, the package, or our tree. */
function shorten(url: string): string {
  if (url.startsWith('node:')) return url;
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist !== -1) return url.slice(dist + '/dist/'.length);
  const benchDist = url.lastIndexOf('-dist/');
  return benchDist !== -1 ? url.slice(benchDist + '-dist/'.length) : basename(url);
}

let runs = 0;

/**
 * Runs one measurement with the server under `node --cpu-prof` and keeps the summary of the largest profile
 * (the busiest process) for the report.
 *
 * @internal
 * @param ctx the harness
 * @param title what was profiled
 * @param measure runs the measurement with the given extra Node flags for the server
 */
export async function profiled(
  ctx: BenchContext,
  title: string,
  measure: (nodeArgs: string[]) => Promise<unknown>,
): Promise<void> {
  const dir = join(ctx.scratchDir, `profile-${process.pid}-${++runs}`);
  mkdirSync(dir, { recursive: true });
  ctx.progress(`[profile] ${title}`);
  try {
    await measure(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => join(dir, name))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (files[0] === undefined) throw new Error('no profile was written');
    const lines = summarizeProfile(files[0]);
    for (const line of lines) ctx.progress(`  ${line}`);
    ctx.addProfile(title, [...lines, `(profile: ${files[0]})`]);
  } catch (error) {
    ctx.progress(`[profile] ${title} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
