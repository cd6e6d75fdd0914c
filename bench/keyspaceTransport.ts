// How a sub-reactor thread can reach a keyspace owned by another thread of the same process: the prototype
// measurement behind the choice recorded in docs/examples.md ("The keyspace under threads").
//   node dist/bench/keyspaceTransport.js [--batches N] [--depth K] [--bytes B]
// Each transport carries N batches of B bytes (about what one read of redis-benchmark -P 16 forwards) from the
// calling thread to a worker thread that answers each with a batch of the same size, K batches in flight:
//   unix       the link from sub-reactor processes: a Unix socket between the threads (node:net on both sides)
//   sab-async  SharedArrayBuffer slot rings, Atomics.notify, both sides waiting with Atomics.waitAsync (each
//              keeps its event loop, as a sub-reactor and a keyspace on the main thread must): the design the
//              thread link now uses (schedulers/SharedRing.ts, RingTransport.ts)
//   sab-sync   the same rings, the keyspace thread blocking in Atomics.wait (a dedicated keyspace thread)
// Prints, per transport, round trips per second and the process's CPU (every thread) per round trip.
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Atomics.waitAsync (ES2024; Node 16 on), typed here since the project's lib is older. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<unknown> | string };
}).waitAsync;

const SLOTS = 64;
const SLOT = 4096;
/** Control words: request tail, request head, reply tail, reply head. */
const REQ_TAIL = 0;
const REP_TAIL = 2;

interface Rings {
  readonly control: Int32Array;
  readonly requests: Uint8Array;
  readonly replies: Uint8Array;
  readonly lengths: Int32Array;
}

function rings(shared: SharedArrayBuffer): Rings {
  return {
    control: new Int32Array(shared, 0, 4),
    lengths: new Int32Array(shared, 16, SLOTS * 2),
    requests: new Uint8Array(shared, 16 + SLOTS * 8, SLOTS * SLOT),
    replies: new Uint8Array(shared, 16 + SLOTS * 8 + SLOTS * SLOT, SLOTS * SLOT),
  };
}

function ringBytes(): number {
  return 16 + SLOTS * 8 + 2 * SLOTS * SLOT;
}

/** Puts one message in a ring's next slot and wakes its reader. */
function put(r: Rings, tailWord: number, data: Uint8Array, length: number, offset: number): void {
  const tail = Atomics.load(r.control, tailWord);
  const slot = tail % SLOTS;
  (tailWord === REQ_TAIL ? r.requests : r.replies).set(data.subarray(0, length), slot * SLOT);
  r.lengths[offset + slot] = length;
  Atomics.store(r.control, tailWord, tail + 1);
  Atomics.notify(r.control, tailWord);
}

/** The keyspace side: answers every request with a reply of the same bytes. */
async function keyspace(mode: string, shared: SharedArrayBuffer | undefined, path: string | undefined): Promise<void> {
  if (mode === 'unix') {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('end', () => socket.end());
      socket.on('close', () => server.close());
    });
    server.listen(path, () => parentPort!.postMessage('ready'));
    return;
  }
  const r = rings(shared!);
  const scratch = new Uint8Array(SLOT);
  let head = 0;
  // A pending Atomics.waitAsync does not keep an event loop alive: something else must.
  const alive = setInterval(() => undefined, 1 << 30);
  parentPort!.postMessage('ready');
  for (;;) {
    const tail = Atomics.load(r.control, REQ_TAIL);
    if (tail === -1) {
      clearInterval(alive);
      return;
    }
    if (head === tail) {
      if (mode === 'sab-sync') Atomics.wait(r.control, REQ_TAIL, tail);
      else {
        const wait = waitAsync(r.control, REQ_TAIL, tail);
        if (wait.async) await (wait.value as Promise<unknown>);
      }
      continue;
    }
    for (; head < tail; head++) {
      const slot = head % SLOTS;
      const length = r.lengths[slot]!;
      scratch.set(r.requests.subarray(slot * SLOT, slot * SLOT + length));
      put(r, REP_TAIL, scratch, length, SLOTS);
    }
  }
}

/** The sub-reactor side: keeps `depth` batches in flight until `batches` are answered. */
async function subReactor(mode: string, batches: number, depth: number, bytes: number): Promise<{ rps: number; cpuUs: number }> {
  const shared = mode === 'unix' ? undefined : new SharedArrayBuffer(ringBytes());
  const path = mode === 'unix' ? join(tmpdir(), `rxloop-transport-${process.pid}.sock`) : undefined;
  if (path !== undefined) rmSync(path, { force: true });
  const worker = new Worker(new URL(import.meta.url), { workerData: { mode, shared, path } });
  await once(worker, 'message');
  const batch = new Uint8Array(bytes).fill(42);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'unix') {
    const socket = connect(path!);
    socket.setNoDelay(true);
    await once(socket, 'connect');
    let sent = 0;
    let answered = 0;
    let received = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        const now = Math.floor(received / bytes);
        const more = Math.min(now - answered, batches - sent);
        answered = now;
        for (let i = 0; i < more; i++, sent++) socket.write(batch);
        if (answered >= batches) resolve();
      });
      for (; sent < depth; sent++) socket.write(batch);
    });
    socket.end();
  } else {
    const r = rings(shared!);
    const alive = setInterval(() => undefined, 1 << 30);
    let sent = 0;
    let head = 0;
    for (; sent < depth; sent++) put(r, REQ_TAIL, batch, bytes, 0);
    while (head < batches) {
      const tail = Atomics.load(r.control, REP_TAIL);
      if (head === tail) {
        const wait = waitAsync(r.control, REP_TAIL, tail);
        if (wait.async) await (wait.value as Promise<unknown>);
        continue;
      }
      const more = Math.min(tail - head, batches - sent);
      head = tail;
      for (let i = 0; i < more; i++, sent++) put(r, REQ_TAIL, batch, bytes, 0);
    }
    clearInterval(alive);
    Atomics.store(r.control, REQ_TAIL, -1);
    Atomics.notify(r.control, REQ_TAIL);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await once(worker, 'exit');
  return { rps: batches / wall, cpuUs: (cpu.user + cpu.system) / batches };
}

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

if (isMainThread) {
  const batches = arg('batches', 100_000);
  const depth = arg('depth', 4);
  const bytes = arg('bytes', 600);
  console.log(`${batches} batches of ${bytes} bytes, ${depth} in flight, ${process.version}`);
  // A B C A B C: medians of three.
  const figures: Record<string, { rps: number; cpuUs: number }[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const mode of ['unix', 'sab-async', 'sab-sync']) (figures[mode] ??= []).push(await subReactor(mode, batches, depth, bytes));
  }
  for (const [mode, runs] of Object.entries(figures)) {
    const rps = runs.map((f) => f.rps).sort((a, b) => a - b)[1]!;
    const cpu = runs.map((f) => f.cpuUs).sort((a, b) => a - b)[1]!;
    console.log(`${mode.padEnd(10)} ${Math.round(rps).toString().padStart(8)} round trips/s  ${cpu.toFixed(2).padStart(6)} us CPU per round trip`);
  }
} else {
  const { mode, shared, path } = workerData as { mode: string; shared?: SharedArrayBuffer; path?: string };
  await keyspace(mode, shared, path);
}
