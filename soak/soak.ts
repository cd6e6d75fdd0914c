// `npm run soak`: many concurrent connections on one reactor running a mixed RESP workload for a while, with the
// server's resident memory and handle count sampled every second. Passes when, after warm-up, neither shows a
// growth trend (the last third of the steady samples within 5% of the middle third, handles flat). Not part of `npm test`: it takes minutes and needs a raised file-descriptor limit.
//
//   npm run soak -- --connections 10000 --duration 120
import { spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '120' },
    warmup: { type: 'string', default: '0.25' },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration) * 1000;
const warmupShare = Number(values.warmup);

interface Sample { at: number; rss: number; handles: number; connections: number; bytesIn: number }

const serverScript = fileURLToPath(new URL('./soakServer.js', import.meta.url));
// Both processes need many descriptors; raise the soft limit for the server through the shell.
const server = spawn('bash', ['-c', `ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec "${process.execPath}" "${serverScript}"`], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const samples: Sample[] = [];
const port = await new Promise<number>((resolve) => {
  createInterface({ input: server.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { port?: number } & Sample;
    if (message.port !== undefined) resolve(message.port);
    else samples.push(message);
  });
});

function open(): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', () => resolve(undefined));
  });
}

console.log(`soak: opening ${connections} connections to the RESP example on 127.0.0.1:${port}`);
const sockets: Socket[] = [];
let failedOpens = 0;
for (let i = 0; i < connections; i += 200) {
  const batch = await Promise.all(Array.from({ length: Math.min(200, connections - i) }, open));
  for (const socket of batch) {
    if (socket === undefined) failedOpens++;
    else sockets.push(socket);
  }
}
if (failedOpens > 0) console.log(`soak: ${failedOpens} connections failed to open (raise ulimit -n for this shell)`);

let replies = 0;
let errors = 0;
for (const socket of sockets) {
  socket.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 0x0a) replies++;
    if (chunk.includes('-ERR')) errors++;
  });
  socket.on('error', () => errors++);
}

// Mixed workload: every tick, a slice of the connections sends a short pipeline.
const commands = [
  (k: number) => `*3\r\n$3\r\nSET\r\n$${String(k).length + 2}\r\nk:${k}\r\n$5\r\nvalue\r\n`,
  (k: number) => `*2\r\n$3\r\nGET\r\n$${String(k).length + 2}\r\nk:${k}\r\n`,
  (k: number) => `*2\r\n$4\r\nINCR\r\n$${String(k % 100).length + 2}\r\nc:${k % 100}\r\n`,
  () => '*1\r\n$4\r\nPING\r\n',
  (k: number) => `*3\r\n$6\r\nEXPIRE\r\n$${String(k).length + 2}\r\nk:${k}\r\n$1\r\n5\r\n`,
];
const started = Date.now();
let tick = 0;
const timer = setInterval(() => {
  tick++;
  for (let i = tick % 10; i < sockets.length; i += 10) {
    const k = (i * 7919 + tick) % 2000; // a bounded keyspace, so steady state comes quickly and growth means a leak
    sockets[i]!.write(commands[(i + tick) % commands.length]!(k) + commands[(i + tick + 1) % commands.length]!(k));
  }
  const elapsed = Date.now() - started;
  if (tick % 10 === 0) {
    const last = samples.at(-1);
    process.stdout.write(`\rsoak: ${(elapsed / 1000).toFixed(0)}s/${duration / 1000}s, ${replies} replies, ` +
      `rss ${((last?.rss ?? 0) / 2 ** 20).toFixed(1)} MiB, handles ${last?.handles ?? '?'}   `);
  }
  if (elapsed >= duration) void finish();
}, 100);

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function finish(): Promise<void> {
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 1500));
  for (const socket of sockets) socket.destroy();
  server.kill('SIGTERM');
  const steady = samples.slice(Math.floor(samples.length * warmupShare));
  const minutes = (s: Sample) => (s.at - steady[0]!.at) / 60_000;
  const rssSlope = slope(steady.map((s) => [minutes(s), s.rss / 2 ** 20]));
  const handleSlope = slope(steady.map((s) => [minutes(s), s.handles]));
  const rssValues = steady.map((s) => s.rss / 2 ** 20);
  const report = {
    connections: sockets.length,
    durationSeconds: duration / 1000,
    replies,
    errors,
    samples: samples.length,
    rssMiB: { min: Math.min(...rssValues), max: Math.max(...rssValues), slopePerMinute: rssSlope },
    handles: { min: Math.min(...steady.map((s) => s.handles)), max: Math.max(...steady.map((s) => s.handles)), slopePerMinute: handleSlope },
  };
  console.log('\n' + JSON.stringify(report, null, 2));
  // "No growth trend": V8 sizes its heap lazily, so a short fitted slope over-reads settling. Compare the last
  // third of the steady samples with the middle third: memory may move by noise (5%), handles not at all.
  const third = Math.floor(steady.length / 3);
  const mean = (xs: Sample[]) => xs.reduce((s, x) => s + x.rss, 0) / xs.length;
  const middle = mean(steady.slice(third, 2 * third));
  const last = mean(steady.slice(2 * third));
  const rssGrowth = (last - middle) / middle;
  console.log(`soak: steady RSS middle third ${(middle / 2 ** 20).toFixed(1)} MiB, last third ${(last / 2 ** 20).toFixed(1)} MiB (${(rssGrowth * 100).toFixed(1)}%)`);
  const ok = errors === 0 && replies > 0 && rssGrowth < 0.05 && handleSlope < 1;
  console.log(ok ? 'soak: PASS (no growth trend after warm-up)' : 'soak: FAIL');
  process.exit(ok ? 0 : 1);
}
