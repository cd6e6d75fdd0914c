import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import { ChildProcess, type ChildSpec } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';
import { withServer } from '../withServer.js';
import { missingHandler, rxServer, SCHEDULERS } from './rxServer.js';

const HANDLER = 'examples/resp/handler.js';

/** Shorter loads than wrk's 5 s keep the full run near 10 minutes; a few thousand samples are still enough. */
function loadSeconds(ctx: BenchContext): number {
  return Math.min(ctx.seconds, 4);
}

async function measure(ctx: BenchContext, spec: ChildSpec, label: string): Promise<Record<string, number>> {
  return withServer(label, spec, async (server) => {
    const heavy = ChildProcess.start('heavy client', {
      script: join(ctx.benchDir, 'clients', 'heavyClient.js'),
      args: ['--port', String(server.port)],
    });
    try {
      await heavy.ready();
      // Let the flood build up before the light client starts measuring.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const light = ChildProcess.start('light client', {
        script: join(ctx.benchDir, 'clients', 'lightClient.js'),
        args: ['--port', String(server.port), '--seconds', String(loadSeconds(ctx))],
      });
      const latency = await light.next((loadSeconds(ctx) + 60) * 1000);
      await light.wait(10_000);
      await heavy.stop();
      const flood = await heavy.next(5000);
      return {
        p50: Number(latency['p50']),
        p99: Number(latency['p99']),
        max: Number(latency['max']),
        pings: Number(latency['count']),
        heavyKops: Number(flood['replies']) / Number(flood['seconds']) / 1000,
      };
    } finally {
      await heavy.kill();
    }
  });
}

/**
 * Scenario 5: round-trip latency of a light client (one PING at a time) while a heavy client floods the same
 * RESP server with pipelined SETs, per topology, against the plain node:net RESP server.
 *
 * @internal
 */
export const fairnessScenario: Scenario = {
  id: 'fairness',
  title: 'Fairness',
  async run(ctx: BenchContext): Promise<Section[]> {
    const noHandler = missingHandler(ctx, HANDLER);
    const plain: ChildSpec = { script: join(ctx.benchDir, 'baselines', 'plainResp.js') };
    const contenders: Contender[] = [
      { id: 'plain', label: 'plain node:net RESP (baseline)', run: () => measure(ctx, plain, 'plainResp') },
      ...SCHEDULERS.map((scheduler): Contender => ({
        id: scheduler.id,
        label: scheduler.label,
        ...(noHandler !== undefined ? { skipped: noHandler } : {}),
        run: () => measure(ctx, rxServer(ctx, HANDLER, scheduler.args), scheduler.label),
      })),
    ];
    const results = withRatios(
      await alternate(ctx, 'fairness', contenders, (f) =>
        `light p50=${f['p50']!.toFixed(3)} ms p99=${f['p99']!.toFixed(3)} ms; heavy ${f['heavyKops']!.toFixed(0)}k SET/s`),
      'plain', 'p99', false,
    );
    return [section(ctx, 'fairness', {
      id: 'fairness',
      title: 'Fairness: light-client PING latency while a heavy client floods SETs',
      commands: ['node dist/bench/clients/heavyClient.js --port PORT   (1000 pipelined SETs per write, nonstop)',
        `node dist/bench/clients/lightClient.js --port PORT --seconds ${loadSeconds(ctx)}   (one PING at a time)`],
      notes: [
        'Both clients are separate processes on the same 2 cores as the server. The ratio is plain p99 / this p99 ' +
          '(above 1 is better than plain). multiReactor(2) usually puts the two clients on different sub-reactors.',
      ],
      primary: 'p99',
      higherIsBetter: false,
      baseline: 'plain',
      columns: [
        { key: 'p50', label: 'light p50 (ms)', digits: 3 },
        { key: 'p99', label: 'light p99 (ms)', digits: 3 },
        { key: 'max', label: 'light max (ms)', digits: 1 },
        { key: 'pings', label: 'light PINGs', digits: 0 },
        { key: 'heavyKops', label: 'heavy kSET/s', digits: 0 },
      ],
      contenders: results,
    })];
  },
};
