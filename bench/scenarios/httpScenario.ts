import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import type { ChildSpec } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { profiled } from '../profileSummary.js';
import { runTool, which } from '../runTool.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';
import { withServer } from '../withServer.js';
import { backendSkipped } from '../backends.js';
import { missingHandler, rxContenders, rxServer, SCHEDULERS, THREADS, threadsMissing, URING_SINGLE } from './rxServer.js';

const HANDLER = 'examples/http/handler.js';

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

function wrkArgs(ctx: BenchContext, port: number): string[] {
  return ['-t1', '-c50', `-d${ctx.seconds}s`, `http://127.0.0.1:${port}/`];
}

async function measure(ctx: BenchContext, spec: ChildSpec, label: string): Promise<Record<string, number>> {
  return withServer(label, spec, async (server) => {
    const cpuBefore = server.process.cpuSeconds();
    const run = await runTool('wrk', wrkArgs(ctx, server.port), (ctx.seconds + 30) * 1000);
    const serverCpu = server.process.cpuSeconds() - cpuBefore;
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
    const latency = /Latency\s+([\d.]+)(us|ms|s|m)/.exec(run.stdout);
    if (rps === null) throw new Error(`wrk gave no Requests/sec: ${run.stdout}${run.stderr}`);
    // A server that answers wrongly or drops connections must not pass as fast: count what wrk saw.
    let errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(run.stdout)?.[1] ?? 0);
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(run.stdout);
    if (socket !== null) errors += socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
    const requests = Number(/(\d+) requests in/.exec(run.stdout)?.[1] ?? NaN);
    return {
      serverUsPerRequest: (serverCpu * 1e6) / requests,
      errors,
      rps: Number(rps[1]),
      latencyMs: latency === null ? NaN : toMs(latency[1]!, latency[2]!),
      loadCpu: run.cpuSeconds / run.wallSeconds,
      serverCpu: serverCpu / run.wallSeconds,
    };
  });
}

/**
 * Scenario 2: wrk -t1 -c50 against rxloop's HTTP example on each topology and on the uring backend, the plain
 * node:net baseline and node:http, all answering "hello" to `GET /`.
 *
 * @internal
 */
export const httpScenario: Scenario = {
  id: 'http',
  title: 'HTTP (wrk)',
  async run(ctx: BenchContext): Promise<Section[]> {
    const command = `wrk -t1 -c50 -d${ctx.seconds}s http://127.0.0.1:PORT/`;
    const columns = [
      { key: 'rps', label: 'req/s', digits: 0 },
      { key: 'latencyMs', label: 'avg latency (ms)', digits: 2 },
      { key: 'loadCpu', label: 'wrk CPU (cores)', digits: 2 },
      { key: 'serverCpu', label: 'server CPU (cores)', digits: 2 },
      { key: 'serverUsPerRequest', label: 'server CPU per request (us)', digits: 2 },
      { key: 'errors', label: 'wrk errors', digits: 0 },
    ];
    if (which('wrk') === undefined) {
      const install = 'apt-get update && apt-get install -y wrk';
      ctx.progress(`[http] skipped: wrk is not installed (${install})`);
      return [section(ctx, 'http', {
        id: 'http', title: 'HTTP, wrk -t1 -c50', commands: [command], primary: 'rps', higherIsBetter: true,
        baseline: 'plain', columns, skipped: `wrk is not installed; install it with: ${install}`,
      })];
    }
    const noHandler = missingHandler(ctx, HANDLER);
    const noThreads = await threadsMissing();
    const plain: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'plainHttp.js') };
    const nodeHttp: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'nodeHttp.js') };
    const contenders: Contender[] = [
      { id: 'plain', label: 'plain node:net (baseline)', run: () => measure(ctx, plain, 'plainHttp') },
      { id: 'node-http', label: 'node:http', run: () => measure(ctx, nodeHttp, 'nodeHttp') },
      ...rxContenders(ctx, HANDLER, [...SCHEDULERS, THREADS, URING_SINGLE], (spec, label) => measure(ctx, spec, label), noThreads),
    ];
    const results = withRatios(
      await alternate(ctx, 'http', contenders, (f) =>
        `${Math.round(f['rps']!)} req/s wrk-cpu=${f['loadCpu']!.toFixed(2)} server-cpu=${f['serverCpu']!.toFixed(2)} server=${f['serverUsPerRequest']!.toFixed(1)} us/req${f['errors']! > 0 ? ` ERRORS=${f['errors']!}` : ''}`),
      'plain', 'rps', true,
    );
    if (ctx.profile && noHandler === undefined) {
      await profiled(ctx, 'rxloop singleReactor HTTP server under wrk', (nodeArgs) =>
        measure(ctx, rxServer(ctx, HANDLER, SCHEDULERS[0].args, nodeArgs), 'profiled HTTP'));
      await profiled(ctx, 'plain node:net HTTP baseline under wrk', (nodeArgs) =>
        measure(ctx, { ...plain, nodeArgs }, 'profiled plain HTTP'));
      if (backendSkipped(ctx.backends, 'uring') === undefined) {
        await profiled(ctx, 'rxloop singleReactor HTTP server on the uring backend under wrk', (nodeArgs) =>
          measure(ctx, rxServer(ctx, HANDLER, URING_SINGLE.args, nodeArgs), 'profiled uring HTTP'));
        await profiled(ctx, 'node:http under wrk', (nodeArgs) => measure(ctx, { ...nodeHttp, nodeArgs }, 'profiled node:http'));
      }
    }
    return [section(ctx, 'http', {
      id: 'http',
      title: 'HTTP, wrk -t1 -c50 (GET / answering "hello")',
      commands: [command],
      notes: [
        'One wrk thread: on 2 cores wrk takes one and the server the other; a server that needs less CPU than wrk ' +
          'can give it shows wrk CPU near 1.0 and its own below 1.0 (then the load generator is the limit).',
        'Server CPU per request does not count time spent waiting for a core: on this shared machine it is the ' +
          'steadier figure of how much work each server does per request.',
        'The rxloop rows without a backend in their name run on the node backend (libuv); "uring backend" is ' +
          "serve(handler, { backend: 'uring' }), the same handler on io_uring.",
      ],
      primary: 'rps',
      cost: 'serverUsPerRequest',
      higherIsBetter: true,
      baseline: 'plain',
      columns,
      contenders: results,
    })];
  },
};
