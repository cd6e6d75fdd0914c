import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import type { ChildSpec } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { profiled } from '../profileSummary.js';
import { runTool, which } from '../runTool.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';
import { geometricMean } from '../statistics.js';
import { freePort, withServer } from '../withServer.js';
import { backendSkipped } from '../backends.js';
import { missingHandler, rxContenders, rxServer, SCHEDULERS, THREADS, threadsMissing, URING_SINGLE, type RxTopology } from './rxServer.js';

const HANDLER = 'examples/resp/handler.js';
/** The handler with a keyspace per sub-reactor thread: the floor of the thread topology (not one keyspace). @internal */
export const PER_THREAD_HANDLER = 'bench/handlers/respKeyspacePerThread.js';
/** The threads topology serving {@link PER_THREAD_HANDLER}. @internal */
export const THREADS_FLOOR = {
  ...THREADS,
  id: 'threads-floor',
  label: 'rxloop multiReactor(2) threads, keyspace per thread (floor, not one keyspace)',
} as const satisfies RxTopology;
const TESTS = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET'] as const;
const INSTALL = 'apt-get update && apt-get install -y redis-tools (redis-benchmark); redis-server for the Redis reference';

/** Parses `redis-benchmark -q --csv` output into requests per second by test. */
function parseCsv(text: string): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, '').trim());
    if (cells.length >= 2 && cells[0] !== 'test' && Number.isFinite(Number(cells[1]))) rows[cells[0]!] = Number(cells[1]);
  }
  return rows;
}

/** One table of the scenario: redis-benchmark's load, and where the server and the load run. @internal */
export interface RespVariant {
  readonly id: string;
  readonly pipeline: number;
  readonly clients: number;
  /** `taskset -c` lists for the server and redis-benchmark, or undefined to let the kernel place them. */
  readonly serverCpus?: string;
  readonly loadCpus?: string;
}

/**
 * The scenario's tables: -c 50 at -P 1 and -P 16 (every topology), and 500 connections at -P 16 with the server
 * pinned to one core and redis-benchmark to another (the node and uring single reactors against Redis), where
 * the CPU each server spends per command is the figure the uring targets read.
 *
 * @internal
 * @param cores the machine's cores
 * @returns the variants, in report order
 */
export function respVariants(cores: number): RespVariant[] {
  const pinned = cores >= 2 ? { serverCpus: String(cores - 1), loadCpus: '0' } : {};
  return [
    { id: 'resp-p1', pipeline: 1, clients: 50 },
    { id: 'resp-p16', pipeline: 16, clients: 50 },
    { id: 'resp-p16-c500', pipeline: 16, clients: 500, ...pinned },
  ];
}

function benchmarkArgs(port: number, variant: RespVariant, requests: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-c', String(variant.clients), '-n', String(requests),
    '-P', String(variant.pipeline), '-t', 'ping,set,get', '-q', '--csv'];
}

async function measure(
  spec: ChildSpec,
  label: string,
  variant: RespVariant,
  requests: number,
  redisPort?: number,
): Promise<Record<string, number>> {
  const pinned: ChildSpec = variant.serverCpus === undefined ? spec : { ...spec, cpus: variant.serverCpus };
  return withServer(label, pinned, async (server) => {
    const cpuBefore = server.process.cpuSeconds();
    const run = await runTool('redis-benchmark', benchmarkArgs(server.port, variant, requests), 300_000, variant.loadCpus);
    const serverCpu = server.process.cpuSeconds() - cpuBefore;
    const rows = parseCsv(run.stdout);
    const figures: Record<string, number> = {};
    for (const test of TESTS) {
      if (rows[test] === undefined) throw new Error(`redis-benchmark gave no ${test} figure: ${run.stdout}${run.stderr}`);
      figures[test] = rows[test];
    }
    figures['geomean'] = geometricMean(TESTS.map((test) => figures[test]!));
    figures['loadCpu'] = run.cpuSeconds / run.wallSeconds;
    figures['serverCpu'] = serverCpu / run.wallSeconds;
    // CPU time per request is steadier than throughput on a shared machine: waiting for a core does not count.
    figures['serverUsPerRequest'] = (serverCpu * 1e6) / (requests * TESTS.length);
    return figures;
  }, redisPort);
}

/**
 * Scenario 1: redis-benchmark -c 50 at -P 1 and -P 16 (PING, SET, GET) against rxloop's RESP example on each
 * topology and on the uring backend, the plain node:net baseline, the example's engine on plain node:net, and
 * redis-server; then -c 500 -P 16 with every server pinned to one core (the node and uring single reactors,
 * plain, Redis).
 *
 * @internal
 */
export const respScenario: Scenario = {
  id: 'resp',
  title: 'RESP (redis-benchmark)',
  async run(ctx: BenchContext): Promise<Section[]> {
    const sections: Section[] = [];
    const columns = [
      ...TESTS.map((test) => ({ key: test, label: `${test} req/s`, digits: 0 })),
      { key: 'geomean', label: 'geomean req/s', digits: 0 },
      { key: 'loadCpu', label: 'redis-benchmark CPU (cores)', digits: 2 },
      { key: 'serverCpu', label: 'server CPU (cores)', digits: 2 },
      { key: 'serverUsPerRequest', label: 'server CPU per request (us)', digits: 2 },
    ];
    const noTool = which('redis-benchmark') === undefined;
    const noRedis = which('redis-server') === undefined;
    const noHandler = missingHandler(ctx, HANDLER);
    const noThreads = await threadsMissing();
    for (const variant of respVariants(availableParallelism())) {
      const { id, pipeline, clients } = variant;
      const wide = clients > 50;
      const requests = ctx.quick ? (pipeline === 1 ? 20_000 : 100_000) : (pipeline === 1 ? 30_000 : 200_000);
      const title = `RESP, redis-benchmark -c ${clients} -P ${pipeline}${variant.serverCpus === undefined ? '' : `, server on CPU ${variant.serverCpus}`}`;
      const taskset = (cpus: string | undefined): string => (cpus === undefined ? '' : `taskset -c ${cpus} `);
      const command = `${taskset(variant.loadCpus)}redis-benchmark -h 127.0.0.1 -p PORT -c ${clients} -n ${requests} -P ${pipeline} -t ping,set,get -q --csv`;
      const commands = variant.serverCpus === undefined
        ? [command]
        : [`${taskset(variant.serverCpus)}node dist/bench/servers/serveHandler.js --handler dist/examples/resp/handler.js --scheduler single [--backend uring]`, command];
      if (noTool) {
        ctx.progress(`[${id}] skipped: redis-benchmark is not installed (${INSTALL})`);
        sections.push(section(ctx, 'resp', {
          id, title, commands, primary: 'geomean', higherIsBetter: true, baseline: 'plain', columns,
          skipped: `redis-benchmark is not installed; install it with: ${INSTALL}`,
        }));
        continue;
      }
      const plain: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'plainResp.js') };
      const session: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'plainRespSession.js') };
      const run = (spec: ChildSpec, label: string): Promise<Record<string, number>> => measure(spec, label, variant, requests);
      // 500 connections: the single reactors on each backend against Redis, the figures the uring targets read.
      const topologies: RxTopology[] = wide ? [SCHEDULERS[0], URING_SINGLE] : [...SCHEDULERS, THREADS, URING_SINGLE];
      const contenders: Contender[] = [
        { id: 'plain', label: 'plain node:net (baseline)', run: () => run(plain, 'plainResp') },
        ...(wide ? [] : [{ id: 'session', label: 'RespSession on node:net', run: () => run(session, 'plainRespSession') }]),
        ...rxContenders(ctx, HANDLER, topologies, run, noThreads),
        ...(wide ? [] : rxContenders(ctx, PER_THREAD_HANDLER, [THREADS_FLOOR], run, noThreads)),
        {
          id: 'redis',
          label: 'redis-server',
          ...(noRedis ? { skipped: 'redis-server is not installed (apt-get install -y redis-server)' } : {}),
          run: async () => {
            const port = await freePort();
            const spec: ChildSpec = { command: 'redis-server', args: ['--port', String(port), '--bind', '127.0.0.1',
              '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'] };
            return measure(spec, 'redis-server', variant, requests, port);
          },
        },
      ];
      const results = withRatios(
        await alternate(ctx, id, contenders, (f) =>
          `${TESTS.map((test) => `${test}=${Math.round(f[test]!)}`).join(' ')} bench-cpu=${f['loadCpu']!.toFixed(2)} server=${f['serverUsPerRequest']!.toFixed(2)} us/req`),
        'plain', 'geomean', true,
      );
      sections.push(section(ctx, 'resp', {
        id,
        title,
        commands,
        notes: [
          'The ratio is the geometric mean of the four tests (PING_INLINE, PING_MBULK, SET, GET) over the plain ' +
            'node:net baseline (bench/baselines/plainResp.ts).',
          ...(wide ? [] : ['"RespSession on node:net" runs the example\'s own engine without RxJS: the gap between it and plain is the ' +
            "engine's cost, the gap between it and rxloop singleReactor is the rxloop plumbing's."]),
          ...(wide ? [] : ['"keyspace per thread" is the threads topology with no keyspace service (each sub-reactor thread ' +
            'serves its connections on a keyspace of its own, bench/handlers/respKeyspacePerThread.ts): not a correct ' +
            'server, but the floor of any keyspace design under threads. Between it and single is what the topology ' +
            'costs; between it and the threads row, what the hop to the one keyspace costs.']),
          'The rxloop rows without a backend in their name run on the node backend (libuv); "uring backend" is ' +
            "serve(handler, { backend: 'uring' }), the same handler on io_uring.",
          ...(variant.serverCpus === undefined
            ? ['redis-benchmark is single-threaded and needs most of one core; with 2 cores the server gets the other.']
            : [`Every server runs under taskset -c ${variant.serverCpus} (its threads too: one core) and redis-benchmark ` +
              `under taskset -c ${variant.loadCpus ?? 'any'}, so each server's CPU per command is measured on one core, beside Redis 7 ` +
              'pinned alike.']),
          'Server CPU per request (the server process tree\'s CPU seconds over the requests) does not count time spent ' +
            'waiting for a core, so on this shared machine it is the steadier figure of how much work each server does.',
        ],
        primary: 'geomean',
        cost: 'serverUsPerRequest',
        higherIsBetter: true,
        baseline: 'plain',
        columns,
        contenders: results,
      }));
      if (ctx.profile && noHandler === undefined && !wide) {
        // The baseline is profiled too: on a loaded machine time spent preempted inside a system call is charged
        // to that call's frame, so only the difference between the two profiles is rxloop's.
        await profiled(ctx, `rxloop singleReactor RESP server under redis-benchmark -P ${pipeline}`, (nodeArgs) =>
          measure(rxServer(ctx, HANDLER, SCHEDULERS[0].args, nodeArgs), 'profiled RESP', variant, requests));
        await profiled(ctx, `plain node:net RESP baseline under redis-benchmark -P ${pipeline}`, (nodeArgs) =>
          measure({ ...plain, nodeArgs }, 'profiled plain RESP', variant, requests));
      }
      if (ctx.profile && noHandler === undefined && wide && backendSkipped(ctx.backends, 'uring') === undefined) {
        for (const topology of [SCHEDULERS[0], URING_SINGLE]) {
          await profiled(ctx, `${topology.label} RESP server under redis-benchmark -c ${clients} -P ${pipeline}`, (nodeArgs) =>
            measure(rxServer(ctx, HANDLER, topology.args, nodeArgs), `profiled ${topology.label}`, variant, requests));
        }
      }
    }
    return sections;
  },
};
