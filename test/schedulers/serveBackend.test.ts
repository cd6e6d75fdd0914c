// Every topology takes `backend`: a Backend object where the connections are served in this thread (single,
// pooled), the name of one where they are served in other processes (multi), which each resolve it there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { firstValueFrom, mergeMap, toArray } from 'rxjs';
import { connect } from '../../src/connect.js';
import { embeddedBackend } from '../../src/backends/embedded/embedded.js';
import { selectBackend } from '../../src/backends/selectBackend.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { multiReactor } from '../../schedulers/multiReactor.js';
import { pooledReactor } from '../../schedulers/pooledReactor.js';
import { serve } from '../../schedulers/serve.js';
import { singleReactor } from '../../schedulers/singleReactor.js';
import type { ServeOptions, Server, Topology } from '../../schedulers/Topology.js';

const echo = new URL('../fixtures/serveEcho.js', import.meta.url);
const host = '127.0.0.1';

async function echoOverTcp(server: Server): Promise<string> {
  assert.is(server.address.kind, 'inet');
  const socket = netConnect({ host, port: (server.address as { port: number }).port });
  socket.end('over tcp');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

async function failure(promise: Promise<unknown>): Promise<RxloopError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.instance(error, RxloopError);
  return error as RxloopError;
}

const local: [string, () => Topology][] = [
  ['singleReactor', () => singleReactor()],
  ['pooledReactor', () => pooledReactor({ workers: 1 })],
];

for (const [name, make] of local) {
  test(`${name} serves on the backend object it is given (embedded: no operating system)`, async () => {
    const backend = embeddedBackend();
    const server = await serve(echo, { port: 7, backend, scheduler: make() });
    try {
      assert.equal(server.address, { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: 7 });
      // The connection lives as long as the subscription to connect(): the echo is read inside it.
      const echoed = await firstValueFrom(connect({ port: 7, backend }).pipe(
        mergeMap((link) => {
          link.write('in memory');
          link.end();
          return link.data$.pipe(toArray());
        }),
      ));
      assert.is(Buffer.concat(echoed).toString(), 'in memory');
    } finally {
      await server.stop({ deadline: 100 });
    }
  });

  test(`${name} takes a backend by name, and refuses a name it does not know`, async () => {
    const server = await serve(echo, { host, port: 0, backend: 'node', scheduler: make() });
    try {
      assert.is(await echoOverTcp(server), 'over tcp');
    } finally {
      await server.stop({ deadline: 100 });
    }
    const error = await failure(serve(echo, { host, port: 0, backend: 'libuv' as 'node', scheduler: make() }));
    assert.is(error.code, ErrorCode.INVALID_ARGUMENT);
  });
}

test('multiReactor takes the backend by name: each sub-reactor resolves it in its own process', async () => {
  for (const accept of ['acceptor', 'shared'] as const) {
    const server = await serve(echo, { host, port: 0, backend: 'node', scheduler: multiReactor({ reactors: 1, accept }) });
    try {
      assert.is(await echoOverTcp(server), 'over tcp', accept);
    } finally {
      await server.stop({ deadline: 100 });
    }
  }
});

test('multiReactor refuses a backend object (it cannot travel to another process) and a name it does not know', async () => {
  const cases: [ServeOptions['backend'], RegExp][] = [
    [embeddedBackend(), /backend by name .* got the backend object "embedded", which cannot travel/],
    ['libuv' as 'node', /backend by name .* got "libuv"/],
  ];
  for (const [backend, message] of cases) {
    const topology = multiReactor({ reactors: 1 });
    const error = await failure(serve(echo, { host, port: 0, backend, scheduler: topology }));
    assert.is(error.code, ErrorCode.INVALID_ARGUMENT);
    assert.match(error.message, message);
    assert.equal(topology.subReactors(), [], 'nothing was started');
  }
});

test("multiReactor with backend 'uring' serves where this process can have one, else fails as selectBackend does", async () => {
  let here: RxloopError | undefined;
  try {
    selectBackend('uring');
  } catch (error) {
    here = error as RxloopError;
  }
  const started = serve(echo, { host, port: 0, backend: 'uring', scheduler: multiReactor({ reactors: 1 }) });
  if (here === undefined) {
    const server = await started;
    try {
      assert.is(await echoOverTcp(server), 'over tcp');
    } finally {
      await server.stop({ deadline: 100 });
    }
  } else {
    const error = await failure(started);
    assert.is(error.code, here.code);
    assert.is(error.message, here.message);
  }
});

test.run();
