// The pub/sub fan-out scenario's load: --subscribers connections SUBSCRIBE to one channel, then one publisher
// connection PUBLISHes --size-byte messages with up to --window PUBLISHes in flight for --seconds. Prints
// {"published":N,"delivered":N,"seconds":s,"lost":N} once every subscriber has received every message (or
// after 10 s more).
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';

const port = Number(childControl.arg('port'));
const subscribers = Number(childControl.arg('subscribers', '100'));
const seconds = Number(childControl.arg('seconds'));
const window = Number(childControl.arg('window', '16'));
const size = Number(childControl.arg('size', '64'));
const channel = 'bench:fanout';
const payload = 'p'.repeat(size);
const publish = Buffer.from(`*3\r\n$7\r\nPUBLISH\r\n$${channel.length}\r\n${channel}\r\n$${size}\r\n${payload}\r\n`);
// What each subscriber receives per message: `*3 $7 message $<ch> <ch> $<n> <payload>`.
const frame = `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${size}\r\n${payload}\r\n`.length;
const confirm = `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`.length;

function fail(error: unknown): never {
  console.error(error);
  process.exit(1);
}

let deliveredBytes = 0;
let subscribed = 0;
const sockets: net.Socket[] = [];
await new Promise<void>((resolve) => {
  for (let i = 0; i < subscribers; i++) {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(socket);
    socket.on('error', fail);
    let confirmed = 0;
    socket.on('data', (chunk: Buffer) => {
      if (confirmed < confirm) {
        const take = Math.min(confirm - confirmed, chunk.length);
        confirmed += take;
        if (confirmed === confirm && ++subscribed === subscribers) resolve();
        deliveredBytes += chunk.length - take;
      } else deliveredBytes += chunk.length;
    });
    socket.once('connect', () => socket.write(`SUBSCRIBE ${channel}\r\n`));
  }
});

const publisher = net.connect({ port, host: '127.0.0.1', noDelay: true });
publisher.on('error', fail);
await new Promise((resolve) => publisher.once('connect', resolve));
let published = 0;
let answered = 0;
let inFlight = 0;
let pending = '';
let stop = false;
const started = performance.now();
const deadline = started + seconds * 1000;
function pump(): void {
  if (stop) return;
  let batch = 0;
  while (inFlight < window) {
    publisher.write(publish);
    inFlight++;
    published++;
    batch++;
  }
  if (batch === 0) return;
}
publisher.setEncoding('latin1');
publisher.on('data', (text: string) => {
  pending += text;
  let end = pending.indexOf('\r\n');
  while (end !== -1) {
    answered++;
    inFlight--;
    pending = pending.slice(end + 2);
    end = pending.indexOf('\r\n');
  }
  if (performance.now() >= deadline) stop = true;
  pump();
  if (stop && inFlight === 0) finish();
});
pump();

async function finish(): Promise<void> {
  const publishSeconds = (performance.now() - started) / 1000;
  const expected = published * subscribers * frame;
  const waitUntil = performance.now() + 10_000;
  while (deliveredBytes < expected && performance.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  childControl.send({
    published,
    answered,
    delivered: Math.floor(deliveredBytes / frame),
    lost: published * subscribers - Math.floor(deliveredBytes / frame),
    publishSeconds,
    seconds,
  });
  for (const socket of sockets) socket.destroy();
  publisher.destroy();
  process.exit(0);
}
