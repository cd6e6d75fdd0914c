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
import { missingHandler, rxServer, SCHEDULERS, THREADS, threadsMissing } from './rxServer.js';

const HANDLER = 'examples/resp/handler.js';
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

function benchmarkArgs(port: number, pipeline: number, requests: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', String(requests), '-P', String(pipeline),
    '-t', 'ping,set,get', '-q', '--csv'];
}

async function measure(
  spec: ChildSpec,
  label: string,
  pipeline: number,
  requests: number,
  redisPort?: number,
): Promise<Record<string, number>> {
  return withServer(label, spec, async (server) => {
    const cpuBefore = server.process.cpuSeconds();
    const run = await runTool('redis-benchmark', benchmarkArgs(server.port, pipeline, requests), 300_000);
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
 * topology, the plain node:net baseline, the example's engine on plain node:net, and redis-server.
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
    for (const pipeline of [1, 16]) {
      const requests = ctx.quick ? (pipeline === 1 ? 20_000 : 100_000) : (pipeline === 1 ? 30_000 : 200_000);
      const id = `resp-p${pipeline}`;
      const title = `RESP, redis-benchmark -c 50 -P ${pipeline}`;
      const command = `redis-benchmark -h 127.0.0.1 -p PORT -c 50 -n ${requests} -P ${pipeline} -t ping,set,get -q --csv`;
      if (noTool) {
        ctx.progress(`[${id}] skipped: redis-benchmark is not installed (${INSTALL})`);
        sections.push(section(ctx, 'resp', {
          id, title, commands: [command], primary: 'geomean', higherIsBetter: true, baseline: 'plain', columns,
          skipped: `redis-benchmark is not installed; install it with: ${INSTALL}`,
        }));
        continue;
      }
      const plain: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'plainResp.js') };
      const session: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'plainRespSession.js') };
      const contenders: Contender[] = [
        { id: 'plain', label: 'plain node:net (baseline)', run: () => measure(plain, 'plainResp', pipeline, requests) },
        { id: 'session', label: 'RespSession on node:net', run: () => measure(session, 'plainRespSession', pipeline, requests) },
        ...[...SCHEDULERS, THREADS].map((scheduler): Contender => ({
          id: scheduler.id,
          label: scheduler.label,
          ...((noHandler ?? (scheduler.id === 'threads' ? noThreads : undefined)) !== undefined ? { skipped: (noHandler ?? noThreads)! } : {}),
          run: () => measure(rxServer(ctx, HANDLER, scheduler.args), scheduler.label, pipeline, requests),
        })),
        {
          id: 'redis',
          label: 'redis-server',
          ...(noRedis ? { skipped: 'redis-server is not installed (apt-get install -y redis-server)' } : {}),
          run: async () => {
            const port = await freePort();
            const spec: ChildSpec = { command: 'redis-server', args: ['--port', String(port), '--bind', '127.0.0.1',
              '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'] };
            return measure(spec, 'redis-server', pipeline, requests, port);
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
        commands: [command],
        notes: [
          'The ratio is the geometric mean of the four tests (PING_INLINE, PING_MBULK, SET, GET) over the plain ' +
            'node:net baseline (bench/baselines/plainResp.ts).',
          '"RespSession on node:net" runs the example\'s own engine without RxJS: the gap between it and plain is the ' +
            "engine's cost, the gap between it and rxloop singleReactor is the rxloop plumbing's.",
          'redis-benchmark is single-threaded and needs most of one core; with 2 cores the server gets the other.',
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
      if (ctx.profile && noHandler === undefined) {
        // The baseline is profiled too: on a loaded machine time spent preempted inside a system call is charged
        // to that call's frame, so only the difference between the two profiles is rxloop's.
        await profiled(ctx, `rxloop singleReactor RESP server under redis-benchmark -P ${pipeline}`, (nodeArgs) =>
          measure(rxServer(ctx, HANDLER, SCHEDULERS[0].args, nodeArgs), 'profiled RESP', pipeline, requests));
        await profiled(ctx, `plain node:net RESP baseline under redis-benchmark -P ${pipeline}`, (nodeArgs) =>
          measure({ ...plain, nodeArgs }, 'profiled plain RESP', pipeline, requests));
      }
    }
    return sections;
  },
};
