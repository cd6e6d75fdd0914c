// rxloop's benchmark harness: `npm run bench` (= npm run build && node dist/bench/run.js).
//   --quick              1 round, short durations, small transfers (a smoke run of everything, about 2 minutes)
//   --only a,b           only these scenarios: resp, http, receive, memory, fairness, offload, pubsub
//   --rounds N           rounds per scenario (default 3; each round runs every contender once, alternating)
//   --seconds N          load duration per measurement (default 5, quick 2)
//   --receive-bytes S    receive-throughput size, e.g. 4G, 256M (default 4G, quick 256M)
//   --flood-bytes S      bytes the flood client tries to push (default 1G, quick 256M)
//   --connections N      idle connections for the memory scenario (default 10000, quick 2000)
//   --backend B          the rxloop contenders' backends: node, uring, auto (uring where io_uring runs) or a list
//                        (default node,uring: both, so the uring targets, which compare them, are measured)
//   --profile            also run the rxloop servers once under node --cpu-prof and report their top frames
//   --out DIR            where to write benchmarks.{md,json,svg} (default docs/); --no-report writes nothing
//   --render             measure nothing: re-render benchmarks.md and .svg from DIR/benchmarks.json
// Scenarios not run keep their previous section from DIR/benchmarks.json, marked with when they were measured.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './BenchContext.js';
import { machineInfo } from './machineInfo.js';
import { ratioChart } from './report/ratioChart.js';
import { renderMarkdown } from './report/renderMarkdown.js';
import type { Scenario } from './Scenario.js';
import type { BenchDocument, Section, TargetResult } from './Section.js';
import { evaluateTargets } from './targets.js';
import { selectBenchBackends } from './backends.js';
import { fairnessScenario } from './scenarios/fairnessScenario.js';
import { httpScenario } from './scenarios/httpScenario.js';
import { memoryScenario } from './scenarios/memoryScenario.js';
import { offloadScenario } from './scenarios/offloadScenario.js';
import { pubsubScenario } from './scenarios/pubsubScenario.js';
import { receiveScenario } from './scenarios/receiveScenario.js';
import { respScenario } from './scenarios/respScenario.js';

const SCENARIOS: readonly Scenario[] = [respScenario, httpScenario, receiveScenario, memoryScenario, fairnessScenario, offloadScenario, pubsubScenario];

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function size(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)([kmg]?)i?b?$/i.exec(text.trim());
  if (match === null) throw new Error(`expected a size such as 4G or 256M, got ${text}`);
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(match[1]) * unit);
}

function count(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} expected a positive integer, got ${text}`);
  return n;
}

function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${from}`);
}

function readPrevious(file: string): BenchDocument | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BenchDocument;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = option('only')?.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.id === name)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  const benchDir = dirname(fileURLToPath(import.meta.url));
  const root = findRoot(benchDir);
  const outDir = resolve(option('out') ?? join(root, 'docs'));
  if (process.argv.includes('--render')) {
    render(outDir);
    return;
  }
  const scratchDir = join(tmpdir(), 'rxloop-bench');
  mkdirSync(scratchDir, { recursive: true });
  const started = performance.now();
  const profiles: BenchDocument['profiles'] = [];
  const ctx: BenchContext = {
    quick,
    rounds: count(option('rounds'), quick ? 1 : 3, 'rounds'),
    seconds: count(option('seconds'), quick ? 2 : 5, 'seconds'),
    receiveBytes: size(option('receive-bytes'), quick ? 256 * 2 ** 20 : 4 * 2 ** 30),
    floodBytes: size(option('flood-bytes'), quick ? 256 * 2 ** 20 : 2 ** 30),
    idleConnections: count(option('connections'), quick ? 2000 : 10_000, 'connections'),
    backends: selectBenchBackends(option('backend')),
    profile: process.argv.includes('--profile'),
    benchDir,
    distRoot: dirname(benchDir),
    scratchDir,
    progress: (line) => {
      const elapsed = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
      process.stdout.write(`${elapsed}s ${line}\n`);
    },
    addProfile: (title, frames) => profiles.push({ title, frames, measuredAt: new Date().toISOString() }),
  };

  const machine = machineInfo();
  ctx.progress(`rxloop bench (${quick ? 'quick' : 'full'}): ${ctx.rounds} round(s), ${ctx.seconds} s per load, ` +
    `receive ${ctx.receiveBytes} B, flood ${ctx.floodBytes} B, ${ctx.idleConnections} idle connections`);
  ctx.progress(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, load ${machine.loadAverage}; ` +
    `Node ${machine.node}, ${machine.os}`);
  ctx.progress(`backends: ${ctx.backends.selected.join(', ')} (--backend ${ctx.backends.requested})`);
  if (!ctx.backends.uringAvailable) {
    ctx.progress('!!!!! io_uring is UNAVAILABLE on this machine: every uring contender is skipped and its targets are ' +
      `NOT MEASURED (${ctx.backends.uringReason ?? 'unknown reason'}) !!!!!`);
  }
  if (machine.cores <= 2) {
    ctx.progress('note: the load generators share these cores with the servers under test; read ratios, not absolutes');
  }

  const sections: Section[] = [];
  const ran = new Set<string>();
  for (const scenario of SCENARIOS) {
    if (only !== undefined && !only.includes(scenario.id)) continue;
    ctx.progress(`== ${scenario.title} ==`);
    ran.add(scenario.id);
    try {
      sections.push(...(await scenario.run(ctx)));
    } catch (error) {
      ctx.progress(`[${scenario.id}] FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }

  if (process.argv.includes('--no-report')) {
    printTargets(ctx, evaluateTargets(sections));
    return;
  }
  const jsonFile = join(outDir, 'benchmarks.json');
  const previous = readPrevious(jsonFile);
  const kept = (previous?.sections ?? []).filter((s) => !ran.has(s.scenario));
  const order = (s: Section): number => SCENARIOS.findIndex((scenario) => scenario.id === s.scenario);
  const all = [...kept, ...sections].sort((a, b) => order(a) - order(b));
  const doc: BenchDocument = {
    generatedAt: new Date().toISOString(),
    command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine },
    sections: all,
    targets: evaluateTargets(all),
    profiles: ctx.profile ? profiles : (previous?.profiles ?? []),
    backends: {
      requested: ctx.backends.requested,
      selected: ctx.backends.selected,
      uringAvailable: ctx.backends.uringAvailable,
      ...(ctx.backends.uringReason !== undefined ? { uringReason: ctx.backends.uringReason } : {}),
    },
  };
  printTargets(ctx, doc.targets);
  write(outDir, doc);
  ctx.progress(`wrote ${join(outDir, 'benchmarks.md')}, benchmarks.json and benchmarks.svg ` +
    `(${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
}

function printTargets(ctx: BenchContext, targets: readonly TargetResult[]): void {
  ctx.progress('== Targets ==');
  for (const t of targets) {
    const value = Number.isFinite(t.value) ? `${t.value.toFixed(2)}${t.unit === 'x' ? 'x' : ` ${t.unit}`}` : 'n/a';
    const cost = t.costRatio === undefined ? '' : ` (CPU-cost ratio ${t.costRatio.toFixed(2)}x)`;
    const missing = t.missing === undefined ? '' : ` (${t.missing})`;
    ctx.progress(`${t.pass === undefined ? 'NOT MEASURED' : t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${value}${cost}${missing}`);
  }
}

function write(outDir: string, doc: BenchDocument): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'benchmarks.json'), `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(join(outDir, 'benchmarks.svg'), ratioChart(doc.sections));
  writeFileSync(join(outDir, 'benchmarks.md'), renderMarkdown(doc));
}

/** `--render`: the report again from the JSON, with the targets evaluated by this version of the bench. */
function render(outDir: string): void {
  const previous = readPrevious(join(outDir, 'benchmarks.json'));
  if (previous === undefined) throw new Error(`--render needs ${join(outDir, 'benchmarks.json')}`);
  write(outDir, { ...previous, targets: evaluateTargets(previous.sections) });
  process.stdout.write(`re-rendered ${join(outDir, 'benchmarks.md')} and benchmarks.svg\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
