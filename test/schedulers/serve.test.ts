import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { relative as relativePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { filter, firstValueFrom } from 'rxjs';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { multiReactor } from '../../schedulers/multiReactor.js';
import { pooledReactor } from '../../schedulers/pooledReactor.js';
import { serve } from '../../schedulers/serve.js';
import { singleReactor } from '../../schedulers/singleReactor.js';
import type { ServeOptions, Server, ServerEvent, ServerStats, Topology } from '../../schedulers/Topology.js';
import { withUring } from '../support/backendCases.js';
import { MAX_REQUEST } from '../fixtures/serveRequests.js';
import { answer } from '../fixtures/serveTasks.js';

// One suite, run unchanged under every topology: the handler modules and the assertions are the same, only
// the scheduler given to serve() differs. Each topology starts one echo server and one request server and
// reuses them across its cases (a multi-reactor costs about half a second per start).

const echoModule = new URL('../fixtures/serveEcho.js', import.meta.url);
const requestsModule = new URL('../fixtures/serveRequests.js', import.meta.url);
const drainAwareModule = new URL('../fixtures/serveDrainAware.js', import.meta.url);
const backendNameModule = new URL('../fixtures/serveBackendName.js', import.meta.url);
const host = '127.0.0.1';

/** A failure message carries the seed, so a failing run can be replayed with SEED=<n>. */
const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);

/** mulberry32: a small seeded generator, so the random data and fragmentation are reproducible. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rng: () => number, n: number): Buffer {
  const bytes = Buffer.allocUnsafe(n + 3);
  for (let i = 0; i < n; i += 4) bytes.writeUInt32LE(Math.floor(rng() * 4294967296), i);
  return bytes.subarray(0, n);
}

/** Rejects when `promise` has not settled in `ms`: a guard against hanging, not a timing assertion. */
async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms (seed ${seed})`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes `data` in random fragments: random sizes, sometimes a turn of the loop between two of them. */
async function writeFragmented(socket: Socket, data: Buffer, rng: () => number, maxFragment = 16 * 1024): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const end = Math.min(data.length, offset + 1 + Math.floor(rng() * maxFragment));
    const ok = socket.write(data.subarray(offset, end));
    offset = end;
    if (!ok) await once(socket, 'drain');
    else if (rng() < 0.3) await nextTurn();
  }
}

/** One request frame: `[u32 length][u32 seq][u16 rounds][payload]`. */
function request(seq: number, rounds: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(10 + payload.length);
  frame.writeUInt32BE(6 + payload.length, 0);
  frame.writeUInt32BE(seq, 4);
  frame.writeUInt16BE(rounds, 8);
  payload.copy(frame, 10);
  return frame;
}

/** Random requests `0..n-1` and the wire bytes that carry them. */
function requests(rng: () => number, n: number, maxRounds: number): { frames: Buffer[]; wire: Buffer } {
  const frames: Buffer[] = [];
  for (let seq = 0; seq < n; seq++) {
    frames.push(request(seq, Math.floor(rng() * maxRounds), randomBytes(rng, Math.floor(rng() * 2000))));
  }
  return { frames, wire: Buffer.concat(frames) };
}

/** A plain node:net client of the length-prefixed protocol: collects reply bodies in arrival order. */
class FrameClient {
  readonly replies: Buffer[] = [];
  /** Resolves once the socket has closed, with whether it closed on an error. */
  readonly closed: Promise<boolean>;
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { count: number; resolve: () => void } | undefined;
  private isClosed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    this.closed = new Promise((resolve) =>
      socket.once('close', (hadError: boolean) => {
        this.isClosed = true;
        this.waiter?.resolve();
        resolve(hadError);
      }),
    );
  }

  /** Resolves with the replies once `count` have arrived (or, with fewer, once the socket has closed). */
  async until(count: number): Promise<Buffer[]> {
    if (this.replies.length < count && !this.isClosed) {
      await new Promise<void>((resolve) => {
        this.waiter = { count, resolve };
      });
    }
    return this.replies;
  }

  /** Sends one request and resolves with its reply. */
  async ask(seq: number, rounds = 0, payload: Buffer = Buffer.from('ping')): Promise<Buffer> {
    const next = this.replies.length;
    this.socket.write(request(seq, rounds, payload));
    const replies = await within(this.until(next + 1), `reply to request ${seq}`);
    assert.ok(replies.length > next, `request ${seq} got a reply before the connection closed`);
    return replies[next]!;
  }

  private take(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + length) break;
      this.replies.push(this.buffered.subarray(4, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
    }
    if (this.waiter !== undefined && (this.replies.length >= this.waiter.count)) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }
}

/**
 * Checks the replies to `frames`: one each, in request order on this connection, with the digest the pure
 * task function gives; returns the thread ids that computed them.
 */
function checkReplies(replies: readonly Buffer[], frames: readonly Buffer[], firstIndex = 0): Set<number> {
  assert.is(replies.length, frames.length, `one reply per request (seed ${seed})`);
  const threads = new Set<number>();
  for (let i = 0; i < frames.length; i++) {
    const reply = replies[i]!;
    const expected = answer(frames[i]!.subarray(4));
    assert.is(reply.length, 44);
    assert.is(reply.readUInt32BE(0), firstIndex + i, 'the reactor emitted the replies in request order');
    assert.is(reply.readUInt32BE(4), i, 'reply i answers request i');
    assert.ok(reply.subarray(12).equals(expected.subarray(8)), `reply ${i} has the right digest (seed ${seed})`);
    threads.add(reply.readUInt32BE(8));
  }
  return threads;
}

function portOf(server: Server): number {
  assert.is(server.address.kind, 'inet');
  return (server.address as { port: number }).port;
}

function totals(stats: ServerStats): { connections: number; accepted: number; bytesIn: number; bytesOut: number } {
  let connections = 0;
  let accepted = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  for (const r of stats.reactors) {
    connections += r.connections;
    bytesIn += r.bytesIn;
    bytesOut += r.bytesOut;
    // The acceptor counts the connections it handed to the sub-reactors, which count them again.
    if (r.reactor !== 'acceptor') accepted += r.accepted;
  }
  return { connections, accepted, bytesIn, bytesOut };
}

/** Polls `stats$` until `check` holds; stats of other processes arrive asynchronously. */
async function eventually(server: Server, check: (stats: ServerStats) => boolean, what: string): Promise<ServerStats> {
  let last: ServerStats | undefined;
  for (let i = 0; i < 250; i++) {
    last = await within(firstValueFrom(server.stats$), 'a stats snapshot');
    if (check(last)) return last;
    await sleep(20);
  }
  assert.unreachable(`${what}; last stats: ${JSON.stringify(last)}`);
  throw new Error('unreachable');
}

/** Whether a new connection is refused, trying a few times while a stop propagates to other processes. */
async function refusesConnections(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const outcome = await new Promise<'refused' | 'connected' | 'other'>((resolve) => {
      const socket = netConnect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'other'));
    });
    if (outcome === 'refused') return true;
    await sleep(20);
  }
  return false;
}

interface TopologyCase {
  readonly name: string;
  readonly make: () => Topology;
  /** The reactor names its stats report. */
  readonly reactors: readonly string[];
  /** Whether `offload` runs on worker threads. */
  readonly pooled: boolean;
  /** Whether the reactors are threads of this process (each connection is then served on one of them). */
  readonly threads?: boolean;
  /** The backend serve is given by name (absent: serve's default, the node backend). */
  readonly backend?: ThreadBackend;
}

type ThreadBackend = 'node' | 'uring';

// Sub-reactor threads on each backend where this Node.js can run them (found by trying, as multiReactor does):
// the node backend needs sockets that move to threads (acceptor) or a reusePort that works (shared); the uring
// backend runs both on any line: it listens with SO_REUSEPORT itself (shared), and the acceptor thread hands
// each accepted socket's descriptor to the sub-reactor's ring (acceptor). Where a pair cannot run, the case is
// a test that expects exactly the coded error instead. The uring cases run
// wherever io_uring is available, and always under CI, where a missing ring fails them loudly.
const features = await nodeFeatures();
const threadBackends: readonly ThreadBackend[] = withUring ? ['node', 'uring'] : ['node'];
const threadCases = threadBackends.flatMap((backend) => [
  { backend, accept: 'acceptor' as const, reactors: ['acceptor', 'sub-0', 'sub-1'], supported: backend === 'uring' || features.transferableSockets },
  { backend, accept: 'shared' as const, reactors: ['sub-0', 'sub-1'], supported: backend === 'uring' || features.reusePort },
]);

const topologies: TopologyCase[] = [
  { name: 'singleReactor()', make: () => singleReactor(), reactors: ['main'], pooled: false },
  { name: 'pooledReactor({ workers: 2 })', make: () => pooledReactor({ workers: 2 }), reactors: ['main'], pooled: true },
  {
    name: "multiReactor({ reactors: 2, accept: 'acceptor' })",
    make: () => multiReactor({ reactors: 2, accept: 'acceptor' }),
    reactors: ['acceptor', 'sub-0', 'sub-1'],
    pooled: false,
  },
  {
    name: "multiReactor({ reactors: 2, accept: 'shared' })",
    make: () => multiReactor({ reactors: 2, accept: 'shared' }),
    reactors: ['sub-0', 'sub-1'],
    pooled: false,
  },
  ...threadCases.filter((c) => c.supported).map(({ backend, accept, reactors }) => ({
    name: `multiReactor({ reactors: 2, accept: '${accept}', threads: true }) with backend '${backend}'`,
    make: () => multiReactor({ reactors: 2, accept, threads: true }),
    reactors,
    pooled: false,
    threads: true,
    backend,
  })),
];

/** serve() of `module` on a fresh instance of the topology, with the topology's backend. */
function serveOn(topology: TopologyCase, module: URL, options: Omit<ServeOptions, 'scheduler' | 'backend'> = { host, port: 0 }): Promise<Server> {
  return serve(module, { ...options, scheduler: topology.make(), ...(topology.backend === undefined ? {} : { backend: topology.backend }) });
}

interface Context {
  echo: Server;
  requests: Server;
  backendName: Server;
  sockets: Socket[];
  rng: () => number;
}

function sharedSuite(topology: TopologyCase, index: number): void {
  const s = suite<Context>(`serve on ${topology.name}`, {} as Context);

  const open = async (ctx: Context, server: Server): Promise<Socket> => {
    const socket = netConnect({ host, port: portOf(server) });
    ctx.sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    await within(once(socket, 'connect'), 'connect');
    return socket;
  };

  s.before(async (ctx) => {
    const options = { host, port: 0, statsInterval: 20 };
    [ctx.echo, ctx.requests, ctx.backendName] = await Promise.all([
      serveOn(topology, echoModule, options),
      serveOn(topology, requestsModule, options),
      serveOn(topology, backendNameModule),
    ]);
    ctx.sockets = [];
    ctx.rng = random(seed + index);
  });

  s.after.each((ctx) => {
    for (const socket of ctx.sockets.splice(0)) socket.destroy();
  });

  s.after(async (ctx) => {
    await Promise.all([ctx.echo, ctx.requests, ctx.backendName].map((server) => server?.stop({ deadline: 100 })));
  });

  s(`every connection is served by the ${topology.backend ?? 'node'} backend, on whichever reactor it lands`, async (ctx) => {
    const names = await Promise.all([0, 1, 2, 3].map(async () => {
      const socket = await open(ctx, ctx.backendName);
      let text = '';
      socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
      await within(once(socket, 'close'), 'the backend name and the close');
      return text;
    }));
    assert.equal(names, new Array(4).fill(`${topology.backend ?? 'node'}\n`));
  });

  s('echo: random data in random fragments from several concurrent clients comes back once and in order', async (ctx) => {
    const clients = [0, 1, 2, 3, 4].map(async () => {
      // Each client draws from its own generator, so a seed replays its fragmentation too.
      const rng = random(Math.floor(ctx.rng() * 4294967296));
      const data = randomBytes(rng, 64 * 1024 + Math.floor(rng() * 192 * 1024));
      const socket = await open(ctx, ctx.echo);
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const closed = once(socket, 'close') as Promise<[boolean]>;
      await writeFragmented(socket, data, rng);
      // Half-close: the echo of everything sent still comes back after our end of output.
      socket.end();
      const [hadError] = await within(closed, 'echo close');
      assert.not.ok(hadError, 'the server closed in order');
      const echoed = Buffer.concat(received);
      assert.is(echoed.length, data.length, `every byte came back once (seed ${seed})`);
      assert.ok(echoed.equals(data), `the bytes came back in order (seed ${seed})`);
    });
    await Promise.all(clients);
  });

  s('requests: many pipelined requests per connection are answered in order, on the pool where there is one', async (ctx) => {
    const threads = new Set<number>();
    const perConnection: Set<number>[] = [];
    await Promise.all([0, 1, 2].map(async () => {
      const rng = random(Math.floor(ctx.rng() * 4294967296));
      const { frames, wire } = requests(rng, 300, 64);
      const client = new FrameClient(await open(ctx, ctx.requests));
      await writeFragmented(client.socket, wire, rng, 4096);
      const replies = await within(client.until(frames.length), 'all replies');
      const computedOn = checkReplies(replies, frames);
      perConnection.push(computedOn);
      for (const thread of computedOn) threads.add(thread);
    }));
    if (topology.pooled) {
      assert.not.ok(threads.has(0), 'no request was computed on the reactor thread');
      assert.is(threads.size, 2, 'both pool workers computed answers');
    } else if (topology.threads) {
      // Each connection's reactor is a sub-reactor thread: its requests were all computed there, inline.
      for (const computedOn of perConnection) assert.is(computedOn.size, 1, 'one connection, one reactor thread');
      assert.not.ok(threads.has(0), 'nothing was computed on the main thread');
    } else {
      assert.equal([...threads], [0], 'every request was computed on the reactor thread');
    }
  });

  s('half-close: a client that ends its output after its requests still gets every reply, then an orderly close', async (ctx) => {
    const { frames, wire } = requests(ctx.rng, 50, 200);
    const client = new FrameClient(await open(ctx, ctx.requests));
    client.socket.end(wire);
    const hadError = await within(client.closed, 'close after the last reply');
    assert.not.ok(hadError);
    checkReplies(client.replies, frames);
  });

  s('a request longer than the decoder allows closes only its connection; the others keep working', async (ctx) => {
    const handlerError = within(
      firstValueFrom(ctx.requests.events$.pipe(filter((e: ServerEvent) => e.type === 'handler-error'))),
      'the handler-error event',
    );
    const good = new FrameClient(await open(ctx, ctx.requests));
    const bad = new FrameClient(await open(ctx, ctx.requests));
    assert.is((await good.ask(0)).readUInt32BE(4), 0);
    assert.is((await bad.ask(0)).readUInt32BE(4), 0);

    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(MAX_REQUEST + 1, 0);
    bad.socket.write(header);
    assert.not.ok(await within(bad.closed, 'the bad connection closing'), 'closed in order');
    assert.is(bad.replies.length, 1, 'nothing answered the oversized request');
    const event = await handlerError;
    assert.is(event.type, 'handler-error');
    assert.is((event as { code: string }).code, ErrorCode.FRAME_TOO_LONG);
    assert.ok(topology.reactors.includes(event.reactor) && event.reactor !== 'acceptor', `reported by ${event.reactor}`);

    // The connection that was open all along, and a new one, are still served.
    assert.is((await good.ask(1, 3)).readUInt32BE(4), 1);
    const fresh = new FrameClient(await open(ctx, ctx.requests));
    assert.is((await fresh.ask(7)).readUInt32BE(4), 7);
  });

  s('stats$ reports the reactors, their open connections and the bytes in and out', async (ctx) => {
    const before = await eventually(ctx.echo, (stats) => totals(stats).connections === 0, 'earlier connections closed');
    assert.equal(before.reactors.map((r) => r.reactor), topology.reactors);
    const base = totals(before);

    const sizes = [10_000, 20_000, 30_000];
    const sockets = await Promise.all(sizes.map(async (size) => {
      const socket = await open(ctx, ctx.echo);
      let echoed = 0;
      const done = new Promise<void>((resolve) =>
        socket.on('data', (chunk: Buffer) => {
          echoed += chunk.length;
          if (echoed === size) resolve();
        }),
      );
      socket.write(randomBytes(ctx.rng, size));
      await within(done, 'the echo');
      return socket;
    }));
    const sent = sizes.reduce((a, b) => a + b, 0);
    const after = await eventually(ctx.echo, (stats) => {
      const t = totals(stats);
      return t.connections === 3 && t.accepted - base.accepted === 3 &&
        t.bytesIn - base.bytesIn === sent && t.bytesOut - base.bytesOut === sent;
    }, `3 open connections, ${sent} bytes in and out`);
    if (topology.reactors.includes('acceptor')) {
      // Round-robin hands three connections to two sub-reactors: both have some.
      assert.ok(after.reactors.filter((r) => r.reactor !== 'acceptor').every((r) => r.connections > 0));
    }
    if (topology.pooled) assert.type(after.reactors[0]!.tasksInFlight, 'number');

    for (const socket of sockets) socket.end();
    await eventually(ctx.echo, (stats) => totals(stats).connections === 0, 'the connections closed');
  });

  s('a handler that drains itself is told and closes politely; one that never closes is reset at the deadline', async (ctx) => {
    const server = await serveOn(topology, drainAwareModule);
    const polite = await open(ctx, server);
    const stubborn = await open(ctx, server);
    const heard = (socket: Socket): Promise<{ text: string; end: string }> => new Promise((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.once('end', () => resolve({ text, end: 'end' }));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve({ text, end: error.code ?? 'error' }));
    });
    const politeHeard = heard(polite);
    const stubbornHeard = heard(stubborn);
    polite.write('hi ');
    stubborn.write('stay ');
    await within(new Promise<void>((resolve) => {
      let seen = 0;
      const count = (): void => {
        if (++seen === 2) resolve();
      };
      polite.once('data', count);
      stubborn.once('data', count);
    }), 'both echoes');
    const stopped = server.stop({ deadline: 300 });
    assert.equal(await within(politeHeard, 'the polite close'), { text: 'hi bye\n', end: 'end' }, 'told, then closed in order');
    // The one that keeps its connection open is still served while the server drains...
    stubborn.write('still');
    const cut = await within(stubbornHeard, 'the deadline');
    assert.match(cut.text, /^stay still$/);
    // ... until the deadline resets it: never a FIN that would look like a complete reply.
    assert.is(cut.end, 'ECONNRESET');
    await within(stopped, 'stop');
  });

  s('stop() drains: what was read is answered, nothing more is read, each connection ends in order; new ones are refused', async (ctx) => {
    const port = portOf(ctx.requests);
    const client = new FrameClient(await open(ctx, ctx.requests));
    assert.is((await client.ask(0)).readUInt32BE(4), 0, 'warmed up');
    // Requests that cost a millisecond or so each, so that some are still being computed when stop begins.
    const { frames, wire } = requests(ctx.rng, 40, 1500);
    client.socket.write(wire);
    await within(client.until(2), 'the first in-flight reply');
    const stopping = ctx.requests.stop({ deadline: 10_000 });
    assert.ok(await within(refusesConnections(port), 'refusal'), 'new connections are refused once stop has begun');
    // The handler does not drain itself, so the server reads no more: it answers what it had read, whole and
    // in order, and closes in order without waiting for the client (an idle connection does not hold the stop).
    assert.not.ok(await within(client.closed, 'the orderly close'), 'closed in order, before the client ended');
    const replies = client.replies.slice(1);
    assert.ok(replies.length >= 1 && replies.length <= frames.length, `${replies.length} of ${frames.length} answered`);
    // The reactor's index counts the warm-up request too.
    checkReplies(replies, frames.slice(0, replies.length), 1);
    await within(stopping, 'stop', 10_000);
  });

  s.run();
}

topologies.forEach(sharedSuite);

for (const { backend, accept, supported } of threadCases.filter((c) => !c.supported)) {
  test(`multiReactor({ accept: '${accept}', threads: true }) with backend '${backend}' fails with ERR_UNSUPPORTED on ${process.version}, saying what it needs`, async () => {
    const topology = multiReactor({ reactors: 2, accept, threads: true });
    const error = await serve(echoModule, { host, port: 0, backend, scheduler: topology }).then(() => undefined, (e: unknown) => e);
    assert.not.ok(supported);
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.UNSUPPORTED);
    assert.match((error as RxloopError).message, accept === 'acceptor' ? /Node\.js 24\.20 or later/ : /reusePort .*22\.12 or later/);
    assert.equal(topology.subReactors(), [], 'no thread is left');
  });
}

test('serve rejects a missing options object and a handler module that is not a path or URL', async () => {
  const cases: [unknown, unknown][] = [
    [echoModule, undefined],
    [echoModule, null],
    ['', { port: 0 }],
    [42, { port: 0 }],
  ];
  for (const [module, options] of cases) {
    const error = await serve(module as string, options as ServeOptions).then(() => undefined, (e: unknown) => e);
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    assert.match((error as RxloopError).message, /^serve expected/);
  }
});

for (const make of [() => singleReactor(), () => pooledReactor({ workers: 1 })]) {
  test(`serve on ${make().kind} rejects a module that does not load, and one without a default export`, async () => {
    const missing = new URL('../fixtures/serveMissing.js', import.meta.url);
    const error = await serve(missing, { host, port: 0, scheduler: make() }).then(() => undefined, (e: unknown) => e);
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    assert.match((error as RxloopError).message, /serveMissing\.js failed to load/);
    assert.ok((error as RxloopError).cause, 'the import error is kept as the cause');

    const noDefault = new URL('../fixtures/serveNoDefault.js', import.meta.url);
    const error2 = await serve(noDefault, { host, port: 0, scheduler: make() }).then(() => undefined, (e: unknown) => e);
    assert.instance(error2, RxloopError);
    assert.is((error2 as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    assert.match((error2 as RxloopError).message, /export a function as default, got undefined/);
  });
}

test('a relative path is resolved against the current directory', async () => {
  const relative = `./${relativePath(process.cwd(), fileURLToPath(echoModule))}`;
  const server = await serve(relative, { host, port: 0 });
  try {
    const socket = netConnect({ host, port: portOf(server) });
    socket.end('hi');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await within(once(socket, 'close'), 'echo');
    assert.is(Buffer.concat(chunks).toString(), 'hi');
  } finally {
    await server.stop({ deadline: 100 });
  }
});

test.run();
