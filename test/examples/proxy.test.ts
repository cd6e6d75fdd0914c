import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect as netConnect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EMPTY, catchError, mergeMap, type Subscription } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { listen } from '../../src/listen.js';
import { serve } from '../../schedulers/serve.js';
import type { Server } from '../../schedulers/Topology.js';
import proxyModule from '../../examples/proxy/handler.js';
import { parseTarget } from '../../examples/proxy/parseTarget.js';
import { proxyHeaderFor } from '../../examples/proxy/proxyHeaderFor.js';
import { encodeProxyHeader } from '../../operators/encodeProxyHeader.js';
import type { SocketAddress } from '../../src/backends/Backend.js';
import { proxyHandler } from '../../examples/proxy/proxyHandler.js';
import { splice } from '../../examples/proxy/splice.js';
import { openConnection } from '../support/sockets.js';

const MiB = 1024 * 1024;
const echoModule = new URL('../../examples/echo/handler.js', import.meta.url);
const proxyModuleUrl = new URL('../../examples/proxy/handler.js', import.meta.url);
const respModule = new URL('../../examples/resp/handler.js', import.meta.url);

const cleanups: (() => unknown)[] = [];
const sockets: Socket[] = [];

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  delete process.env['RXLOOP_PROXY_TARGET'];
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function serveModule(module: URL): Promise<number> {
  const server: Server = await serve(module, { host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.stop({ deadline: 100 }));
  return (server.address as { port: number }).port;
}

/** A plain node:net server on port 0 whose connections `onSocket` handles. */
async function netServer(onSocket: (socket: Socket) => void, options: { pauseOnConnect?: boolean } = {}): Promise<number> {
  const server: NetServer = createServer({ allowHalfOpen: true, ...options }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

interface Proxy {
  readonly port: number;
  /** Proxy-side client connections, in accept order. */
  readonly clients: Connection[];
  /** What the handlers errored with. */
  readonly errors: unknown[];
}

/** The proxy handler on an rxloop `listen`, so a test can watch its connections and handler errors. */
async function startProxy(targetPort: number, options: { sendProxyHeader?: boolean } = {}): Promise<Proxy> {
  const proxy = proxyHandler({ host: '127.0.0.1', port: targetPort, connectTimeout: 2000, ...options });
  const clients: Connection[] = [];
  const errors: unknown[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const running: Subscription = listen({
      host: '127.0.0.1',
      port: 0,
      onListening: (info) => resolve((info.address as { port: number }).port),
    })
      .pipe(
        mergeMap((client) => {
          clients.push(client);
          return proxy(client).pipe(catchError((error: unknown) => {
            errors.push(error);
            return EMPTY;
          }));
        }),
      )
      .subscribe({ error: reject });
    cleanups.push(() => running.unsubscribe());
  });
  return { port, clients, errors };
}

async function dialRaw(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen ?? false });
  sockets.push(socket);
  await once(socket, 'connect');
  return socket;
}

/** Everything a socket receives until its input ends; rejects with the socket's error. */
function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Resolves with the error code a socket fails with, or 'closed' when it closes without one. */
function failure(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => setImmediate(() => resolve('closed')));
    socket.resume();
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('parseTarget reads HOST:PORT and [IPv6]:PORT and rejects anything else with ERR_INVALID_ARGUMENT', () => {
  assert.equal(parseTarget('127.0.0.1:6380'), { host: '127.0.0.1', port: 6380 });
  assert.equal(parseTarget('localhost:1'), { host: 'localhost', port: 1 });
  assert.equal(parseTarget('[::1]:65535'), { host: '::1', port: 65535 });
  for (const bad of ['', '127.0.0.1', ':6380', 'host:0', 'host:65536', 'host:12x', '::1:80', 'a b:80']) {
    try {
      parseTarget(bad);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
      assert.ok((error as Error).message.includes(JSON.stringify(bad)), (error as Error).message);
    }
  }
});

test('the handler module needs RXLOOP_PROXY_TARGET', () => {
  delete process.env['RXLOOP_PROXY_TARGET'];
  try {
    proxyModule(undefined as unknown as Connection);
    assert.unreachable('ran without a target');
  } catch (error) {
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    assert.match((error as Error).message, /RXLOOP_PROXY_TARGET/);
  }
});

test('the handler module, served, proxies to RXLOOP_PROXY_TARGET (an rxloop echo server) and passes the end on', async () => {
  const echoPort = await serveModule(echoModule);
  process.env['RXLOOP_PROXY_TARGET'] = `127.0.0.1:${echoPort}`;
  const proxyPort = await serveModule(proxyModuleUrl);
  const client = await dialRaw(proxyPort, { allowHalfOpen: true });
  const received = readAll(client);
  client.write('hello, ');
  await pause(10);
  client.end('proxy');
  // Our end reaches the echo server, which closes after echoing; its end comes back to us.
  assert.is((await received).toString(), 'hello, proxy');
});

test('8 MiB of random bytes go through the proxy to an echo server and back intact', async () => {
  const proxy = await startProxy(await serveModule(echoModule));
  const client = await dialRaw(proxy.port, { allowHalfOpen: true });
  const data = randomBytes(8 * MiB);
  const received = readAll(client);
  client.end(data);
  const echoed = await received;
  assert.is(echoed.length, data.length);
  assert.ok(echoed.equals(data), 'the echoed bytes equal the sent bytes');
  assert.equal(proxy.errors, []);
});

test('full duplex: 8 MiB each way at the same time, each side ending after its part, arrive intact', async () => {
  const up = randomBytes(8 * MiB);
  const down = randomBytes(8 * MiB);
  let targetGot: Promise<Buffer> | undefined;
  const targetPort = await netServer((socket) => {
    targetGot = readAll(socket);
    socket.end(down);
  });
  const proxy = await startProxy(targetPort);
  const client = await dialRaw(proxy.port, { allowHalfOpen: true });
  const clientGot = readAll(client);
  client.end(up);
  const [fromTarget, atTarget] = [await clientGot, await until(() => targetGot)];
  assert.ok(fromTarget.equals(down), 'the client got the target bytes intact');
  assert.ok(atTarget.equals(up), 'the target got the client bytes intact');
  assert.equal(proxy.errors, []);
});

/** Polls until `get` returns something (a connection accepted, a handler error reported). */
async function until<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500 && get() === undefined; i++) await pause(10);
  const value = get();
  assert.ok(value !== undefined, 'the awaited value appeared');
  return value;
}

/**
 * Joins a client and a target through `splice` on a proxy we can inspect, makes the receiving end stop
 * reading, and pushes 32 MiB from the sending end. Returns once the flow has stalled.
 */
async function stallThroughProxy(direction: 'client-to-target' | 'target-to-client') {
  const total = 32 * MiB;
  const block = randomBytes(MiB);
  let targetSocket: Socket | undefined;
  const targetPort = await netServer((socket) => {
    targetSocket = socket;
  }, { pauseOnConnect: direction === 'client-to-target' });
  let pair: { client: Connection; target: Connection } | undefined;
  const proxyPort = await new Promise<number>((resolve) => {
    const running = listen({ host: '127.0.0.1', port: 0, onListening: (i) => resolve((i.address as { port: number }).port) })
      .pipe(mergeMap(async (client) => {
        const target = await openConnection({ host: '127.0.0.1', port: targetPort });
        pair = { client, target };
        const spliced = splice(client, target).subscribe({ error: () => undefined });
        cleanups.push(() => spliced.unsubscribe());
      }))
      .subscribe();
    cleanups.push(() => running.unsubscribe());
  });
  const client = await dialRaw(proxyPort);
  const { client: proxyClient, target: proxyTarget } = await until(() => pair);
  const target = await until(() => targetSocket);
  const [sender, receiver] = direction === 'client-to-target' ? [client, target] : [target, client];
  const [proxyIn, proxyOut] = direction === 'client-to-target' ? [proxyClient, proxyTarget] : [proxyTarget, proxyClient];
  if (direction === 'target-to-client') receiver.pause();

  // Everything is handed to the sender's socket at once: what the network does not take waits in its buffer.
  for (let sent = 0; sent < total; sent += MiB) sender.write(block);
  let maxBuffered = 0;
  let stable = 0;
  let last = -1;
  for (let i = 0; i < 400 && stable < 8; i++) {
    await pause(25);
    maxBuffered = Math.max(maxBuffered, proxyIn.demand.readableLength + proxyOut.demand.writableLength);
    stable = proxyIn.bytesRead === last && !proxyIn.demand.reading ? stable + 1 : 0;
    last = proxyIn.bytesRead;
  }
  return { total, block, sender, receiver, proxyIn, proxyOut, maxBuffered, stalled: stable >= 8 };
}

for (const direction of ['client-to-target', 'target-to-client'] as const) {
  test(`backpressure ${direction}: a receiver that does not read stalls the sender; the proxy buffers little`, async () => {
    const { total, block, sender, receiver, proxyIn, proxyOut, maxBuffered, stalled } = await stallThroughProxy(direction);
    assert.ok(stalled, 'the proxy stopped reading from the sending side');
    assert.is(proxyIn.demand.reading, false);
    assert.ok(proxyIn.demand.holds >= 1, 'sendTo holds the sending side while the other is backed up');
    assert.is(proxyOut.demand.writable, false, 'the receiving side of the proxy is backed up');
    assert.ok(maxBuffered <= 2 * MiB, `the proxy buffered up to ${(maxBuffered / MiB).toFixed(2)} MiB`);
    assert.ok(sender.writableLength > 0, 'the sender\'s writes backed up in its own process');
    assert.ok(proxyIn.bytesRead < total, `the proxy read ${proxyIn.bytesRead} of ${total} bytes while stalled`);

    // Once the receiver reads, everything arrives, in order.
    const expected = createHash('sha256');
    for (let sent = 0; sent < total; sent += MiB) expected.update(block);
    const hash = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve) => {
      receiver.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (received >= total) resolve();
      });
    });
    receiver.resume();
    await done;
    assert.is(received, total);
    assert.is(hash.digest('hex'), expected.digest('hex'));
  });
}

test('half-close, client first: the target sees the end and can still answer; its end reaches the client', async () => {
  const targetPort = await netServer((socket) => {
    let request = '';
    socket.on('data', (chunk: Buffer) => (request += chunk.toString()));
    socket.on('end', () => {
      socket.write(`got ${request}`);
      setTimeout(() => socket.end(' (late)'), 20);
    });
  });
  const proxy = await startProxy(targetPort);
  const client = await dialRaw(proxy.port, { allowHalfOpen: true });
  const closed = once(client, 'close');
  const received = readAll(client);
  client.end('question');
  assert.is((await received).toString(), 'got question (late)');
  await closed;
  assert.equal(proxy.errors, []);
});

test('half-close, target first: the client sees the end and can still send; its end reaches the target', async () => {
  let targetGot: Promise<Buffer> | undefined;
  const targetPort = await netServer((socket) => {
    targetGot = readAll(socket);
    socket.end('banner');
  });
  const proxy = await startProxy(targetPort);
  const client = await dialRaw(proxy.port, { allowHalfOpen: true });
  const closed = once(client, 'close');
  const received = readAll(client);
  assert.is((await received).toString(), 'banner');
  client.write('still ');
  await pause(10);
  client.end('talking');
  assert.is((await until(() => targetGot)).toString(), 'still talking');
  await closed;
  assert.equal(proxy.errors, []);
});

test('a reset by the client aborts the target connection, and the handler errors with ERR_CONNECTION_RESET', async () => {
  let targetSocket: Socket | undefined;
  const targetPort = await netServer((socket) => {
    targetSocket = socket;
  });
  const proxy = await startProxy(targetPort);
  const client = await dialRaw(proxy.port);
  client.write('x');
  const targetFailure = failure(await until(() => targetSocket));
  client.resetAndDestroy();
  assert.is(await targetFailure, 'ECONNRESET');
  await until(() => proxy.errors[0]);
  assert.is((proxy.errors[0] as RxloopError).code, ErrorCode.CONNECTION_RESET);
});

test('a reset by the target aborts the client connection', async () => {
  const targetPort = await netServer((socket) => {
    setTimeout(() => socket.resetAndDestroy(), 20);
  });
  const proxy = await startProxy(targetPort);
  const client = await dialRaw(proxy.port);
  assert.is(await failure(client), 'ECONNRESET');
  await until(() => proxy.errors[0]);
  assert.is((proxy.errors[0] as RxloopError).code, ErrorCode.CONNECTION_RESET);
});

test('a reset by the target after its end is passed on at the next write (nobody reads an ended input)', async () => {
  const targetPort = await netServer((socket) => {
    socket.end('bye');
    setTimeout(() => socket.resetAndDestroy(), 20);
  });
  const proxy = await startProxy(targetPort);
  const client = await dialRaw(proxy.port, { allowHalfOpen: true });
  assert.is((await readAll(client)).toString(), 'bye');
  await pause(50);
  const failed = failure(client);
  // The first write reaches the proxy, whose write to the target fails; the proxy resets the client, and one
  // of the next writes fails with that reset.
  const writing = setInterval(() => client.write('more'), 10);
  try {
    assert.ok(['ECONNRESET', 'EPIPE'].includes(await failed), 'the client saw the reset');
  } finally {
    clearInterval(writing);
  }
  await until(() => proxy.errors[0]);
  assert.is((proxy.errors[0] as RxloopError).code, ErrorCode.CONNECTION_RESET);
});

test('a refused target closes the client, and the handler errors with ERR_CONNECT_REFUSED', async () => {
  const proxy = await startProxy(await closedPort());
  const client = await dialRaw(proxy.port);
  assert.is((await readAll(client)).length, 0);
  await until(() => proxy.errors[0]);
  assert.is((proxy.errors[0] as RxloopError).code, ErrorCode.CONNECT_REFUSED);
  assert.is(proxy.clients.length, 1);
});

test('PING, SET and GET through the proxy in front of the RESP example', async () => {
  assert.ok(existsSync(fileURLToPath(respModule)), 'the RESP example is built (dist/examples/resp/handler.js)');
  const proxy = await startProxy(await serveModule(respModule));
  const client = await dialRaw(proxy.port);
  let buffered = '';
  client.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  const replies = async (expected: string): Promise<void> => {
    for (let i = 0; i < 300 && buffered.length < expected.length; i++) await pause(10);
    assert.is(buffered, expected);
    buffered = '';
  };
  client.write('*1\r\n$4\r\nPING\r\n');
  await replies('+PONG\r\n');
  client.write('*3\r\n$3\r\nSET\r\n$5\r\nproxy\r\n$6\r\nworked\r\n');
  await replies('+OK\r\n');
  client.write('*2\r\n$3\r\nGET\r\n$5\r\nproxy\r\n');
  await replies('$6\r\nworked\r\n');
  assert.equal(proxy.errors, []);
});

test('clients that do not read, behind the proxy, cannot make the RESP target build their replies: memory stays bounded', async () => {
  // Issue 13's red-team row: through the proxy, non-reading clients once grew the target to 6.7 GB. The proxy's
  // sendTo stops reading the target while a client's writes back up, and the target paces its replies by its
  // socket, so 2 x 2,000 GETs of a 1 MB value (4 GB of replies) cost about a few write buffers.
  const proxy = await startProxy(await serveModule(respModule));
  const value = 'v'.repeat(1_000_000);
  const setter = await dialRaw(proxy.port);
  let answer = '';
  setter.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  setter.write(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${value.length}\r\n${value}\r\n`);
  for (let i = 0; i < 1000 && answer !== '+OK\r\n'; i++) await pause(10);
  assert.is(answer, '+OK\r\n');
  const before = process.memoryUsage().rss;
  const greedy: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const client = await dialRaw(proxy.port);
    client.pause();
    client.write('GET big\r\n'.repeat(2000));
    greedy.push(client);
  }
  await pause(1500); // whatever would be built is built in the turns right after the reads
  answer = '';
  setter.write('PING\r\n');
  for (let i = 0; i < 1000 && answer !== '+PONG\r\n'; i++) await pause(10);
  assert.is(answer, '+PONG\r\n', 'the others are still served');
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 512 * MiB, `proxy and target grew by ${(grown / MiB).toFixed(0)} MiB for 4 GB of unread replies`);
  // One of them reads now: its replies arrive whole and in order.
  let seen = 0;
  let head = '';
  greedy[0]!.on('data', (chunk: Buffer) => {
    if (head.length < 20) head += chunk.toString('latin1', 0, 20);
    seen += chunk.length;
  });
  greedy[0]!.resume();
  for (let i = 0; i < 2000 && seen < 10 * (value.length + 13); i++) await pause(10);
  assert.ok(seen >= 10 * (value.length + 13), `ten replies arrived (${seen} bytes)`);
  assert.ok(head.startsWith(`$${value.length}\r\nvvvv`), JSON.stringify(head));
  assert.equal(proxy.errors, []);
});

// Issue 16: the proxy can speak for its clients to a target behind it, as HAProxy's send-proxy-v2 does.
const inet = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: address.includes(':') ? 'IPv6' : 'IPv4', address, port });

test('sendProxyHeader: the target gets a PROXY v2 header naming the client and the proxy\'s address, then the client\'s bytes', async () => {
  const received: Buffer[] = [];
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const targetPort = await netServer((socket) => {
    socket.on('data', (chunk: Buffer) => received.push(chunk)).on('end', () => {
      ended();
      socket.end();
    });
  });
  const proxy = await startProxy(targetPort, { sendProxyHeader: true });
  const client = await dialRaw(proxy.port, { allowHalfOpen: true });
  client.write('hello, ');
  await pause(10);
  client.end('target');
  await done;
  const header = encodeProxyHeader({
    version: 2,
    command: 'proxy',
    source: inet(client.localAddress!, client.localPort!),
    destination: inet('127.0.0.1', proxy.port),
  });
  const bytes = Buffer.concat(received);
  assert.equal([...bytes.subarray(0, header.length)], [...header], 'the header, byte for byte');
  assert.is(bytes.subarray(header.length).toString(), 'hello, target');
  assert.equal(proxy.errors, []);
});

test('proxyHeaderFor: a LOCAL header when the addresses are not IP of one family; IPv4-mapped IPv6 is IPv4', () => {
  const of = (remoteAddress: SocketAddress | undefined, localAddress: SocketAddress | undefined): Connection =>
    ({ remoteAddress, localAddress }) as unknown as Connection;
  const local = encodeProxyHeader({ version: 2, command: 'local' });
  const unix: SocketAddress = { kind: 'unix', path: '/run/app.sock' };
  assert.equal([...proxyHeaderFor(of(unix, unix))], [...local]);
  assert.equal([...proxyHeaderFor(of(undefined, inet('10.0.0.1', 80)))], [...local]);
  assert.equal([...proxyHeaderFor(of(inet('2001:db8::1', 4000), inet('10.0.0.1', 80)))], [...local]);
  const mapped = proxyHeaderFor(of(inet('::ffff:203.0.113.9', 4000), inet('::ffff:10.0.0.1', 80)));
  assert.equal([...mapped], [...encodeProxyHeader({ version: 2, command: 'proxy', source: inet('203.0.113.9', 4000), destination: inet('10.0.0.1', 80) })]);
  const v6 = proxyHeaderFor(of(inet('2001:db8::1', 4000), inet('2001:db8::2', 443)));
  assert.equal([...v6], [...encodeProxyHeader({ version: 2, command: 'proxy', source: inet('2001:db8::1', 4000), destination: inet('2001:db8::2', 443) })]);
});

test('the served handler module with RXLOOP_PROXY_SEND_PROXY_V2=1, in front of the RESP example with proxyProtocol: CLIENT INFO names the client', async () => {
  const resp: Server = await serve(respModule, { host: '127.0.0.1', port: 0, proxyProtocol: { trusted: ['127.0.0.1'] } });
  cleanups.push(() => resp.stop({ deadline: 100 }));
  process.env['RXLOOP_PROXY_TARGET'] = `127.0.0.1:${(resp.address as { port: number }).port}`;
  process.env['RXLOOP_PROXY_SEND_PROXY_V2'] = '1';
  cleanups.push(() => delete process.env['RXLOOP_PROXY_SEND_PROXY_V2']);
  const proxyPort = await serveModule(proxyModuleUrl);
  const client = await dialRaw(proxyPort);
  let text = '';
  client.on('data', (chunk: Buffer) => (text += chunk.toString()));
  client.write('CLIENT INFO\r\n');
  for (let i = 0; i < 300 && !text.endsWith('\n\r\n'); i++) await pause(10);
  assert.match(text, new RegExp(` addr=127\\.0\\.0\\.1:${client.localPort} `), text);
});

test.run();
