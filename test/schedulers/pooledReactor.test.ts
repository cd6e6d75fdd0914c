import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { PooledReactor, pooledReactor } from '../../schedulers/pooledReactor.js';
import { serve } from '../../schedulers/serve.js';
import { singleReactor } from '../../schedulers/singleReactor.js';
import type { Server, ServerEvent } from '../../schedulers/Topology.js';

const handler = new URL('../fixtures/hashHandler.js', import.meta.url);
// About a third of a second of sha256 on the machines we run on: long enough that a request sent 50 ms
// later must overtake it on a pool, short enough to keep the file fast. Only the order is asserted.
const HEAVY = 'heavy 150000';

const servers: Server[] = [];
const sockets: Socket[] = [];

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.stop({ deadline: 100 })));
});

async function start(scheduler: ReturnType<typeof pooledReactor> | ReturnType<typeof singleReactor>): Promise<{ server: Server; port: number }> {
  const server = await serve(handler, { host: '127.0.0.1', port: 0, scheduler, statsInterval: 50 });
  servers.push(server);
  assert.is(server.address.kind, 'inet');
  return { server, port: (server.address as { port: number }).port };
}

/** A plain node:net client that sends one line per call and resolves with the answer line. */
async function client(port: number): Promise<{ socket: Socket; ask: (line: string) => Promise<string> }> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      waiting.shift()?.(line);
    }
  });
  const ask = (line: string): Promise<string> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(`${line}\n`);
    });
  return { socket, ask };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a heavy request on one connection and, 50 ms later, a light one on another; returns the answer order. */
async function raceLightAgainstHeavy(port: number): Promise<string[]> {
  const a = await client(port);
  const b = await client(port);
  const order: string[] = [];
  const heavy = a.ask(HEAVY).then((answer) => order.push(answer.split(' ')[0]!));
  await pause(50);
  const light = b.ask('light').then((answer) => order.push(answer));
  await Promise.all([heavy, light]);
  return order;
}

test('pooledReactor validates its options', () => {
  assert.is(pooledReactor().kind, 'pooled');
  assert.ok(pooledReactor().workers >= 1);
  assert.instance(pooledReactor({ workers: 3 }), PooledReactor);
  for (const options of [{ workers: 0 }, { workers: 1.5 }, { maxQueue: -1 }]) {
    try {
      pooledReactor(options);
      assert.unreachable(`accepted ${JSON.stringify(options)}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test('pooled: a light request is answered while a heavy one is still hashing on a worker', async () => {
  const { server, port } = await start(pooledReactor({ workers: 2 }));
  // Load the task module in both workers first.
  const [w1, w2] = await Promise.all([client(port), client(port)]);
  await Promise.all([w1.ask('heavy 1000'), w2.ask('heavy 1000')]);

  const a = await client(port);
  const b = await client(port);
  const order: string[] = [];
  const heavy = a.ask(HEAVY).then((answer) => order.push(answer.split(' ')[0]!));
  await pause(50);
  const stats = await firstValueFrom(server.stats$);
  const light = b.ask('light').then((answer) => order.push(answer));
  await Promise.all([heavy, light]);
  assert.equal(order, ['light', 'heavy']);
  assert.is(stats.reactors.length, 1);
  assert.is(stats.reactors[0]!.tasksInFlight, 1, 'the heavy task was on the pool');
});

test('single: the same handler module makes the light request wait behind the heavy one', async () => {
  const { port } = await start(singleReactor());
  assert.equal(await raceLightAgainstHeavy(port), ['heavy', 'light']);
});

test('pooled: a worker killed by its task fails only that request, is reported, and is replaced', async () => {
  const { server, port } = await start(pooledReactor({ workers: 2 }));
  const exits = firstValueFrom(server.events$.pipe(filter((e: ServerEvent) => e.type === 'worker-exit'), take(1), toArray()));
  const { ask } = await client(port);
  assert.is(await ask('light'), 'light');
  assert.is(await ask('die'), `error ${ErrorCode.WORKER_DIED}`);
  const [exit] = await exits;
  assert.equal({ type: exit!.type, reactor: exit!.reactor }, { type: 'worker-exit', reactor: 'main' });
  assert.match((exit as { message: string }).message, /9/);
  // The same connection goes on, and the pool serves new work on both workers.
  assert.is(await ask('light'), 'light');
  const [c1, c2] = await Promise.all([client(port), client(port)]);
  assert.equal(await Promise.all([c1.ask('heavy 1000'), c2.ask('heavy 1000')]).then((r) => r.map((s) => s.split(' ')[0])),
    ['heavy', 'heavy']);
});

test('pooled: stop() lets an in-flight offloaded request finish, then closes the pool and stops listening', async () => {
  const { server, port } = await start(pooledReactor({ workers: 2 }));
  const { socket, ask } = await client(port);
  const answer = ask(HEAVY);
  socket.end(); // the request is the last: the handler completes after answering it
  await pause(50);
  let stopped = false;
  const stopping = server.stop({ deadline: 5000 }).then(() => (stopped = true));
  assert.match(await answer, /^heavy [0-9a-f]{8}$/);
  await stopping;
  assert.ok(stopped);
  servers.splice(servers.indexOf(server), 1);
  const refused = netConnect({ host: '127.0.0.1', port });
  const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.is(error.code, 'ECONNREFUSED');
});

test.run();
