// multiReactor({ threads: true }): sub-reactors as worker threads of this process. What the one-handler suite
// (serve.test.ts) does not show: one process and N+1 threads, offload inline in the sub-reactor thread, a
// thread that throws or exits replaced while the other serves on, and nothing left after stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import { withUring } from '../support/backendCases.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { multiReactor, type MultiReactor } from '../../schedulers/multiReactor.js';
import type { MultiReactorOptions } from '../../schedulers/MultiReactorOptions.js';
import { serve } from '../../schedulers/serve.js';
import type { Server, ServerEvent } from '../../schedulers/Topology.js';
import { lineClient, type LineClient } from '../support/lineClient.js';
import { networkDescriptors, openSockets } from '../support/descriptors.js';
import { until } from '../support/waitAndBytes.js';

const handler = new URL('../fixtures/threadRequests.js', import.meta.url);
const host = '127.0.0.1';
const features = await nodeFeatures();
// The node backend where this line moves sockets (acceptor) or shares ports (shared); the uring backend on every
// line (its acceptor hands descriptors over, its threads listen with SO_REUSEPORT themselves), and always under CI.
const modes = [
  { accept: 'acceptor' as const, backend: 'node' as const, supported: features.transferableSockets },
  { accept: 'shared' as const, backend: 'node' as const, supported: features.reusePort },
  { accept: 'acceptor' as const, backend: 'uring' as const, supported: withUring },
  { accept: 'shared' as const, backend: 'uring' as const, supported: withUring },
];

const servers: Server[] = [];
const sockets: Socket[] = [];

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.stop({ deadline: 100 })));
});

/** Rejects when `promise` has not settled in `ms`: a guard against hanging, not a timing assertion. */
async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

type Client = LineClient;
const client = (port: number): Promise<Client> => lineClient(port, sockets);

/** The thread that serves a client: its process id must be ours. */
async function threadOf(c: Client): Promise<number> {
  const [pid, thread] = (await c.ask('where')).split(' ').map(Number);
  assert.is(pid, process.pid, 'served in this process');
  return thread!;
}

/** Opens clients until they are served by `count` different threads (the kernel spreads shared accepts). */
async function clientsOnThreads(port: number, count: number, exclude: readonly number[] = []): Promise<Map<number, Client>> {
  const found = new Map<number, Client>();
  for (let attempt = 0; attempt < 200 && found.size < count; attempt++) {
    const c = await client(port);
    const thread = await threadOf(c);
    if (!found.has(thread) && !exclude.includes(thread)) found.set(thread, c);
    else c.socket.destroy();
  }
  assert.is(found.size, count, `clients reached ${count} threads`);
  return found;
}

async function start(options: MultiReactorOptions, backend: 'node' | 'uring' = 'node'): Promise<{ server: Server; topology: MultiReactor; port: number }> {
  const topology = multiReactor({ reactors: 2, threads: true, ...options });
  const server = await serve(handler, { host, port: 0, scheduler: topology, statsInterval: 20, backend });
  servers.push(server);
  return { server, topology, port: (server.address as { port: number }).port };
}

const threadIds = (topology: MultiReactor): number[] => topology.subReactors().map((sub) => sub.threadId!);

test('the feature probe agrees with the Node.js lines that move sockets to threads (24.20 on) and share ports (22.12 on)', () => {
  // The oracle of this file: were the probe wrong, the thread cases would quietly turn into error cases.
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
  assert.is(features.transferableSockets, atLeast(24, 20), 'transferable sockets');
  assert.is(features.reusePort, atLeast(22, 12), 'reusePort');
  const running = modes.filter((m) => m.supported).map((m) => m.accept);
  console.log(`      ${process.version}: thread cases run for ${running.join(' and ') || 'no accept mode'}; the others expect ERR_UNSUPPORTED (serve.test.ts)`);
});

test('threads: a boolean option; shared accept on a Unix path is refused before anything starts', async () => {
  assert.is(multiReactor({ threads: true }).settings.threads, true);
  assert.is(multiReactor().settings.threads, false, 'processes stay the default');
  try {
    multiReactor({ threads: 'yes' as unknown as boolean });
    assert.unreachable('accepted threads: "yes"');
  } catch (error) {
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    assert.match((error as RxloopError).message, /multiReactor threads expected a boolean/);
  }
  const topology = multiReactor({ reactors: 2, threads: true, accept: 'shared' });
  const error = await serve(handler, { path: join(tmpdir(), `rxloop-threads-${process.pid}.sock`), scheduler: topology })
    .then(() => undefined, (e: unknown) => e);
  assert.instance(error, RxloopError);
  assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  assert.match((error as RxloopError).message, /expected a TCP port .* got the Unix path/);
  assert.equal(topology.subReactors(), []);
});

for (const { accept, backend } of modes.filter((m) => m.supported)) {
  const on = `${accept} on ${backend}`;
  test(`${on}: one process, N+1 threads; each connection is served on a sub-reactor thread, offload runs inline there`, async () => {
    const { topology, port } = await start({ accept, reactors: 3 }, backend);
    const subs = topology.subReactors();
    assert.equal(subs.map((s) => s.reactor), ['sub-0', 'sub-1', 'sub-2']);
    assert.ok(subs.every((s) => s.pid === process.pid), 'every sub-reactor is in this process');
    assert.is(new Set(threadIds(topology)).size, 3, 'three threads, none of them the main one');
    assert.not.ok(threadIds(topology).includes(0));
    const clients = await clientsOnThreads(port, 3);
    assert.equal([...clients.keys()].sort(), threadIds(topology).sort());
    for (const [thread, c] of clients) {
      const [digest, computedOn] = (await c.ask('hash 5')).split(' ');
      assert.match(digest!, /^[0-9a-f]{64}$/);
      assert.is(Number(computedOn), thread, 'the offloaded task ran on the connection\'s own thread');
    }
  });

  for (const [crash, exitCode] of [['throw', 1], ['exit 3', 3]] as const) {
    test(`${on}: a sub-reactor thread that ${crash === 'throw' ? 'throws' : 'exits'} is replaced while the other serves on`, async () => {
      const { server, topology, port } = await start({ accept }, backend);
      const before = threadIds(topology);
      const [[victimThread, victim], [survivorThread, survivor]] = [...(await clientsOnThreads(port, 2)).entries()];
      const reactor = topology.subReactors().find((s) => s.threadId === victimThread)!.reactor;
      const events = firstValueFrom(server.events$.pipe(
        filter((e: ServerEvent) => e.type === 'reactor-exit' || e.type === 'reactor-restart'),
        take(2),
        toArray(),
      ));
      victim!.socket.write(`${crash}\n`);
      assert.equal(await within(events, 'the exit and the restart'), [
        { type: 'reactor-exit', reactor, exitCode, signal: null },
        { type: 'reactor-restart', reactor },
      ]);
      await within(victim!.closed, 'the crashed thread\'s connection closing');
      // The other thread's connection was served throughout, and this process is alive and well.
      assert.is(await survivor!.ask('ping'), 'pong');
      assert.is(await threadOf(survivor!), survivorThread);
      const after = threadIds(topology);
      assert.is(after.length, 2);
      const replacement = after.find((id) => !before.includes(id));
      assert.ok(replacement !== undefined, 'a new thread took the crashed one\'s place');
      // New connections reach the replacement (round-robin, or the kernel's spread over the shared port).
      const reached = await clientsOnThreads(port, 1, [survivorThread!]);
      assert.equal([...reached.keys()], [replacement]);
    });
  }

  test(`${on}: restart: false reports the exit and serves on with the thread left`, async () => {
    const { server, topology, port } = await start({ accept, restart: false }, backend);
    const [[victimThread, victim], [survivorThread]] = [...(await clientsOnThreads(port, 2)).entries()];
    const exit = firstValueFrom(server.events$);
    victim!.socket.write('exit 7\n');
    const event = await within(exit, 'the exit');
    assert.equal(event, { type: 'reactor-exit', reactor: event.reactor, exitCode: 7, signal: null });
    assert.equal(threadIds(topology), [survivorThread]);
    assert.not.ok(threadIds(topology).includes(victimThread!));
    for (let i = 0; i < 4; i++) assert.is(await threadOf(await client(port)), survivorThread);
  });

  test(`${on}: after a graceful stop no thread and no handle is left`, async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const baseline = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').sort();
    const { server, topology, port } = await start({ accept }, backend);
    const clients = await clientsOnThreads(port, 2);
    const ends = [...clients.values()].map((c) => c.closed);
    assert.ok(process.getActiveResourcesInfo().includes('MessagePort'), 'the threads are linked while they run');
    await within(server.stop({ deadline: 1000 }), 'stop');
    servers.splice(servers.indexOf(server), 1);
    await within(Promise.all(ends), 'every connection closed');
    assert.equal(topology.subReactors(), [], 'every thread has exited');
    const left = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').sort();
    assert.equal(left, baseline, 'no listener, socket or message port of the server is left');
    const events = await firstValueFrom(server.events$.pipe(toArray()));
    assert.equal(events, [], 'a graceful stop is not reported as thread exits');
  });
}

/** This process's open sockets (rings left out: a thread's ring comes with its first connection). */
const socketCount = (): number => networkDescriptors().filter((d) => d.includes('=socket:')).length;
const left = (what: string) => (): string => `${what}; open now: ${networkDescriptors().join(' ')}`;

// A connection posted to a thread that never reads it: on uring the descriptor travels by number and stays the
// main thread's until the thread acknowledges it (what a thread never read is closed at its exit, nothing is
// closed twice); on the node backend the socket's handle is transferred, and Node.js closes a handle whose
// message is never read when the thread's port goes.
for (const backend of ['uring', 'node'] as const) {
  if (backend === 'uring' ? !withUring : !features.transferableSockets) continue;
  for (const ending of ['exits', 'is terminated by the stop'] as const) {
    test(`acceptor on ${backend}: a thread that ${ending} before it reads its connections leaves no descriptor, and their clients see the close`, async () => {
      const before = openSockets();
      const dir = mkdtempSync(join(tmpdir(), 'rxloop-hold-'));
      try {
        const { server, topology, port } = await start({ accept: 'acceptor', reactors: 1, restart: false }, backend);
        const holder = await client(port);
        assert.is(await holder.ask('ping'), 'pong');
        // The thread blocks: what is posted to it from now on queues unread.
        holder.socket.write(`hold ${dir} 5\n`);
        await until(() => existsSync(join(dir, 'held')), 'the thread blocked', 10_000);
        const baseline = openSockets();
        const waiting = await Promise.all(Array.from({ length: 8 }, () => client(port)));
        // This thread accepts (the test runs on the acceptor): each client is its socket and what was posted (the
        // duplicate the uring acceptor keeps, or the socket that moves on node; either is this process's).
        await until(() => openSockets() === baseline + 2 * waiting.length, left('every connection accepted and posted'), 10_000);
        assert.ok(waiting.every((c) => !c.isClosed), 'nobody served them');
        if (ending === 'exits') {
          const exited = firstValueFrom(server.events$.pipe(filter((e: ServerEvent) => e.type === 'reactor-exit'), take(1)));
          writeFileSync(join(dir, 'release'), '');
          assert.equal(await within(exited, 'the exit'), { type: 'reactor-exit', reactor: 'sub-0', exitCode: 5, signal: null });
        } else {
          // The stop message is never read either: after its deadline (and the grace) the thread is terminated.
          await within(server.stop({ deadline: 100 }), 'the stop');
          servers.splice(servers.indexOf(server), 1);
          assert.equal(topology.subReactors(), [], 'the thread is gone');
        }
        await within(Promise.all(waiting.map((c) => c.closed)), 'the waiting clients see their connections closed');
        await within(holder.closed, 'the blocked thread\'s own connection closing');
        for (const socket of sockets.splice(0)) socket.destroy();
        if (ending === 'exits') {
          await within(server.stop({ deadline: 100 }), 'the stop');
          servers.splice(servers.indexOf(server), 1);
        }
        await until(() => openSockets() <= before, left(`back to ${before} sockets and rings`), 10_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

if (withUring) {
  test('acceptor on uring: many connections served and closed leave no descriptor while it runs, nor after stop', async () => {
    const before = openSockets();
    const { server, port } = await start({ accept: 'acceptor', reactors: 2 }, 'uring');
    // The listening socket; every travelled descriptor is closed on its thread's acknowledgement, not at the end.
    const listening = socketCount();
    for (let round = 0; round < 5; round++) {
      const clients = await Promise.all(Array.from({ length: 40 }, () => client(port)));
      const answers = await Promise.all(clients.map((c) => c.ask('ping')));
      assert.ok(answers.every((a) => a === 'pong'), `round ${round}: every client served`);
      for (const c of clients) c.socket.end();
      await within(Promise.all(clients.map((c) => c.closed)), `round ${round}: every connection closed`);
      sockets.splice(0);
      await until(() => socketCount() === listening, left(`round ${round}: back to the ${listening} listening socket(s)`), 10_000);
    }
    await within(server.stop({ deadline: 1000 }), 'the stop');
    servers.splice(servers.indexOf(server), 1);
    await until(() => openSockets() <= before, left(`back to ${before} sockets and rings`), 10_000);
  });
}

test.run();
