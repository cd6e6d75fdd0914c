import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Subject, lastValueFrom, map, toArray } from 'rxjs';
import { listen, type Connection } from '../../src/index.js';
import { encodeLines, handle, lines, pacedBy, sendTo } from '../../operators/index.js';
import { until } from '../backends/node/until.js';

const BIG = Buffer.alloc(1_000_000, 0x78);

/** The amplifying server: 'big' asks for 1 MB, anything else for 'ok'; counts the replies it has built. */
function amplifier(paced: boolean) {
  const built = new Map<number, number>();
  const connections: Connection[] = [];
  let port = 0;
  const ready = new Promise<void>((resolve) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, onListening: ({ address }) => {
      port = address.kind === 'inet' ? address.port : 0;
      resolve();
    } }).pipe(handle((connection) => {
      connections.push(connection);
      const requests = connection.data$.pipe(lines());
      return (paced ? requests.pipe(pacedBy(connection)) : requests).pipe(
        map((line) => {
          built.set(connection.id, (built.get(connection.id) ?? 0) + 1);
          return line.toString() === 'big' ? BIG : Buffer.from('ok');
        }),
        encodeLines(),
        sendTo(connection),
      );
    })).subscribe();
    stops.push(() => subscription.unsubscribe());
  });
  return { built, connections, ready, port: () => port };
}

const stops: (() => void)[] = [];
const test = suite('pacedBy(): output paces already-read requests');
test.after.each(() => {
  for (const stop of stops.splice(0)) stop();
});

/** Counts turns of the event loop while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const tick = (): void => {
    if (!counting) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const value = await work();
  counting = false;
  return { value, turns };
}

async function open(port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  stops.push(() => socket.destroy());
  return socket;
}

async function roundTrip(socket: Socket): Promise<void> {
  const reply = once(socket, 'data');
  socket.write('ping\n');
  await reply;
}

test('2,000 pipelined 1 MB requests in one read from a peer that does not read: a few replies are built, not 2 GB', async () => {
  const server = amplifier(true);
  await server.ready;
  const hostile = await open(server.port());
  hostile.pause(); // never reads
  hostile.write('big\n'.repeat(2000));
  const light = await open(server.port());
  await until(() => server.connections.length === 2, 'both accepted');
  const [heavy] = server.connections;
  await until(() => (server.built.get(heavy!.id) ?? 0) > 0, 'the first replies');
  // Let it run for a while: it must stall, not keep building.
  for (let i = 0; i < 20; i++) await roundTrip(light);
  const built = server.built.get(heavy!.id)!;
  console.log(`      built ${built} of 2000 replies, ${heavy!.writableLength} bytes queued`);
  assert.ok(built < 20, `replies built for the non-reading peer: ${built} of 2000`);
  assert.ok(heavy!.writableLength <= heavy!.writableHighWaterMark + 2 * BIG.length,
    `queued for it: ${heavy!.writableLength} bytes`);
  // Other clients' round trips stay within a few turns of the loop.
  const { turns } = await turnsDuring(async () => {
    for (let i = 0; i < 10; i++) await roundTrip(light);
  });
  console.log(`      10 round trips beside it: ${turns} turns`);
  assert.ok(turns <= 10 * 6, `10 round trips took ${turns} turns`);
});

test('against a peer that reads, the replies are all built and arrive in order, a share per turn', async () => {
  const server = amplifier(true);
  await server.ready;
  const reader = await open(server.port());
  let received = 0;
  reader.on('data', (chunk: Buffer) => (received += chunk.length));
  reader.write('big\n'.repeat(200) + 'small\n');
  const light = await open(server.port());
  const { turns } = await turnsDuring(async () => {
    for (let i = 0; i < 10; i++) await roundTrip(light);
  });
  assert.ok(turns <= 10 * 6, `round trips beside the stream took ${turns} turns`);
  await until(() => received === 200 * (BIG.length + 1) + 3, 'every reply', 30_000);
});

test('without pacedBy the same read builds every reply at once (what the operator prevents)', async () => {
  const server = amplifier(false);
  await server.ready;
  const hostile = await open(server.port());
  hostile.pause();
  hostile.write('big\n'.repeat(50));
  await until(() => server.connections.length === 1, 'accepted');
  await until(() => server.built.get(server.connections[0]!.id) === 50, 'all 50 replies built in one go');
  assert.ok(server.connections[0]!.writableLength > 40 * BIG.length, 'and queued in memory');
});

test('values, completion and errors keep their order; unsubscribing releases the hold', async () => {
  const values = new Subject<number>();
  const connection = {
    shouldYield: false,
    isMetered: true,
    isOpen: true,
    holds: 0,
    hold() {
      this.holds++;
      return () => this.holds--;
    },
    whenReady: (callback: () => void) => {
      ready = callback;
      return () => (ready = undefined);
    },
  };
  let ready: (() => void) | undefined;
  const out = lastValueFrom(values.pipe(pacedBy(connection as unknown as Connection), toArray()));
  values.next(1);
  connection.shouldYield = true;
  values.next(2);
  values.next(3);
  values.complete();
  assert.is(connection.holds, 1, 'reading held while behind');
  connection.shouldYield = false;
  ready!();
  assert.equal(await out, [1, 2, 3]);
  assert.is(connection.holds, 0);
  assert.throws(() => pacedBy(connection as unknown as Connection, { bytesPerTurn: 0 }));
});

test.run();
