// Pushes bytes over one TCP connection as fast as the peer takes them (with write backpressure), then ends it.
//   --connect PORT   connect to 127.0.0.1:PORT     --listen   accept one connection (prints {"ready":true,"port":N})
//   --bytes N        how many bytes               --seconds S   stop early after S seconds (default 600)
// Prints {"sent":bytes handed to the kernel,"seconds":...,"cpu":...} when done and exits.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';

const total = Number(childControl.arg('bytes'));
const limitMs = Number(childControl.arg('seconds', '600')) * 1000;
const block = Buffer.alloc(1 << 20, 0x61);

function drainOrTimeout(socket: net.Socket, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), Math.max(0, deadline - performance.now()));
    const onDrain = (): void => finish(true);
    const onClose = (): void => finish(false);
    function finish(drained: boolean): void {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(drained);
    }
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

async function pump(socket: net.Socket): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + limitMs;
  let queued = 0;
  let timedOut = false;
  while (queued < total && !socket.destroyed) {
    const n = Math.min(block.length, total - queued);
    const ok = socket.write(n === block.length ? block : block.subarray(0, n));
    queued += n;
    if (performance.now() > deadline) {
      timedOut = true;
      break;
    }
    if (!ok && !(await drainOrTimeout(socket, deadline))) {
      timedOut = !socket.destroyed;
      break;
    }
  }
  const sent = queued - socket.writableLength;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (timedOut) {
    socket.destroy();
  } else {
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
  }
  childControl.send({ sent, seconds, timedOut, cpu: (used.user + used.system) / 1e6 });
  process.exit(0);
}

if (childControl.flag('listen')) {
  const server = net.createServer({ noDelay: true }, (socket) => {
    server.close();
    socket.on('error', () => undefined);
    void pump(socket);
  });
  server.listen(0, '127.0.0.1', () => {
    childControl.send({ ready: true, port: (server.address() as net.AddressInfo).port });
  });
} else {
  const socket = net.connect({ port: Number(childControl.arg('connect')), host: '127.0.0.1', noDelay: true });
  socket.on('error', () => undefined);
  socket.once('connect', () => void pump(socket));
}
