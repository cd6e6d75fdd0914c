import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import { ChildProcess, type ChildSpec } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { which } from '../runTool.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';
import { freePort, withServer } from '../withServer.js';
import { missingHandler, rxServer, SCHEDULERS } from './rxServer.js';

const HANDLER = 'examples/resp/handler.js';
const SUBSCRIBERS = 100;
const WINDOW = 16;
const SIZE = 64;

async function measure(ctx: BenchContext, spec: ChildSpec, label: string, port?: number): Promise<Record<string, number>> {
  return withServer(label, spec, async (server) => {
    const seconds = Math.min(ctx.seconds, ctx.quick ? 2 : 4);
    const cpuBefore = server.process.cpuSeconds();
    const client = ChildProcess.start('pub/sub client', {
      script: join(ctx.benchDir, 'clients', 'pubsubClient.js'),
      args: ['--port', String(server.port), '--subscribers', String(SUBSCRIBERS), '--seconds', String(seconds),
        '--window', String(WINDOW), '--size', String(SIZE)],
    });
    const result = await client.next((seconds + 60) * 1000);
    const { cpuSeconds, wallSeconds } = await client.wait(10_000);
    const serverCpu = server.process.cpuSeconds() - cpuBefore;
    const delivered = Number(result['delivered']);
    const elapsed = Number(result['seconds']);
    if (Number(result['lost']) !== 0) throw new Error(`${label}: ${String(result['lost'])} deliveries missing`);
    return {
      publishes: Number(result['published']) / Number(result['publishSeconds']),
      deliveries: delivered / elapsed,
      serverUsPerDelivery: (serverCpu * 1e6) / delivered,
      serverCpu: serverCpu / elapsed,
      loadCpu: cpuSeconds / wallSeconds,
    };
  }, port);
}

/**
 * Scenario 7: pub/sub fan-out, one publisher and 100 subscribers of one channel (64-byte messages, 16 PUBLISHes in
 * flight), against the RESP example on each topology and against redis-server.
 *
 * @internal
 */
export const pubsubScenario: Scenario = {
  id: 'pubsub',
  title: 'Pub/sub fan-out',
  async run(ctx: BenchContext): Promise<Section[]> {
    const noRedis = which('redis-server') === undefined;
    const noHandler = missingHandler(ctx, HANDLER);
    const contenders: Contender[] = [
      {
        id: 'redis',
        label: 'redis-server (baseline)',
        ...(noRedis ? { skipped: 'redis-server is not installed (apt-get install -y redis-server)' } : {}),
        run: async () => {
          const port = await freePort();
          const spec: ChildSpec = { command: 'redis-server', args: ['--port', String(port), '--bind', '127.0.0.1',
            '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'] };
          return measure(ctx, spec, 'redis-server', port);
        },
      },
      ...SCHEDULERS.map((scheduler): Contender => ({
        id: scheduler.id,
        label: scheduler.label,
        ...(noHandler !== undefined ? { skipped: noHandler } : {}),
        run: () => measure(ctx, rxServer(ctx, HANDLER, scheduler.args), scheduler.label),
      })),
    ];
    const results = withRatios(
      await alternate(ctx, 'pubsub', contenders, (f) =>
        `${Math.round(f['publishes']!)} publishes/s ${Math.round(f['deliveries']!)} deliveries/s ` +
          `server=${f['serverUsPerDelivery']!.toFixed(2)} us/delivery`),
      'redis', 'deliveries', true,
    );
    return [section(ctx, 'pubsub', {
      id: 'pubsub-fanout',
      title: `Pub/sub fan-out: 1 publisher, ${SUBSCRIBERS} subscribers`,
      commands: [`node dist/bench/clients/pubsubClient.js --port PORT --subscribers ${SUBSCRIBERS} --window ${WINDOW} --size ${SIZE} --seconds S`],
      notes: [
        `${SUBSCRIBERS} connections SUBSCRIBE to one channel; one connection PUBLISHes ${SIZE}-byte messages with ${WINDOW} in ` +
          'flight; the run counts as done when every subscriber has every message (a missing one fails the run).',
        'The ratio is deliveries per second (messages times subscribers) over redis-server\'s. The load generator is one ' +
          'Node process reading 100 sockets, and needs most of a core: with 2 cores it limits all contenders alike.',
        'Server CPU per delivery does not count time spent waiting for a core.',
      ],
      primary: 'deliveries',
      cost: 'serverUsPerDelivery',
      higherIsBetter: true,
      baseline: 'redis',
      columns: [
        { key: 'publishes', label: 'publishes/s', digits: 0 },
        { key: 'deliveries', label: 'deliveries/s', digits: 0 },
        { key: 'serverCpu', label: 'server CPU (cores)', digits: 2 },
        { key: 'serverUsPerDelivery', label: 'server CPU per delivery (us)', digits: 3 },
        { key: 'loadCpu', label: 'client CPU (cores)', digits: 2 },
      ],
      contenders: results,
    })];
  },
};
