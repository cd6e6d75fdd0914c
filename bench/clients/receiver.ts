// Receives a known number of bytes and reports how fast, in one of several ways:
//   plain-onread   net.connect with onread into one reused 64 KiB buffer
//   plain-data     net.connect with 'data' events
//   rx-data        rxloop connect(), Connection.data$
//   rx-proactor    rxloop connect(), proactor() with a pool of 4 x 64 KiB leases, released at once
//   rx-proactor-accepted   rxloop listen(), proactor() (the accepted-socket path); prints {"ready":true,"port":N}
//   rx-proactor-uring      rx-proactor on the uring backend: the kernel receives into its provided buffer ring, lent as leases
//   rx-data-uring          rx-data on the uring backend: multishot receives into the provided buffer ring
// Args: --mode M --bytes N [--port P] [--buffers N (proactor leases, default 4)]. Prints {"bytes","seconds","cpu","reads"} (timed from the first byte).
import * as net from 'node:net';
import { connect } from '../../src/connect.js';
import { selectBackend } from '../../src/backends/selectBackend.js';
import type { Connection } from '../../src/Connection.js';
import { listen } from '../../src/listen.js';
import { proactor } from '../../operators/proactor.js';
import { childControl } from '../servers/childControl.js';

const mode = childControl.arg('mode');
const total = Number(childControl.arg('bytes'));
let received = 0;
let reads = 0;
let started = 0;
let cpu: NodeJS.CpuUsage | undefined;

function count(bytes: number): void {
  if (started === 0) {
    started = performance.now();
    cpu = process.cpuUsage();
  }
  received += bytes;
  reads++;
  if (received >= total) finish();
}

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  childControl.send({ bytes: received, seconds, reads, cpu: (used.user + used.system) / 1e6 });
  process.exit(0);
}

const port = (): number => Number(childControl.arg('port'));
const pool = { bufferSize: 65536, buffers: Number(childControl.arg('buffers', '4')) };

if (mode === 'plain-onread') {
  const buffer = Buffer.allocUnsafe(65536);
  const socket = net.connect({ port: port(), host: '127.0.0.1', onread: { buffer, callback: (n: number) => { count(n); return true; } } });
  socket.on('error', (error) => { console.error(error); process.exit(1); });
} else if (mode === 'plain-data') {
  const socket = net.connect({ port: port(), host: '127.0.0.1' });
  socket.on('data', (chunk: Buffer) => count(chunk.length));
  socket.on('error', (error) => { console.error(error); process.exit(1); });
} else if (mode === 'rx-data' || mode === 'rx-data-uring') {
  const backend = selectBackend(mode === 'rx-data' ? 'node' : 'uring');
  connect({ port: port(), host: '127.0.0.1', backend }).subscribe({
    next: (connection: Connection) => connection.data$.subscribe({ next: (chunk) => count(chunk.length) }),
    error: (error: unknown) => { console.error(error); process.exit(1); },
  });
} else if (mode === 'rx-proactor' || mode === 'rx-proactor-uring') {
  const backend = selectBackend(mode === 'rx-proactor' ? 'node' : 'uring');
  connect({ port: port(), host: '127.0.0.1', backend }).pipe(proactor(pool)).subscribe({
    next: (lease) => {
      count(lease.length);
      lease.release();
    },
    error: (error: unknown) => { console.error(error); process.exit(1); },
  });
} else if (mode === 'rx-proactor-accepted') {
  listen({ host: '127.0.0.1', port: 0, onListening: (server) => {
    childControl.send({ ready: true, port: server.address.kind === 'inet' ? server.address.port : 0 });
  } }).pipe(proactor(pool)).subscribe({
    next: (lease) => {
      count(lease.length);
      lease.release();
    },
    error: (error: unknown) => { console.error(error); process.exit(1); },
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
