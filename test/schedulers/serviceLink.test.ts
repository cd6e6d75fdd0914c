// serviceLink: a sub-reactor's link to its server's service. Between a sub-reactor thread and the main thread it
// is a pair of shared memory rings (RingTransport); from a sub-reactor process it is the service's Unix socket.
// The service module runs in this process (the main thread), so the test reads its open links directly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import { uringSupport } from '../../src/backends/uring/uringSupport.js';
import { multiReactor } from '../../schedulers/multiReactor.js';
import { RingTransport } from '../../schedulers/RingTransport.js';
import { serve } from '../../schedulers/serve.js';
import type { ServeOptions, Server, ServerEvent } from '../../schedulers/Topology.js';
import { links } from '../fixtures/ringService.js';
import { until, within } from '../support/spawned.js';
import { lineClient, type LineClient } from '../support/lineClient.js';

const handler = new URL('../fixtures/ringServiceHandler.js', import.meta.url);
const host = '127.0.0.1';
const servers: Server[] = [];
const sockets: Socket[] = [];

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.stop({ deadline: 100 })));
});

type Client = LineClient;
const client = (port: number): Promise<Client> => lineClient(port, sockets);

/** Connections each sub-reactor has accepted so far. */
async function acceptedBySub(server: Server): Promise<Map<string, number>> {
  const { reactors } = await firstValueFrom(server.stats$);
  return new Map(reactors.filter((r) => r.reactor.startsWith('sub-')).map((r) => [r.reactor, r.accepted]));
}

/** Opens clients (each asking once) until both sub-reactors have served one; returns them with their answers. */
async function clientsOnBothSubs(server: Server, port: number): Promise<{ clients: Client[]; answers: string[] }> {
  const clients: Client[] = [];
  const answers: string[] = [];
  for (let opened = 0; opened < 64; opened++) {
    const c = await client(port);
    clients.push(c);
    answers.push(await c.ask('count'));
    const accepted = await acceptedBySub(server);
    if (accepted.size === 2 && [...accepted.values()].every((n) => n > 0)) return { clients, answers };
  }
  throw new Error('64 clients and still a sub-reactor without one');
}

// Threads where this Node.js (or the io_uring backend) runs them; see multiReactorThreads.test.ts.
const features = await nodeFeatures();
const threadCases: { name: string; accept: 'acceptor' | 'shared'; backend?: ServeOptions['backend'] }[] = [
  ...(features.transferableSockets ? [{ name: 'acceptor threads', accept: 'acceptor' as const }] : []),
  ...(features.reusePort ? [{ name: 'shared threads', accept: 'shared' as const }] : []),
  // The io_uring backend listens with reusePort itself, so shared-accept threads run on Node.js 20 too.
  ...(uringSupport().available ? [{ name: 'shared threads on uring', accept: 'shared' as const, backend: 'uring' as const }] : []),
];

async function start(accept: 'acceptor' | 'shared', threads: boolean, backend?: ServeOptions['backend']): Promise<{ server: Server; port: number }> {
  const server = await serve(handler, {
    host,
    port: 0,
    backend,
    statsInterval: 20,
    scheduler: multiReactor({ reactors: 2, accept, threads }),
  });
  servers.push(server);
  return { server, port: (server.address as { port: number }).port };
}

test('the thread cases that run on this Node.js', () => {
  console.log(`      ${process.version}: ${threadCases.map((c) => c.name).join(', ') || 'no thread case'}`);
  assert.ok(threadCases.length > 0 || !uringSupport().available, 'some thread case runs where io_uring does');
});

test('from sub-reactor processes the link is the service\'s Unix socket', async () => {
  const { server, port } = await start('acceptor', false);
  const { answers } = await clientsOnBothSubs(server, port);
  assert.ok(answers.every((answer) => answer.startsWith('socket 0 ')), answers.join(', '));
});

for (const { name, accept, backend } of threadCases) {
  test(`${name}: every sub-reactor thread links to the service over rings, the service runs on the main thread, one counter for all`, async () => {
    const { server, port } = await start(accept, true, backend);
    const { clients, answers } = await clientsOnBothSubs(server, port);
    const more = await Promise.all(clients.map((c) => c.ask('count')));
    const all = [...answers, ...more].map((answer) => answer.split(' '));
    assert.ok(all.every(([kind, thread]) => kind === 'ring' && thread === '0'), `ring links to thread 0: ${answers.join(', ')}`);
    const counts = all.map(([, , count]) => Number(count)).sort((a, b) => a - b);
    assert.equal(counts.map((n) => n - counts[0]!), counts.map((_, i) => i), 'one counter, every answer counted once');
    // One link per client connection here (the handler opens one each), all of them open.
    assert.is(links.size, clients.length);
  });

  test(`${name}: a crashed thread's links end with it, the others serve on, and its replacement links anew`, async () => {
    const { server, port } = await start(accept, true, backend);
    const { clients } = await clientsOnBothSubs(server, port);
    assert.is(links.size, clients.length);
    const events = firstValueFrom(server.events$.pipe(
      filter((e: ServerEvent) => e.type === 'reactor-exit' || e.type === 'reactor-restart'),
      take(2),
      toArray(),
    ));
    const victim = clients[0]!;
    victim.socket.write('crash\n');
    const [exit, restart] = await within(10_000, 'the exit and the restart', events);
    assert.is(exit!.type, 'reactor-exit');
    assert.is(restart!.type, 'reactor-restart');
    await within(10_000, 'the crashed thread\'s client closing', victim.closed);
    // Every link of the dead thread is torn down in the service: exactly the links of the clients left open.
    const survivors = await until('the dead thread\'s links to end', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const open = clients.filter((c) => !c.isClosed);
      return links.size === open.length ? open : undefined;
    }, 10_000);
    assert.ok(survivors.length > 0 && survivors.length < clients.length, `${survivors.length} of ${clients.length} clients on the thread that lived`);
    for (const c of survivors) assert.match(await c.ask('count'), /^ring 0 \d+$/);
    // New clients reach both threads, the replacement among them, and it links anew.
    const { clients: fresh, answers } = await clientsOnBothSubs(server, port);
    assert.ok(answers.every((answer) => /^ring 0 \d+$/.test(answer)), answers.join(', '));
    assert.is(links.size, survivors.length + fresh.length);
  });

  test(`${name}: a graceful stop ends every link: no thread, link or handle is left, and nothing is reported`, async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Handles by kind (timers aside); the previous test's may still be closing, so after stop none may be new.
    const resources = (): Map<string, number> => {
      const kinds = new Map<string, number>();
      for (const r of process.getActiveResourcesInfo()) if (r !== 'Timeout') kinds.set(r, (kinds.get(r) ?? 0) + 1);
      return kinds;
    };
    const baseline = resources();
    const { server, port } = await start(accept, true, backend);
    const { clients } = await clientsOnBothSubs(server, port);
    assert.ok(RingTransport.openLinks >= clients.length, 'the links hold the loop while open');
    const reported = firstValueFrom(server.events$.pipe(toArray()));
    await within(10_000, 'stop', server.stop({ deadline: 1000 }));
    servers.splice(servers.indexOf(server), 1);
    await within(10_000, 'every client closed', Promise.all(clients.map((c) => c.closed)));
    assert.is(links.size, 0, 'the service has no link left');
    assert.is(RingTransport.openLinks, 0, 'no ring link holds this thread\'s loop');
    // The service's listening socket finishes closing a moment after stop resolves.
    const left = (): [string, number][] => [...resources()].filter(([kind, n]) => n > (baseline.get(kind) ?? 0));
    await until('the last handles closing', () => (left().length === 0 ? true : undefined), 5000, 10).catch(() => undefined);
    assert.equal(left(), [], 'no listener, socket or message port of the server is left');
    assert.equal(await reported, [], 'no handler error, no thread exit');
  });
}

test.run();
