// The scaling scenario's load generator, in Node: worker threads, each with its own connections, each
// connection keeping `pipeline` requests in flight, counting complete replies for `seconds`.
//   HTTP: GET / (the http example answers "hello"); a reply is counted at each "HTTP/1.1 " it starts with.
//   RESP: SET k v / GET k pairs on a key of the connection's own; a pair's replies are exactly 14 bytes
//         (+OK\r\n and $3\r\nabc\r\n), so replies are counted by bytes.
// Run as a module (generateLoad) or in a worker thread (this file is also the worker's entry).
import { connect, type Socket } from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** What to generate. @internal */
export interface LoadSpec {
  readonly protocol: 'http' | 'resp';
  readonly port: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly seconds: number;
  readonly threads: number;
}

/** What was generated. @internal */
export interface LoadResult {
  /** Replies received during the measured seconds, all threads together. */
  readonly requests: number;
  readonly wallSeconds: number;
  /** CPU seconds the generator's threads used (for a note: a generator short of cores caps the figures). */
  readonly cpuSeconds: number;
}

const HTTP_REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n', 'latin1');
const HTTP_MARK = Buffer.from('HTTP/1.1 ', 'latin1');
const RESP_PAIR_REPLY = 14;

function respPair(key: string): Buffer {
  const k = Buffer.byteLength(key);
  return Buffer.from(`*3\r\n$3\r\nSET\r\n$${k}\r\n${key}\r\n$3\r\nabc\r\n*2\r\n$3\r\nGET\r\n$${k}\r\n${key}\r\n`, 'latin1');
}

/** One connection's loop: keeps `pipeline` requests in flight, calls `counted(n)` as replies complete. */
function drive(spec: LoadSpec, index: number, counted: (n: number) => void, sockets: Socket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: spec.port });
    socket.setNoDelay(true);
    sockets.push(socket);
    const perSend = spec.protocol === 'http' ? 1 : 2;
    const unit = spec.protocol === 'http' ? HTTP_REQUEST : respPair(`scaling:${process.pid}:${index}`);
    const batch = (n: number): Buffer => Buffer.concat(Array.from({ length: n }, () => unit));
    let carry = 0; // RESP: bytes of a pair's replies not complete yet
    let tail: Buffer = Buffer.alloc(0);
    socket.once('connect', () => {
      socket.write(batch(Math.max(1, Math.floor(spec.pipeline / perSend))));
      resolve();
    });
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      let replies = 0;
      if (spec.protocol === 'resp') {
        const total = carry + chunk.length;
        replies = Math.floor(total / RESP_PAIR_REPLY);
        carry = total % RESP_PAIR_REPLY;
      } else {
        const text = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
        for (let at = text.indexOf(HTTP_MARK); at !== -1; at = text.indexOf(HTTP_MARK, at + HTTP_MARK.length)) replies++;
        // Less than one mark is kept, so no mark is counted twice.
        tail = text.subarray(Math.max(0, text.length - (HTTP_MARK.length - 1)));
      }
      if (replies > 0) {
        counted(replies * perSend);
        socket.write(batch(replies));
      }
    });
  });
}

/** Runs one thread's share of the connections; resolves with the replies counted in the measured window. */
async function runThread(spec: LoadSpec, first: number, count: number): Promise<number> {
  const sockets: Socket[] = [];
  let counting = false;
  let requests = 0;
  await Promise.all(Array.from({ length: count }, (_, i) => drive(spec, first + i, (n) => {
    if (counting) requests += n;
  }, sockets)));
  // A second of warm-up (JIT, the server's pools), then the measured window.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  counting = true;
  await new Promise((resolve) => setTimeout(resolve, spec.seconds * 1000));
  counting = false;
  for (const socket of sockets) socket.destroy();
  return requests;
}

/**
 * Generates the load with `spec.threads` worker threads.
 *
 * @internal
 * @param spec what to generate
 * @returns the replies counted, the wall time of the window, the generator's CPU time
 */
export async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const per = Math.ceil(spec.connections / spec.threads);
  const counts = await Promise.all(Array.from({ length: spec.threads }, (_, t) => new Promise<number>((resolve, reject) => {
    const count = Math.max(0, Math.min(per, spec.connections - t * per));
    const worker = new Worker(new URL(import.meta.url), { workerData: { spec, first: t * per, count } });
    worker.once('message', (n: number) => resolve(n));
    worker.once('error', reject);
  })));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    requests: counts.reduce((a, b) => a + b, 0),
    wallSeconds: spec.seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

if (!isMainThread && parentPort !== null && (workerData as { spec?: LoadSpec } | null)?.spec !== undefined) {
  const { spec, first, count } = workerData as { spec: LoadSpec; first: number; count: number };
  parentPort.postMessage(await runThread(spec, first, count));
}
