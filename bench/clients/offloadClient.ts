// The offload scenario's load: --connections connections, each with one request in flight at a time, for
// --seconds. One request in --heavyEvery is heavy (`H...`, many SHA-256 rounds), the rest light (`L...`).
// Prints {"requests":N,"rps":...,"lightP50":ms,"lightP99":ms,"heavyP50":ms}.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';
import { percentile } from '../statistics.js';

const port = Number(childControl.arg('port'));
const connections = Number(childControl.arg('connections', '16'));
const seconds = Number(childControl.arg('seconds'));
const heavyEvery = Number(childControl.arg('heavyEvery', '8'));
const HEAVY = Buffer.from('Hpayload-heavy\n');
const LIGHT = Buffer.from('Lpayload-light\n');
const light: number[] = [];
const heavy: number[] = [];
let requests = 0;
let open = connections;
let started = 0;
let deadline = 0;

function client(index: number): void {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  let sequence = index;
  let sentAt = 0;
  let isHeavy = false;
  let partial = 0;
  const send = (): void => {
    isHeavy = sequence++ % heavyEvery === 0;
    sentAt = performance.now();
    socket.write(isHeavy ? HEAVY : LIGHT);
  };
  socket.on('error', (error) => {
    console.error(error);
    process.exit(1);
  });
  socket.on('data', (chunk: Buffer) => {
    // Replies are one line each (64 hex digits + \n), one in flight: count newlines.
    let lines = 0;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    partial += lines;
    if (partial === 0) return;
    partial = 0;
    const now = performance.now();
    (isHeavy ? heavy : light).push(now - sentAt);
    requests++;
    if (now < deadline) send();
    else {
      socket.destroy();
      if (--open === 0) finish();
    }
  });
  socket.once('connect', send);
}

function finish(): void {
  const elapsed = (performance.now() - started) / 1000;
  const lightSorted = Float64Array.from(light).sort();
  const heavySorted = Float64Array.from(heavy).sort();
  childControl.send({
    requests,
    rps: requests / elapsed,
    lightP50: percentile(lightSorted, 50),
    lightP99: percentile(lightSorted, 99),
    heavyP50: percentile(heavySorted, 50),
  });
  process.exit(0);
}

started = performance.now();
deadline = started + seconds * 1000;
for (let i = 0; i < connections; i++) client(i);
