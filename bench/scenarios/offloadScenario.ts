import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import { ChildProcess, type ChildSpec } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';
import sha256Task, { HEAVY_ROUNDS } from '../handlers/sha256Task.js';
import { median } from '../statistics.js';
import { withServer } from '../withServer.js';
import { rxServer, SCHEDULERS } from './rxServer.js';

const HANDLER = 'bench/handlers/offloadHandler.js';
const CONNECTIONS = 16;
const HEAVY_EVERY = 8;

/** Shorter loads than wrk's 5 s keep the full run near 10 minutes; a few thousand samples are still enough. */
function loadSeconds(ctx: BenchContext): number {
  return Math.min(ctx.seconds, 4);
}

async function measure(ctx: BenchContext, spec: ChildSpec, label: string): Promise<Record<string, number>> {
  return withServer(label, spec, async (server) => {
    const cpuBefore = server.process.cpuSeconds();
    const started = performance.now();
    const client = ChildProcess.start('offload client', {
      script: join(ctx.benchDir, 'clients', 'offloadClient.js'),
      args: ['--port', String(server.port), '--connections', String(CONNECTIONS), '--seconds', String(loadSeconds(ctx)),
        '--heavyEvery', String(HEAVY_EVERY)],
    });
    const result = await client.next((loadSeconds(ctx) + 60) * 1000);
    const { cpuSeconds, wallSeconds } = await client.wait(10_000);
    const serverCpu = (server.process.cpuSeconds() - cpuBefore) / ((performance.now() - started) / 1000);
    return {
      rps: Number(result['rps']),
      lightP50: Number(result['lightP50']),
      lightP99: Number(result['lightP99']),
      heavyP50: Number(result['heavyP50']),
      loadCpu: cpuSeconds / wallSeconds,
      serverCpu,
    };
  });
}

/**
 * Scenario 6: a CPU-heavy request mix (one request in 8 runs 2000 rounds of SHA-256) through `offload`, on
 * singleReactor (the task runs inline) and pooledReactor (on worker threads).
 *
 * @internal
 */
export const offloadScenario: Scenario = {
  id: 'offload',
  title: 'Offload',
  async run(ctx: BenchContext): Promise<Section[]> {
    // What one heavy request costs on this machine now, measured in this process (after a warm-up).
    const heavy = Buffer.from('Hpayload-heavy');
    sha256Task(heavy);
    const costs: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      sha256Task(heavy);
      costs.push(performance.now() - t0);
    }
    const heavyMs = median(costs);
    const contenders: Contender[] = SCHEDULERS.slice(0, 2).map((scheduler) => ({
      id: scheduler.id,
      label: scheduler.id === 'single' ? `${scheduler.label} (baseline)` : scheduler.label,
      run: () => measure(ctx, rxServer(ctx, HANDLER, scheduler.args), scheduler.label),
    }));
    const results = withRatios(
      await alternate(ctx, 'offload', contenders, (f) =>
        `${Math.round(f['rps']!)} req/s light p99=${f['lightP99']!.toFixed(2)} ms heavy p50=${f['heavyP50']!.toFixed(2)} ms`),
      'single', 'rps', true,
    );
    return [section(ctx, 'offload', {
      id: 'offload',
      title: 'Offload: CPU-heavy request mix, singleReactor vs pooledReactor',
      commands: [`node dist/bench/servers/serveHandler.js --handler dist/${HANDLER} --scheduler single|pooled`,
        `node dist/bench/clients/offloadClient.js --port PORT --connections ${CONNECTIONS} --seconds ${loadSeconds(ctx)} --heavyEvery ${HEAVY_EVERY}`],
      notes: [
        `${CONNECTIONS} connections, one request in flight each; one request in ${HEAVY_EVERY} is heavy (${HEAVY_ROUNDS} rounds ` +
          `of SHA-256, ${heavyMs.toFixed(1)} ms of CPU measured on this machine during the run), the rest one round. ` +
          'The handler is lines() -> offload(sha256Task) -> encodeLines() -> sendTo().',
        'pooledReactor uses its default pool (cores - 1 = 1 worker here). With 2 cores shared by the reactor, the worker ' +
          'and the client, the pool cannot add CPU; what it can change is the light requests\' latency.',
      ],
      primary: 'rps',
      higherIsBetter: true,
      baseline: 'single',
      columns: [
        { key: 'rps', label: 'req/s', digits: 0 },
        { key: 'lightP50', label: 'light p50 (ms)', digits: 2 },
        { key: 'lightP99', label: 'light p99 (ms)', digits: 2 },
        { key: 'heavyP50', label: 'heavy p50 (ms)', digits: 2 },
        { key: 'serverCpu', label: 'server CPU (cores)', digits: 2 },
        { key: 'loadCpu', label: 'client CPU (cores)', digits: 2 },
      ],
      contenders: results,
    })];
  },
};
