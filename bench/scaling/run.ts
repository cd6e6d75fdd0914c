// The scaling scenario: the multi-reactor with 1, 2, 4, 8 and 16 sub-reactors (as many as the machine has
// cores for, leaving the load generator its share), threads and processes, beside the single reactor, on HTTP
// and RESP, with a load generator written in Node (loadGenerator.ts). Meant for a many-core machine; see
// bench/scaling/README.md for how to run it where there is no Node or build (a lent device machine).
//   node dist/bench/scaling/run.js [--reactors 1,2,4,8,16] [--seconds 5] [--connections 256] [--pipeline 16]
//        [--load-threads N] [--topologies threads,processes] [--protocols http,resp] [--out DIR]
// Prints one line per measurement and writes DIR/scaling.json and DIR/scaling.md (default: the current folder).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import type { ChildSpec } from '../ChildProcess.js';
import { withServer } from '../withServer.js';
import { generateLoad, type LoadSpec } from './loadGenerator.js';

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
const distRoot = dirname(benchDir);
const HANDLERS = { http: 'examples/http/handler.js', resp: 'examples/resp/handler.js' } as const;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1] ?? fallback;
}

interface Row {
  protocol: 'http' | 'resp';
  topology: string;
  reactors: number;
  requestsPerSecond: number;
  serverCpuCores: number;
  serverUsPerRequest: number;
  loadCpuCores: number;
}

async function measure(protocol: 'http' | 'resp', args: string[], label: string, load: Omit<LoadSpec, 'port' | 'protocol'>): Promise<Row> {
  const spec: ChildSpec = { script: join(benchDir, 'servers', 'serveHandler.js'), args: ['--handler', join(distRoot, HANDLERS[protocol]), ...args] };
  return withServer(label, spec, async (server) => {
    const before = server.process.cpuSeconds();
    const result = await generateLoad({ ...load, protocol, port: server.port });
    // The generator's warm-up second is in the server's CPU too: charge it by the same rate as the window.
    const serverCpu = (server.process.cpuSeconds() - before) * (result.wallSeconds / (result.wallSeconds + 1));
    return {
      protocol,
      topology: label.split(' ')[0]!,
      reactors: Number(/(\d+)$/.exec(label)?.[1] ?? 1),
      requestsPerSecond: result.requests / result.wallSeconds,
      serverCpuCores: serverCpu / result.wallSeconds,
      serverUsPerRequest: (serverCpu * 1e6) / Math.max(1, result.requests),
      loadCpuCores: result.cpuSeconds / (result.wallSeconds + 1),
    };
  });
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const seconds = Number(option('seconds', '5'));
  const connections = Number(option('connections', '256'));
  const pipeline = Number(option('pipeline', '16'));
  const asked = option('reactors', '1,2,4,8,16').split(',').map(Number);
  // Half the cores serve at most: the generator needs the rest (HTTP parsing costs it about what it costs us).
  const reactorCounts = asked.filter((n) => n <= Math.max(1, Math.floor(cores / 2)));
  const loadThreads = Number(option('load-threads', String(Math.max(1, cores - Math.max(...reactorCounts)))));
  const protocols = option('protocols', 'http,resp').split(',') as ('http' | 'resp')[];
  const features = await nodeFeatures();
  const topologies = option('topologies', 'threads,processes').split(',').filter((t) => t !== 'threads' || features.reusePort);
  const out = option('out', process.cwd());
  const skipped = asked.filter((n) => !reactorCounts.includes(n));
  console.log(`scaling: ${cores} cores (${cpus()[0]?.model ?? 'unknown'}), Node.js ${process.version}; reactors ${reactorCounts.join(', ')}` +
    `${skipped.length > 0 ? ` (not ${skipped.join(', ')}: too few cores to leave the generator half)` : ''}; ` +
    `${loadThreads} generator threads, ${connections} connections, -P ${pipeline}, ${seconds} s each`);
  if (!topologies.includes('threads')) console.log(`scaling: no thread topology here: Node.js ${process.version} has no reusePort`);

  const rows: Row[] = [];
  const load = { connections, pipeline, seconds, threads: loadThreads };
  for (const protocol of protocols) {
    rows.push(await measure(protocol, ['--scheduler', 'single'], 'single 1', load));
    for (const reactors of reactorCounts) {
      for (const topology of topologies) {
        // Shared accept: the kernel spreads connections over the sub-reactors, with no hand-off to measure.
        const args = ['--scheduler', 'multi', '--reactors', String(reactors), '--accept', 'shared', ...(topology === 'threads' ? ['--threads'] : [])];
        rows.push(await measure(protocol, args, `${topology} ${reactors}`, load));
      }
    }
    for (const row of rows.filter((r) => r.protocol === protocol)) {
      console.log(`${protocol} ${row.topology} x${row.reactors}: ${Math.round(row.requestsPerSecond)} req/s, ` +
        `server ${row.serverCpuCores.toFixed(2)} cores, ${row.serverUsPerRequest.toFixed(2)} us/req, generator ${row.loadCpuCores.toFixed(2)} cores`);
    }
  }

  const lines = ['| protocol | topology | reactors | req/s | x single | server CPU (cores) | server CPU per request (us) | generator CPU (cores) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const row of rows) {
    const single = rows.find((r) => r.protocol === row.protocol && r.topology === 'single')!;
    lines.push(`| ${row.protocol} | ${row.topology} | ${row.reactors} | ${Math.round(row.requestsPerSecond)} | ${(row.requestsPerSecond / single.requestsPerSecond).toFixed(2)} | ` +
      `${row.serverCpuCores.toFixed(2)} | ${row.serverUsPerRequest.toFixed(2)} | ${row.loadCpuCores.toFixed(2)} |`);
  }
  const machine = { cores, cpu: cpus()[0]?.model, node: process.version, at: new Date().toISOString(), connections, pipeline, seconds, loadThreads };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'scaling.json'), `${JSON.stringify({ machine, rows }, null, 2)}\n`);
  writeFileSync(join(out, 'scaling.md'), `# Scaling (${cores} cores, ${machine.cpu}, Node.js ${process.version})\n\n${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

await main();
