// multiReactor's service: a handler module's `service` export, served by the main process on a private Unix
// socket, found by sub-reactors through multiReactorService().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { multiReactor, multiReactorService } from '../../schedulers/multiReactor.js';
import { serve } from '../../schedulers/serve.js';
import { singleReactor } from '../../schedulers/singleReactor.js';
import type { Server } from '../../schedulers/Topology.js';

const handler = new URL('../fixtures/serviceHandler.js', import.meta.url);
const sockets: Socket[] = [];
const servers: Server[] = [];

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.stop({ deadline: 100 })));
});

/** Opens a line client; `ask` sends a line and resolves with the next line received. */
async function client(port: number): Promise<(line: string) => Promise<string>> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (text: string) => {
    buffered += text;
    for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
      waiting.shift()?.(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  return (line) => new Promise((resolve) => {
    waiting.push(resolve);
    socket.write(`${line}\n`);
  });
}

async function acceptedBySub(server: Server): Promise<Map<string, number>> {
  const { reactors } = await firstValueFrom(server.stats$);
  return new Map(reactors.filter((r) => r.reactor.startsWith('sub-')).map((r) => [r.reactor, r.accepted]));
}

// Sub-reactor threads reach the service as processes do, where this Node.js runs them (see serve.test.ts).
const features = await nodeFeatures();
const cases = [
  { accept: 'acceptor' as const, threads: false },
  { accept: 'shared' as const, threads: false },
  ...(features.transferableSockets ? [{ accept: 'acceptor' as const, threads: true }] : []),
  ...(features.reusePort ? [{ accept: 'shared' as const, threads: true }] : []),
];

for (const { accept, threads } of cases) {
  test(`${accept}${threads ? ' on threads' : ''}: the service runs in the main process, every sub-reactor reaches it, its socket goes with the server`, async () => {
    const server = await serve(handler, { host: '127.0.0.1', port: 0, scheduler: multiReactor({ reactors: 2, accept, threads }) });
    servers.push(server);
    const port = (server.address as { port: number }).port;
    const served = new Set<string>();
    const answers: string[][] = [];
    for (let opened = 0; opened < 64 && served.size < 2; opened++) {
      const before = await acceptedBySub(server);
      const ask = await client(port);
      answers.push((await ask('count')).split(' '));
      for (const [reactor, accepted] of await acceptedBySub(server)) if (accepted > (before.get(reactor) ?? 0)) served.add(reactor);
    }
    assert.equal([...served].sort(), ['sub-0', 'sub-1']);
    // The counter is this process's, so a second server continues from where the first left it.
    const first = Number(answers[0]![0]);
    assert.equal(answers.map(([count]) => Number(count) - first), answers.map((_, i) => i), 'one counter for all');
    assert.ok(answers.every(([, pid]) => pid === String(process.pid)), 'served by this (the main) process');
    const path = answers[0]![2]!;
    assert.ok(existsSync(path), `${path} exists while the server runs`);
    assert.is(multiReactorService(), undefined, 'the main process is no sub-reactor');
    await server.stop({ deadline: 100 });
    assert.not.ok(existsSync(path), `${path} is removed on stop`);
  });
}

test('singleReactor ignores the service export: the handler runs without one', async () => {
  const server = await serve(handler, { host: '127.0.0.1', port: 0, scheduler: singleReactor() });
  servers.push(server);
  const ask = await client((server.address as { port: number }).port);
  assert.is(await ask('count'), 'no service');
});

test('a service export that is neither a URL nor an absolute path fails serve with ERR_INVALID_ARGUMENT', async () => {
  try {
    const server = await serve(new URL('../fixtures/badServiceHandler.js', import.meta.url), {
      host: '127.0.0.1',
      port: 0,
      scheduler: multiReactor({ reactors: 1 }),
    });
    servers.push(server);
    assert.unreachable('serve should reject');
  } catch (error) {
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    assert.match((error as RxloopError).message, /service export/);
  }
});

test.run();
