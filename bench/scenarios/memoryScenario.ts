import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import { ChildProcess, type ChildSpec } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';
import { withServer } from '../withServer.js';
import { backendSkipped, type BenchBackend } from '../backends.js';
import { rxServer, SCHEDULERS, URING_SINGLE } from './rxServer.js';

const MiB = 2 ** 20;

/** The open-file limit a child gets when it asks for 65536 (what `raiseFdLimit` does). */
function reachableFdLimit(): { limit: number; raised: boolean } {
  const result = spawnSync('bash', ['-c', 'ulimit -n 65536 2>/dev/null && echo raised || ulimit -n "$(ulimit -Hn)"; ulimit -n'],
    { encoding: 'utf8' });
  const lines = result.stdout.trim().split('\n');
  return { limit: Number(lines[lines.length - 1]), raised: lines[0] === 'raised' };
}

async function waitForConnections(server: ChildProcess, count: number): Promise<number> {
  const deadline = performance.now() + 60_000;
  let seen = 0;
  while (performance.now() < deadline) {
    seen = Number((await server.ask('connections'))['connections']);
    if (seen >= count) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server saw ${seen} of ${count} connections after 60 s`);
}

/** Idle memory: RSS and heap after GC, before and after `count` connections are open. */
async function measureIdle(ctx: BenchContext, spec: ChildSpec, label: string, count: number): Promise<Record<string, number>> {
  return withServer(label, { ...spec, raiseFdLimit: true, nodeArgs: ['--expose-gc', ...(spec.nodeArgs ?? [])] }, async (server) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await server.process.ask('mem');
    const cpuBefore = server.process.cpuSeconds();
    const clients = ChildProcess.start('idle clients', {
      script: join(ctx.benchDir, 'clients', 'idleClients.js'),
      args: ['--port', String(server.port), '--count', String(count)],
      raiseFdLimit: true,
    });
    try {
      const opened = await clients.ready(120_000);
      const open = Number(opened['opened']);
      if (open === 0) throw new Error(`no connection opened: ${String(opened['firstError'])}`);
      await waitForConnections(server.process, open);
      const serverCpu = server.process.cpuSeconds() - cpuBefore;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await server.process.ask('mem');
      return {
        connections: open,
        failed: Number(opened['failed']),
        rssPerConnection: (Number(after['rss']) - Number(before['rss'])) / open,
        heapPerConnection: (Number(after['heapUsed']) - Number(before['heapUsed'])) / open,
        rssMiB: Number(after['rss']) / MiB,
        // Accepting and setting up each connection (the 'connections' polls included, alike for every server).
        serverUsPerConnection: (serverCpu * 1e6) / open,
      };
    } finally {
      await clients.stop();
    }
  });
}

/** Flood: RSS growth (peak over the idle start) while a client pushes into a deliberately slow handler. */
async function measureFlood(ctx: BenchContext, handler: string): Promise<Record<string, number>> {
  const seconds = ctx.quick ? 3 : 5;
  return withServer(handler, rxServer(ctx, handler, SCHEDULERS[0].args), async (server) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const idle = server.process.rssBytes();
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, server.process.rssBytes())), 50);
    const sender = ChildProcess.start('flood sender', {
      script: join(ctx.benchDir, 'clients', 'sender.js'),
      args: ['--connect', String(server.port), '--bytes', String(ctx.floodBytes), '--seconds', String(seconds)],
    });
    try {
      const sent = await sender.next(seconds * 1000 + 60_000);
      await sender.wait(10_000);
      peak = Math.max(peak, server.process.rssBytes());
      return {
        growthMiB: (peak - idle) / MiB,
        idleMiB: idle / MiB,
        sentMiB: Number(sent['sent']) / MiB,
        seconds: Number(sent['seconds']),
      };
    } finally {
      clearInterval(sampler);
      await sender.kill();
    }
  });
}

/**
 * Scenario 4: resident memory per idle connection (10,000 connections, rxloop vs plain node:net), and RSS
 * growth while a client floods a deliberately slow rxloop handler.
 *
 * @internal
 */
export const memoryScenario: Scenario = {
  id: 'memory',
  title: 'Memory',
  async run(ctx: BenchContext): Promise<Section[]> {
    const { limit, raised } = reachableFdLimit();
    const wanted = ctx.idleConnections;
    const count = Math.max(100, Math.min(wanted, limit - 200));
    const notes: string[] = [];
    if (!raised) {
      notes.push(`ulimit -n 65536 was refused here (hard limit ${limit}); the children run with ${limit}.`);
    }
    if (count < wanted) {
      const note = `Only ${count} connections instead of ${wanted}: the open-file limit is ${limit}.`;
      notes.push(note);
      ctx.progress(`[memory-idle] note: ${note}`);
    }
    const idleServer = (mode: string, backend: BenchBackend = 'node'): ChildSpec => ({
      script: join(ctx.benchDir, 'servers', 'idleServer.js'),
      args: ['--mode', mode, '--backend', backend],
    });
    const onBackend = (backend: BenchBackend): { skipped?: string } => {
      const skipped = backendSkipped(ctx.backends, backend);
      return skipped === undefined ? {} : { skipped };
    };
    const idleContenders: Contender[] = [
      { id: 'plain', label: 'plain node:net echo (baseline)', run: () => measureIdle(ctx, idleServer('plain'), 'plain', count) },
      {
        id: 'plain-rx',
        label: 'node:net + one RxJS subscription (reference)',
        run: () => measureIdle(ctx, idleServer('plain-rx'), 'plain-rx', count),
      },
      {
        id: 'rx-listen',
        label: 'rxloop listen() + data$ + sendTo',
        ...onBackend('node'),
        run: () => measureIdle(ctx, idleServer('rx-listen'), 'rx-listen', count),
      },
      {
        id: 'rx-serve',
        label: 'rxloop serve(), singleReactor',
        ...onBackend('node'),
        run: () => measureIdle(ctx, rxServer(ctx, 'bench/handlers/echoHandler.js', SCHEDULERS[0].args), 'rx-serve', count),
      },
      {
        id: 'rx-listen-uring',
        label: 'rxloop listen() + data$ + sendTo, uring backend',
        ...onBackend('uring'),
        run: () => measureIdle(ctx, idleServer('rx-listen', 'uring'), 'rx-listen-uring', count),
      },
      {
        id: 'rx-serve-uring',
        label: 'rxloop serve(), singleReactor, uring backend',
        ...onBackend('uring'),
        run: () => measureIdle(ctx, rxServer(ctx, 'bench/handlers/echoHandler.js', URING_SINGLE.args), 'rx-serve-uring', count),
      },
    ];
    const idle = withRatios(
      await alternate(ctx, 'memory-idle', idleContenders, (f) =>
        `${f['connections']} connections, ${Math.round(f['rssPerConnection']!)} B RSS and ${Math.round(f['heapPerConnection']!)} B heap each`),
      'plain', 'rssPerConnection', false,
    );

    const floodContenders: Contender[] = [
      { id: 'bounded', label: 'rxloop boundedConcatMap (1 ms per chunk)', run: () => measureFlood(ctx, 'bench/handlers/slowBoundedHandler.js') },
      { id: 'unbounded', label: 'RxJS concatMap, no demand (reference)', run: () => measureFlood(ctx, 'bench/handlers/slowUnboundedHandler.js') },
    ];
    const flood = await alternate(ctx, 'memory-flood', floodContenders, (f) =>
      `growth ${f['growthMiB']!.toFixed(1)} MiB while ${Math.round(f['sentMiB']!)} MiB were sent in ${f['seconds']!.toFixed(1)} s`);
    const floodMiB = Math.round(ctx.floodBytes / MiB);
    return [
      section(ctx, 'memory', {
        id: 'memory-idle',
        title: `Memory per idle connection, ${count} connections`,
        commands: [`node --expose-gc dist/bench/servers/idleServer.js --mode plain|plain-rx|rx-listen [--backend uring]`,
          `node dist/bench/clients/idleClients.js --port PORT --count ${count}`],
        notes: [
          'RSS and heap are read in the server after two full GCs, before and after the connections open; the ' +
            'difference is divided by the connection count. Kernel socket buffers are not in RSS.',
          'Each connection runs an echo pipeline (it is subscribed to its input), so this is the cost of a served, ' +
            'idle connection, not of a bare socket.',
          '"node:net + one RxJS subscription" is the plain echo with its data listener replaced by ' +
            "fromEvent(socket, 'data').subscribe(write): the floor for any design that subscribes per connection, " +
            'since RxJS allocates its subscriber objects and a finalizer array for each subscription.',
          'Where rxloop\'s extra heap per connection goes (heap snapshot, 2,000 idle echo connections, listen + ' +
            'data$.pipe(sendTo(c)).subscribe(): 2,949 B against 1,717 B for the plain echo): NodeTransport 216 B, ' +
            'Connection 152 B, the sendTo writer 104 B, the transport sink, data$ and its teardown 120 B, the ' +
            'subscriber RxJS makes for subscribe() with its finalizer array about 330 B, the operator and ' +
            'Observable closures about 190 B. The mergeMap and closed$ subscription of this server add their own. ' +
            'A 1.2x target is below what one RxJS subscription per connection allows (the reference row).',
          'The uring rows run the same servers on the io_uring backend. Its provided buffer ring (1,024 x 16 KiB) is ' +
            'set up when the backend starts, before the first measurement (its pages become resident only as receives use ' +
            'them), so it is not in the per-connection figure; an idle connection holds no buffer of it.',
          'Server CPU per connection opened is the server\'s CPU from the first connection to the last one it saw ' +
            '(accept and set-up), over the count; the harness\'s `connections` polls are in it alike for every row.',
          ...notes,
        ],
        primary: 'rssPerConnection',
        higherIsBetter: false,
        baseline: 'plain',
        columns: [
          { key: 'rssPerConnection', label: 'RSS per connection (bytes)', digits: 0 },
          { key: 'heapPerConnection', label: 'heap per connection (bytes)', digits: 0 },
          { key: 'rssMiB', label: 'server RSS (MiB)', digits: 1 },
          { key: 'connections', label: 'connections', digits: 0 },
          { key: 'serverUsPerConnection', label: 'server CPU per connection opened (us)', digits: 1 },
        ],
        contenders: idle,
      }),
      section(ctx, 'memory', {
        id: 'memory-flood',
        title: `RSS growth while a client floods up to ${floodMiB} MiB into a slow handler`,
        commands: [`node dist/bench/servers/serveHandler.js --handler dist/bench/handlers/slowBoundedHandler.js --scheduler single`,
          `node dist/bench/clients/sender.js --connect PORT --bytes ${ctx.floodBytes} --seconds ${ctx.quick ? 3 : 5}`],
        notes: [
          'The handler waits 1 ms per chunk, far slower than loopback. The sender stops at the byte count or the time ' +
            'limit, whichever comes first; growth is the peak RSS of the server (sampled every 50 ms) over its idle RSS.',
          'The unbounded row is RxJS concatMap without demand: it shows what is at stake, and has no target.',
        ],
        primary: 'growthMiB',
        higherIsBetter: false,
        baseline: undefined,
        columns: [
          { key: 'growthMiB', label: 'RSS growth (MiB)', digits: 1 },
          { key: 'sentMiB', label: 'sent (MiB)', digits: 0 },
          { key: 'seconds', label: 'seconds', digits: 1 },
          { key: 'idleMiB', label: 'idle RSS (MiB)', digits: 1 },
        ],
        contenders: flood,
      }),
    ];
  },
};
