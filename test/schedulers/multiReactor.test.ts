import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, toArray } from 'rxjs';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { MultiReactor, multiReactor } from '../../schedulers/multiReactor.js';
import type { MultiReactorOptions } from '../../schedulers/MultiReactorOptions.js';
import { serve } from '../../schedulers/serve.js';
import type { ReactorStats, Server, ServerEvent } from '../../schedulers/Topology.js';

const requests = new URL('../fixtures/multiReactorRequests.js', import.meta.url);
const echo = new URL('../fixtures/multiReactorEcho.js', import.meta.url);
const orphanParent = fileURLToPath(new URL('../fixtures/multiReactorOrphanParent.js', import.meta.url));

const servers: Server[] = [];
const sockets: Socket[] = [];
const processes: ChildProcess[] = [];
/** Every sub-reactor process id seen in this file: none may be alive when it ends. */
const seenPids = new Set<number>();

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of processes.splice(0)) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((server) => server.stop({ deadline: 100 })));
});

interface Started {
  readonly server: Server;
  readonly topology: MultiReactor;
  readonly port: number;
}

async function start(options: MultiReactorOptions, handler: URL = requests): Promise<Started> {
  const topology = multiReactor({ reactors: 2, ...options });
  const server = await serve(handler, { host: '127.0.0.1', port: 0, scheduler: topology, statsInterval: 20 });
  servers.push(server);
  for (const { pid } of topology.subReactors()) seenPids.add(pid);
  assert.is(server.address.kind, 'inet');
  return { server, topology, port: (server.address as { port: number }).port };
}

/** A plain node:net line client: `ask` sends one line and resolves with the next answer line. */
interface Client {
  readonly socket: Socket;
  ask(line: string): Promise<string>;
  /** Resolves with the answer lines still to come once the server closes. */
  readonly rest: Promise<string[]>;
}

async function client(target: number | string): Promise<Client> {
  const socket = typeof target === 'number' ? netConnect({ host: '127.0.0.1', port: target }) : netConnect({ path: target });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let buffered = '';
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(line);
      else lines.push(line);
    }
  });
  const rest = new Promise<string[]>((resolve) => socket.once('close', () => resolve(lines)));
  const ask = (line: string): Promise<string> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(`${line}\n`);
    });
  return { socket, ask, rest };
}

/** Which sub-reactor serves a client, by the process id the handler reports. */
async function reactorOf(topology: MultiReactor, c: Client): Promise<string> {
  const pid = Number(await c.ask('pid'));
  const sub = topology.subReactors().find((s) => s.pid === pid);
  assert.ok(sub, `pid ${pid} is one of the sub-reactors`);
  return sub.reactor;
}

async function stats(server: Server): Promise<Map<string, ReactorStats>> {
  const snapshot = await firstValueFrom(server.stats$);
  return new Map(snapshot.reactors.map((r) => [r.reactor, r]));
}

/** Waits (by polling stats) until `check` holds; the server's state reaches the main process asynchronously. */
async function eventually(server: Server, check: (s: Map<string, ReactorStats>) => boolean): Promise<Map<string, ReactorStats>> {
  for (let i = 0; i < 200; i++) {
    const s = await stats(server);
    if (check(s)) return s;
    await pause(10);
  }
  throw new Error('the stats never reached the expected state');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // An exited child nobody has reaped yet still answers signal 0; it is gone all the same.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pids: Iterable<number>, within = 5000): Promise<boolean> {
  const until = Date.now() + within;
  while (Date.now() < until) {
    if (![...pids].some(alive)) return true;
    await pause(20);
  }
  return false;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

test('multiReactor applies its defaults and rejects bad options with ERR_INVALID_ARGUMENT', () => {
  const topology = multiReactor();
  assert.is(topology.kind, 'multi');
  assert.equal(topology.settings, {
    reactors: Math.max(1, availableParallelism()),
    accept: 'acceptor',
    balance: 'round-robin',
    restart: true,
    threads: false,
  });
  const bad: unknown[] = [{ reactors: 0 }, { reactors: 1.5 }, { accept: 'kernel' }, { balance: 'random' }, { restart: 'yes' }, { threads: 1 }];
  for (const options of bad) {
    try {
      multiReactor(options as MultiReactorOptions);
      assert.unreachable(`accepted ${JSON.stringify(options)}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
      assert.match((error as RxloopError).message, /multiReactor \w+ expected/);
    }
  }
});

test('serve on a multi-reactor rejects TLS, a backend and a bad endpoint before starting anything', async () => {
  const topology = multiReactor({ reactors: 1 });
  const cases = [
    { host: '127.0.0.1', port: 0, tls: {} },
    { host: '127.0.0.1', port: 0, backend: { name: 'embedded' } },
    { host: '127.0.0.1', port: 70000 },
  ];
  for (const options of cases) {
    const error = await serve(requests, { ...(options as object), scheduler: topology }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  }
  assert.equal(topology.subReactors(), []);
});

test('start fails with the sub-reactor error when the handler module does not load, and leaves no process', async () => {
  const topology = multiReactor({ reactors: 2 });
  const error = await serve(new URL('../fixtures/multiReactorMissing.js', import.meta.url), {
    host: '127.0.0.1',
    port: 0,
    scheduler: topology,
  }).then(() => undefined, (e: unknown) => e);
  assert.instance(error, RxloopError);
  assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  assert.match((error as RxloopError).message, /multiReactorMissing/);
  assert.equal(topology.subReactors(), []);
});

test('start fails with ERR_ADDRESS_IN_USE when the port is taken, and stops its sub-reactors', async () => {
  const taken: NetServer = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const port = (taken.address() as { port: number }).port;
  try {
    const topology = multiReactor({ reactors: 1, accept: 'shared' });
    const error = await serve(requests, { host: '127.0.0.1', port, scheduler: topology }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.ADDRESS_IN_USE);
    assert.equal(topology.subReactors(), []);
  } finally {
    taken.close();
  }
});

test('acceptor mode: connections go round-robin over both sub-reactors on one port, half-close works', async () => {
  const { server, topology, port } = await start({ accept: 'acceptor' });
  const clients = await Promise.all([1, 2, 3, 4].map(() => client(port)));
  const served: string[] = [];
  for (const c of clients) served.push(await reactorOf(topology, c));
  assert.equal(served.slice().sort(), ['sub-0', 'sub-0', 'sub-1', 'sub-1']);
  assert.is.not(served[0], served[1]);

  const s = await eventually(server, (m) => m.get('sub-0')?.connections === 2 && m.get('sub-1')?.connections === 2);
  assert.equal([...s.keys()], ['acceptor', 'sub-0', 'sub-1']);
  assert.is(s.get('acceptor')!.accepted, 4);
  assert.is(s.get('sub-0')!.accepted, 2);
  assert.is(s.get('sub-1')!.accepted, 2);
  assert.ok(s.get('sub-0')!.bytesIn > 0 && s.get('sub-0')!.bytesOut > 0);

  // End of input leaves output open: the handler answers after the peer's FIN, across the hand-off.
  const [first] = clients;
  first!.socket.end('slow 30\n');
  assert.equal(await first!.rest, ['slow 30', 'bye 2']);
});

test('acceptor mode with least-connections sends new connections to the least loaded sub-reactor', async () => {
  const { server, topology, port } = await start({ accept: 'acceptor', balance: 'least-connections' });
  const a = await client(port);
  const b = await client(port);
  const c = await client(port);
  assert.equal([await reactorOf(topology, a), await reactorOf(topology, b), await reactorOf(topology, c)], ['sub-0', 'sub-1', 'sub-0']);
  b.socket.end();
  await b.rest;
  await eventually(server, (m) => m.get('sub-1')?.connections === 0);
  await stats(server); // one more round trip: the load report sent before it has arrived too
  const d = await client(port);
  const e = await client(port);
  // Round-robin would now alternate; least-connections fills sub-1 up to sub-0's two.
  assert.equal([await reactorOf(topology, d), await reactorOf(topology, e)], ['sub-1', 'sub-1']);
});

test('shared mode: both sub-reactors accept on one port themselves, the main process accepts nothing', async () => {
  const { server, topology, port } = await start({ accept: 'shared' });
  const served = new Set<string>();
  let opened = 0;
  let last: Client | undefined;
  // The kernel picks the sub-reactor; keep connecting until both have been picked.
  while (served.size < 2 && opened < 200) {
    last = await client(port);
    opened++;
    served.add(await reactorOf(topology, last));
  }
  assert.equal([...served].sort(), ['sub-0', 'sub-1']);
  const s = await eventually(server, (m) => (m.get('sub-0')?.connections ?? 0) + (m.get('sub-1')?.connections ?? 0) === opened);
  assert.equal([...s.keys()], ['sub-0', 'sub-1']);
  assert.is(s.get('sub-0')!.accepted + s.get('sub-1')!.accepted, opened);
  assert.is((server as unknown as { accepted: number }).accepted, 0, 'no connection went through the main process');

  // Connections a sub-reactor accepts itself are half-open too: answers still flow after the peer's FIN.
  last!.socket.end('slow 30\n');
  assert.equal(await last!.rest, ['slow 30', 'bye 2']);
});

for (const accept of ['acceptor', 'shared'] as const) {
  test(`${accept} mode: a killed sub-reactor is reported and replaced, the other's connections keep working`, async () => {
    const { server, topology, port } = await start({ accept });
    const events: ServerEvent[] = [];
    server.events$.subscribe((event) => events.push(event));
    const restarted = firstValueFrom(server.events$.pipe(filter((event) => event.type === 'reactor-restart')));

    const clients: Client[] = [];
    const byReactor = new Map<string, Client>();
    while (byReactor.size < 2 && clients.length < 200) {
      const c = await client(port);
      clients.push(c);
      byReactor.set(await reactorOf(topology, c), c);
    }
    const victim = topology.subReactors().find((s) => s.reactor === 'sub-0')!;
    process.kill(victim.pid, 'SIGKILL');
    await byReactor.get('sub-0')!.rest; // its connections die with it

    assert.is(await byReactor.get('sub-1')!.ask('ping'), 'pong');
    assert.equal(await restarted, { type: 'reactor-restart', reactor: 'sub-0' });
    assert.equal(events[0], { type: 'reactor-exit', reactor: 'sub-0', exitCode: null, signal: 'SIGKILL' });
    const replacement = topology.subReactors().find((s) => s.reactor === 'sub-0')!;
    assert.is.not(replacement.pid, victim.pid);
    seenPids.add(replacement.pid);
    assert.not.ok(alive(victim.pid));

    // The survivor's connection is still fine, and new connections reach the replacement too.
    assert.is(await byReactor.get('sub-1')!.ask('ping'), 'pong');
    const served = new Set<string>();
    for (let i = 0; served.size < 2 && i < 200; i++) served.add(await reactorOf(topology, await client(port)));
    assert.equal([...served].sort(), ['sub-0', 'sub-1']);
  });
}

test('shared mode with one sub-reactor: its replacement listens on the same port again', async () => {
  const { server, topology, port } = await start({ accept: 'shared', reactors: 1 });
  const restarted = firstValueFrom(server.events$.pipe(filter((event) => event.type === 'reactor-restart')));
  const victim = topology.subReactors()[0]!;
  process.kill(victim.pid, 'SIGKILL');
  await restarted;
  const replacement = topology.subReactors()[0]!;
  seenPids.add(replacement.pid);
  assert.is.not(replacement.pid, victim.pid);
  assert.is(await (await client(port)).ask('ping'), 'pong');
});

test('acceptor mode enforces maxConnections for the whole server', async () => {
  const topology = multiReactor({ reactors: 2 });
  const server = await serve(requests, { host: '127.0.0.1', port: 0, scheduler: topology, maxConnections: 2 });
  servers.push(server);
  for (const { pid } of topology.subReactors()) seenPids.add(pid);
  const port = (server.address as { port: number }).port;
  const kept = [await client(port), await client(port)];
  for (const c of kept) assert.is(await c.ask('ping'), 'pong');
  const third = await client(port);
  assert.equal(await third.rest, [], 'the third connection is closed at once');
  const s = await stats(server);
  assert.is(s.get('acceptor')!.accepted, 3);
  assert.is(s.get('acceptor')!.events, 2, 'two connections were handed over');
});

test('restart: false reports the exit and serves on with the sub-reactors left', async () => {
  const { server, topology, port } = await start({ accept: 'acceptor', restart: false });
  const exit = firstValueFrom(server.events$);
  const victim = topology.subReactors()[0]!;
  process.kill(victim.pid, 'SIGTERM');
  assert.equal(await exit, { type: 'reactor-exit', reactor: victim.reactor, exitCode: null, signal: 'SIGTERM' });
  const served = await Promise.all([1, 2, 3].map(async () => reactorOf(topology, await client(port))));
  assert.equal(served, ['sub-1', 'sub-1', 'sub-1']);
  const s = await stats(server);
  assert.equal(s.get('sub-0')!.connections, 0);
});

test('graceful stop: no new connections, open ones answer what they read and end, all exit', async () => {
  const { server, topology, port } = await start({ accept: 'acceptor' });
  const pids = topology.subReactors().map((s) => s.pid);
  const busy = await client(port);
  const idleClient = await client(port);
  await reactorOf(topology, busy);
  await reactorOf(topology, idleClient);
  const slow = busy.ask('slow 300');

  const stopped = server.stop({ deadline: 600 });
  assert.is(server.stop(), stopped, 'stop is idempotent');
  assert.ok(await refused(port), 'new connections are refused once stop has begun');
  // The handler does not drain itself: its input ends at once, so it answers what it has read and says bye.
  assert.is(await slow, 'slow 300');
  assert.equal(await busy.rest, ['bye 2']);
  // The idle connection does not hold the stop until the deadline: it ends in order at once.
  assert.equal(await idleClient.rest, ['bye 1']);
  await stopped;
  assert.ok(await gone(pids, 1000), 'every sub-reactor has exited when stop resolves');
  assert.equal(topology.subReactors(), []);
  const events = await firstValueFrom(server.events$.pipe(toArray()));
  assert.equal(events, [], 'a graceful stop is not reported as reactor exits');
});

test('shared mode on a Unix socket: served by the sub-reactors, the path is removed on stop', async () => {
  const path = join(tmpdir(), `rxloop-multi-${process.pid}.sock`);
  const topology = multiReactor({ reactors: 2, accept: 'shared' });
  const server = await serve(echo, { path, scheduler: topology });
  servers.push(server);
  for (const { pid } of topology.subReactors()) seenPids.add(pid);
  assert.equal(server.address, { kind: 'unix', path });
  const c = await client(path);
  c.socket.end('hello over a unix socket');
  const echoed: Buffer[] = [];
  c.socket.on('data', (chunk: Buffer) => echoed.push(chunk));
  await c.rest;
  assert.is(Buffer.concat(echoed).toString(), 'hello over a unix socket');
  await server.stop({ deadline: 100 });
  assert.not.ok(existsSync(path));
});

test('sub-reactors exit when their main process is killed', async () => {
  const parent = spawn(process.execPath, [orphanParent, 'shared'], { stdio: ['ignore', 'pipe', 'inherit'] });
  processes.push(parent);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    parent.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    parent.once('exit', (code) => reject(new Error(`the main process exited early with code ${code}`)));
  });
  const pids = JSON.parse(line) as number[];
  assert.is(pids.length, 2);
  for (const pid of pids) seenPids.add(pid);
  assert.ok(pids.every(alive));
  parent.kill('SIGKILL');
  assert.ok(await gone(pids), 'no sub-reactor outlives its main process');
});

test('no sub-reactor process is left', async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop({ deadline: 100 })));
  assert.ok(seenPids.size >= 10);
  assert.ok(await gone(seenPids), `still alive: ${[...seenPids].filter(alive).join(', ')}`);
});

test.run();
