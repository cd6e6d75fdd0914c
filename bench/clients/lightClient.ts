// The fairness scenario's light client: one connection, one RESP PING at a time, for --seconds; prints
// {"count":N,"p50":ms,"p99":ms,"max":ms} of the round-trip times.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';
import { percentile } from '../statistics.js';

const seconds = Number(childControl.arg('seconds'));
const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');
const PONG_BYTES = 7; // "+PONG\r\n"
const samples: number[] = [];
let sentAt = 0;
let pendingBytes = 0;
let deadline = 0;

const socket = net.connect({ port: Number(childControl.arg('port')), host: '127.0.0.1', noDelay: true });
socket.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
socket.on('data', (chunk: Buffer) => {
  pendingBytes -= chunk.length;
  if (pendingBytes > 0) return;
  const now = performance.now();
  samples.push(now - sentAt);
  if (now < deadline) ping();
  else finish();
});
socket.once('connect', () => {
  deadline = performance.now() + seconds * 1000;
  ping();
});

function ping(): void {
  pendingBytes = PONG_BYTES;
  sentAt = performance.now();
  socket.write(PING);
}

function finish(): void {
  const sorted = Float64Array.from(samples).sort();
  childControl.send({ count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN });
  socket.destroy();
  process.exit(0);
}
