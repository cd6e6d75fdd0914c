// The bench's io_uring contenders (issue #14): backend selection, the skip reasons the report shows, the
// targets read from one run, the report's loud line where io_uring cannot run, and server pinning. Nothing
// here measures or asserts a timing; the figures are stated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../../bench/BenchContext.js';
import { ChildProcess } from '../../bench/ChildProcess.js';
import { backendSkipped, selectBenchBackends } from '../../bench/backends.js';
import { renderMarkdown } from '../../bench/report/renderMarkdown.js';
import type { BenchDocument, ContenderResult, Section } from '../../bench/Section.js';
import { RECEIVE_MODES } from '../../bench/scenarios/receiveScenario.js';
import { PER_THREAD_HANDLER, respVariants, THREADS_FLOOR } from '../../bench/scenarios/respScenario.js';
import { rxContenders, SCHEDULERS, THREADS, URING_SINGLE } from '../../bench/scenarios/rxServer.js';
import { evaluateTargets, TARGETS } from '../../bench/targets.js';

const dist = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
interface Support { readonly available: boolean; readonly reason: string | undefined }
const available: Support = { available: true, reason: undefined };
const unavailable: Support = { available: false, reason: 'the rxloop addon is not built' };

function ctxWith(backend: string | undefined, support = available): BenchContext {
  return {
    quick: true, rounds: 1, seconds: 1, receiveBytes: 1, floodBytes: 1, idleConnections: 1, profile: false,
    backends: selectBenchBackends(backend, support),
    benchDir: join(dist, 'bench'), distRoot: dist, scratchDir: dist,
    progress: () => undefined, addProfile: () => undefined,
  };
}

function result(id: string, medians: Record<string, number>, skipped?: string): ContenderResult {
  return { id, label: id, medians, samples: [medians], ...(skipped !== undefined ? { skipped } : {}) };
}

function sectionOf(id: string, contenders: ContenderResult[]): Section {
  return {
    id, scenario: id.split('-')[0]!, title: id, mode: 'quick', measuredAt: '2025-01-01T00:00:00.000Z', rounds: 1,
    commands: [], notes: [], primary: 'x', higherIsBetter: true, baseline: contenders[0]!.id, columns: [], contenders,
  };
}

test('--backend: both by default, one by name, auto follows io_uring support, a list, and nothing else', () => {
  assert.equal(selectBenchBackends(undefined, available).selected, ['node', 'uring']);
  assert.equal(selectBenchBackends('node', available).selected, ['node']);
  assert.equal(selectBenchBackends('uring', available).selected, ['uring']);
  assert.equal(selectBenchBackends('auto', available).selected, ['uring']);
  assert.equal(selectBenchBackends('auto', unavailable).selected, ['node']);
  assert.equal(selectBenchBackends('uring, node', available).selected, ['node', 'uring']);
  assert.throws(() => selectBenchBackends('epoll', available), /--backend expected node, uring, auto .*got epoll/);
  assert.throws(() => selectBenchBackends(',', available), /got nothing/);
});

test('a uring contender is skipped by name where io_uring is unavailable or not selected; node ones run', () => {
  const missing = selectBenchBackends(undefined, unavailable);
  assert.match(backendSkipped(missing, 'uring')!, /io_uring backend NOT MEASURED: .*the rxloop addon is not built/);
  assert.is(backendSkipped(missing, 'node'), undefined);
  const nodeOnly = selectBenchBackends('node', available);
  assert.is(backendSkipped(nodeOnly, 'uring'), 'not selected (--backend node)');
  assert.is(backendSkipped(selectBenchBackends('uring', available), 'node'), 'not selected (--backend uring)');
  assert.is(backendSkipped(selectBenchBackends(undefined, available), 'uring'), undefined);
});

test('rxContenders: the uring single reactor beside the node topologies, each with its own skip reason', () => {
  const run = (): Promise<Record<string, number>> => Promise.resolve({});
  const handler = 'examples/resp/handler.js';
  const topologies = [...SCHEDULERS, THREADS, URING_SINGLE];
  const both = rxContenders(ctxWith(undefined), handler, topologies, run, 'no threads here');
  assert.equal(both.map((c) => c.id), ['single', 'pooled', 'multi', 'threads', 'single-uring']);
  assert.equal(both.map((c) => c.skipped), [undefined, undefined, undefined, 'no threads here', undefined]);
  assert.ok(URING_SINGLE.args.join(' ').includes('--backend uring'));
  const missing = rxContenders(ctxWith(undefined, unavailable), handler, topologies, run);
  assert.match(missing.find((c) => c.id === 'single-uring')!.skipped!, /io_uring backend NOT MEASURED/);
  assert.is(missing.find((c) => c.id === 'single')!.skipped, undefined);
  const absent = rxContenders(ctxWith(undefined), 'examples/none/handler.js', [URING_SINGLE], run);
  assert.match(absent[0]!.skipped!, /examples\/none\/handler\.ts is not written or not built/);
});

test('RESP threads floor: the threads topology on the RESP handler without its keyspace service', async () => {
  assert.equal(THREADS_FLOOR.args, THREADS.args);
  assert.match(THREADS_FLOOR.label, /keyspace per thread .*not one keyspace/);
  const floor = (await import(join(dist, PER_THREAD_HANDLER))) as Record<string, unknown>;
  const real = (await import(join(dist, 'examples/resp/handler.js'))) as Record<string, unknown>;
  // The same handler function; with no service export multiReactor starts no keyspace service for it.
  assert.is(floor['default'], real['default']);
  assert.ok(real['service'] instanceof URL);
  assert.is(floor['service'], undefined);
  const run = (): Promise<Record<string, number>> => Promise.resolve({});
  const [contender] = rxContenders(ctxWith(undefined), PER_THREAD_HANDLER, [THREADS_FLOOR], run, 'no threads here');
  assert.equal([contender!.id, contender!.skipped], ['threads-floor', 'no threads here']);
});

test('RESP variants: 500 connections at -P 16 pin the server to one core and redis-benchmark to another', () => {
  const variants = respVariants(2);
  assert.equal(variants.map((v) => v.id), ['resp-p1', 'resp-p16', 'resp-p16-c500']);
  const wide = variants[2]!;
  assert.equal([wide.pipeline, wide.clients, wide.serverCpus, wide.loadCpus], [16, 500, '1', '0']);
  assert.is(variants[0]!.serverCpus, undefined);
  assert.is(respVariants(8)[2]!.serverCpus, '7');
  assert.is(respVariants(1)[2]!.serverCpus, undefined);
  // The uring receive rows connect on the uring backend; the baselines have none.
  assert.equal(RECEIVE_MODES.filter((m) => 'backend' in m && m.backend === 'uring').map((m) => m.id),
    ['rx-proactor-uring', 'rx-data-uring']);
});

test('the uring targets read their ratios from one run, met and missed alike', () => {
  const names = TARGETS.map((t) => t.name);
  for (const part of ['1/1.3 of the node backend', 'Redis 7', 'HTTP uring singleReactor >= 3x node:http',
    'uring proactor >= 1.3x plain onread', 'idle memory uring <= 0.5x plain']) {
    assert.ok(names.some((name) => name.includes(part)), part);
  }
  const sections = [
    sectionOf('resp-p16-c500', [result('plain', { serverUsPerRequest: 2 }), result('single', { serverUsPerRequest: 2 }),
      result('single-uring', { serverUsPerRequest: 1.4 }), result('redis', { serverUsPerRequest: 1.2 })]),
    sectionOf('http', [result('plain', { rps: 100, serverUsPerRequest: 10 }), result('node-http', { rps: 50, serverUsPerRequest: 20 }),
      result('single-uring', { rps: 160, serverUsPerRequest: 5 })]),
    sectionOf('receive', [result('plain-onread', { mibPerSecond: 1000, cpuPerGiB: 1 }),
      result('rx-proactor-uring', { mibPerSecond: 1200, cpuPerGiB: 0.8 })]),
    sectionOf('memory-idle', [result('plain', { rssPerConnection: 2000 }), result('rx-listen-uring', { rssPerConnection: 900 })]),
  ];
  const byName = new Map(evaluateTargets(sections).map((t) => [t.name, t]));
  const get = (part: string) => [...byName.values()].find((t) => t.name.includes(part))!;
  const node = get('1/1.3 of the node backend');
  assert.is(node.value, 0.7);
  assert.is(node.pass, true);
  const redis = get('Redis 7');
  assert.ok(Math.abs(redis.value - 1.4 / 1.2) < 1e-9);
  assert.is(redis.pass, false);
  const http = get('HTTP uring singleReactor >= 3x node:http');
  assert.is(http.value, 3.2);
  assert.is(http.pass, true);
  assert.is(http.costRatio, 4);
  const receive = get('uring proactor >= 1.3x plain onread');
  assert.is(receive.value, 1.2);
  assert.is(receive.pass, false);
  assert.is(receive.costRatio, 1.25);
  const memory = get('idle memory uring <= 0.5x plain');
  assert.is(memory.value, 0.45);
  assert.is(memory.pass, true);
});

test('a missed target carries why it misses (from targets.ts) into the report; a met one does not', () => {
  const http = (uringRps: number): Section[] => [sectionOf('http', [result('plain', { rps: 100 }), result('node-http', { rps: 50 }),
    result('single-uring', { rps: uringRps })])];
  const spec = TARGETS.find((t) => t.name.startsWith('HTTP uring'))!;
  assert.ok(spec.whyMissed !== undefined && spec.whyMissed.length > 0);
  const missed = evaluateTargets(http(120)).find((t) => t.name === spec.name)!;
  assert.is(missed.pass, false);
  assert.is(missed.whyMissed, spec.whyMissed);
  const met = evaluateTargets(http(200)).find((t) => t.name === spec.name)!;
  assert.is(met.pass, true);
  assert.is(met.whyMissed, undefined);
  const doc = (sections: Section[]): BenchDocument => ({
    generatedAt: '2025-01-01T00:00:00.000Z', command: 'x', machine: {}, sections, targets: evaluateTargets(sections), profiles: [],
  });
  const markdown = renderMarkdown(doc(http(120)));
  assert.ok(markdown.includes(`- **${spec.name}**: ${spec.whyMissed!}`));
  assert.not.ok(renderMarkdown(doc(http(200))).includes('Why the missed targets miss'));
});

test('where io_uring cannot run, the report says so at the top and each uring target says why it has no figure', () => {
  const reason = 'io_uring backend NOT MEASURED: io_uring is unavailable on this machine (no addon)';
  const sections = [
    sectionOf('http', [result('plain', { rps: 100 }), result('node-http', { rps: 50 }), result('single-uring', {}, reason)]),
  ];
  const targets = evaluateTargets(sections);
  const http = targets.find((t) => t.name.startsWith('HTTP uring'))!;
  assert.is(http.pass, undefined);
  assert.is(http.missing, `single-uring: ${reason}`);
  assert.is(targets.find((t) => t.name.startsWith('RESP uring'))!.missing, 'section resp-p16-c500 was not measured');
  const doc: BenchDocument = {
    generatedAt: '2025-01-01T00:00:00.000Z', command: 'node dist/bench/run.js', machine: { cores: 2 }, sections, targets,
    profiles: [], backends: { requested: 'node,uring', selected: ['node', 'uring'], uringAvailable: false, uringReason: 'no addon' },
  };
  const markdown = renderMarkdown(doc);
  assert.match(markdown, /> \*\*io_uring backend NOT MEASURED: io_uring is unavailable on this machine \(no addon\)\.\*\*/);
  assert.match(markdown, /HTTP uring singleReactor >= 3x node:http \| n\/a \| \*\*NOT MEASURED\*\*: single-uring: io_uring backend NOT MEASURED/);
  assert.match(markdown, /- \*\*single-uring skipped:\*\* io_uring backend NOT MEASURED/);
  const measured = renderMarkdown({ ...doc, backends: { ...doc.backends!, uringAvailable: true } });
  assert.not.match(measured, /> \*\*io_uring backend NOT MEASURED/);
});

test('a pinned bench child runs on the CPUs it was given (taskset execs it: the pid is the server)', async () => {
  const child = ChildProcess.start('pinned', { script: join(dist, 'bench', 'servers', 'idleServer.js'), args: ['--mode', 'plain'], cpus: '0' });
  try {
    await child.ready();
    const status = readFileSync(`/proc/${child.pid}/status`, 'latin1');
    assert.is(/Cpus_allowed_list:\s+(\S+)/.exec(status)?.[1], '0');
    assert.match(readFileSync(`/proc/${child.pid}/cmdline`, 'latin1'), /idleServer\.js/);
  } finally {
    await child.stop();
  }
});

test('rxloop bench --backend refuses a name that is not a backend, before measuring anything', async () => {
  const child = spawn(process.execPath, [join(dist, 'bin', 'rxloop.js'), 'bench', '--backend', 'epoll', '--no-report'], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  assert.is(code, 1);
  assert.match(stderr, /--backend expected node, uring, auto or a list of them, got epoll/);
});

test.run();
