import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { listen } from '../../src/listen.js';
import { HandlerHost } from '../../schedulers/HandlerHost.js';
import { serve } from '../../schedulers/serve.js';
import { SingleReactor, singleReactor } from '../../schedulers/singleReactor.js';
import type { Server } from '../../schedulers/Topology.js';
import turnCountingEcho, { loop, peers, type PeerTurns } from '../fixtures/turnCountingEcho.js';

// Fairness on one reactor: a client that floods must not starve a client that makes small round trips. The
// measures are relative to the reactor's own turns and budget, never to wall-clock time, so a loaded machine
// makes the test slower but not flaky. Turns are counted by the handler module (see turnCountingEcho.ts),
// which this process shares with the server because a single reactor loads it here, by the same URL.

const handlerModule = new URL('../fixtures/turnCountingEcho.js', import.meta.url);
const host = '127.0.0.1';
/** HandlerHost's default per-connection budget, per turn. */
const DEFAULT_BUDGET = 256 * 1024;
/**
 * What one turn can hand a connection beyond its budget: the read that crossed it, and the one read Node
 * buffers after the pause, delivered when the hold is released (libuv reads at most 64 KiB at a time).
 */
const OVERSHOOT = 2 * 64 * 1024;
/**
 * Turns a light round trip may take: it needs one or two (measured: never more), and starvation would be
 * orders of magnitude more; the slack absorbs a kernel that delays a loopback packet under load.
 */
const FEW_TURNS = 8;
/** Light round trips measured at least, and at most (see the test). */
const TRIPS = 200;
const MAX_TRIPS = 5000;

const cleanups: (() => unknown)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a flooding client on its own thread; resolves once it has had `warmUp` bytes echoed. */
async function flood(port: number, warmUp: number): Promise<{ port: number; echoed: () => number }> {
  const received = new BigInt64Array(new SharedArrayBuffer(8));
  const worker = new Worker(new URL('../fixtures/serveFlooder.js', import.meta.url), { workerData: { port, received } });
  cleanups.push(async () => {
    worker.postMessage('stop');
    await once(worker, 'exit');
  });
  const [localPort] = (await once(worker, 'message')) as [number];
  const echoed = (): number => Number(Atomics.load(received, 0));
  while (echoed() < warmUp) await new Promise((resolve) => setTimeout(resolve, 5));
  return { port: localPort, echoed };
}

async function open(port: number): Promise<Socket> {
  const socket = netConnect({ host, port });
  socket.setNoDelay(true);
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** One round trip of a small message: resolves once all of it has come back. */
function roundTrip(socket: Socket, message: Buffer): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (chunk: Buffer): void => {
      got += chunk.length;
      if (got < message.length) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.write(message);
  });
}

function peer(port: number): PeerTurns {
  const record = peers.get(port);
  assert.ok(record, `the server saw the client on port ${port}`);
  return record;
}

const median = (values: readonly number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test('single reactor: a light client keeps its round trips within a turn or two while a heavy client floods', async () => {
  const server: Server = await serve(handlerModule, { host, port: 0, scheduler: singleReactor() });
  cleanups.push(() => server.stop({ deadline: 100 }));
  const port = (server.address as { port: number }).port;
  const heavyClient = await flood(port, 4 * 1024 * 1024);
  const heavy = peer(heavyClient.port);
  const light = await open(port);
  const lightPeer = peer(light.localPort!);

  const message = Buffer.alloc(64, 0x6c);
  const turnsPerTrip: number[] = [];
  const heavyTurnsPerTrip: number[] = [];
  heavy.maxPerTurn = 0;
  const heavyBytesBefore = heavy.bytes;
  const echoedBefore = heavyClient.echoed();
  // At least 200 round trips, and as many more as it takes for the heavy client to have been served in 10
  // turns meanwhile: on a machine busy with other processes the flood itself runs slower (its client shares
  // the cores), and the claim is about round trips made while the flood is going on.
  let heavyTurnsSeen = 0;
  for (let i = 0; i < MAX_TRIPS && (i < TRIPS || heavyTurnsSeen < 10); i++) {
    const turn = loop.turn;
    const heavyTurns = heavy.turnsServed;
    await roundTrip(light, message);
    turnsPerTrip.push(loop.turn - turn);
    heavyTurnsPerTrip.push(heavy.turnsServed - heavyTurns);
    heavyTurnsSeen += heavy.turnsServed - heavyTurns;
  }
  const trips = turnsPerTrip.length;
  const heavyBytes = heavy.bytes - heavyBytesBefore;

  // The heavy client flooded all along: it was served in many turns and moved far more than the light one.
  assert.is(lightPeer.bytes, trips * message.length);
  assert.ok(heavyTurnsPerTrip.reduce((a, b) => a + b, 0) >= 10, `the heavy client was served in ${heavyTurnsPerTrip.reduce((a, b) => a + b, 0)} turns`);
  assert.ok(heavyBytes >= 1024 * 1024 && heavyBytes >= 10 * lightPeer.bytes, `heavy ${heavyBytes} B against light ${lightPeer.bytes} B`);
  assert.ok(heavyClient.echoed() > echoedBefore, 'the heavy client was still getting its echo');
  // Each light round trip took a turn or two of the reactor: the worst is not an order beyond the median.
  const worst = Math.max(...turnsPerTrip);
  assert.ok(median(turnsPerTrip) <= 2, `a light round trip usually takes a turn or two (median ${median(turnsPerTrip)})`);
  assert.ok(worst <= FEW_TURNS, `worst light round trip took ${worst} turns (median ${median(turnsPerTrip)})`);
  assert.ok(Math.max(...heavyTurnsPerTrip) <= FEW_TURNS, 'the heavy client was served in a few turns at most per light round trip');
  // And what the heavy client got in any one turn stayed within the reactor's per-connection budget.
  assert.ok(heavy.maxPerTurn <= DEFAULT_BUDGET + OVERSHOOT, `heavy got ${heavy.maxPerTurn} B in one turn`);
});

/** Serves turnCountingEcho on a HandlerHost with the given budget; returns the most one turn gave a flooder. */
async function maxPerTurnUnder(bytesPerTurn: number): Promise<number> {
  const hostRunner = new HandlerHost({ reactor: 'main', handler: turnCountingEcho, scheduler: new SingleReactor(), bytesPerTurn });
  let port = 0;
  await new Promise<void>((resolve, reject) => {
    const serving = hostRunner
      .serve(listen({ host, port: 0, onListening: (info) => {
        port = (info.address as { port: number }).port;
        resolve();
      } }))
      .subscribe({ error: reject });
    cleanups.push(() => serving.unsubscribe());
  });
  const flooder = await flood(port, 1024 * 1024);
  const heavy = peer(flooder.port);
  const from = heavy.bytes;
  while (heavy.bytes - from < 8 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 5));
  return heavy.maxPerTurn;
}

test('the per-turn budget is what bounds a flooding connection: without it one turn takes much more', async () => {
  const budget = 64 * 1024;
  assert.ok(await maxPerTurnUnder(budget) <= budget + OVERSHOOT, 'bounded by the budget');
  // The same measure on a host without a budget: libuv alone hands one connection up to 32 reads per turn.
  assert.ok(await maxPerTurnUnder(Infinity) > budget + OVERSHOOT, 'unbounded without it');
});

test.run();
