import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SocketAddress } from '../../../src/backends/Backend.js';
import { nodeBackend } from '../../../src/backends/node/nodeBackend.js';
import { ErrorCode, type RxloopError } from '../../../src/errors.js';
import { connectTo, listenOn, OpenSockets } from './connectPair.js';
import { TransportRecorder } from './TransportRecorder.js';
import { until } from './until.js';

const backend = nodeBackend();
const open = new OpenSockets();
const dir = mkdtempSync(join(tmpdir(), 'rxloop-node-acceptor-'));

test.after.each(() => open.closeAll());
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('listening reports the real address when port 0 was asked', async () => {
  const { acceptor, address } = await listenOn(backend, open);
  assert.is(address.kind, 'inet');
  assert.ok(address.kind === 'inet' && address.port > 0);
  assert.ok(address.kind === 'inet' && address.family === 'IPv4' && address.address === '127.0.0.1');
  assert.equal(acceptor.address, address);
});

test('close stops accepting and leaves accepted connections working', async () => {
  const listening = await listenOn(backend, open);
  const { address } = listening;
  if (address.kind !== 'inet') throw new Error('expected an inet address');
  const client = await connectTo(backend, open, { host: address.address, port: address.port });
  await until(() => listening.accepted.length === 1, 'the accept');
  const server = listening.accepted[0]!;
  listening.acceptor.close();
  listening.acceptor.close();

  const error = await connectTo(backend, open, { host: address.address, port: address.port }).catch((e: unknown) => e);
  assert.is((error as RxloopError).code, ErrorCode.CONNECT_REFUSED);

  const atServer = new TransportRecorder(server, { mode: 'completion' });
  atServer.onCompleted = (chunks) => chunks.forEach((chunk) => server.write(chunk));
  const atClient = new TransportRecorder(client, { mode: 'completion' });
  client.write(Buffer.from('still here'));
  await until(() => atClient.text === 'still here', 'the echo');
  assert.is(listening.accepted.length, 1);
});

test('an address in use fails with ERR_ADDRESS_IN_USE and nothing after it', async () => {
  const { address } = await listenOn(backend, open);
  if (address.kind !== 'inet') throw new Error('expected an inet address');
  const calls: string[] = [];
  let failure: RxloopError | undefined;
  const acceptor = open.acceptor(
    backend.listen({ host: address.address, port: address.port }, {
      listening: () => calls.push('listening'),
      accepted: () => calls.push('accepted'),
      failed: (error) => {
        calls.push('failed');
        failure = error;
      },
    }),
  );
  await until(() => failure !== undefined, 'failed');
  assert.is(failure?.code, ErrorCode.ADDRESS_IN_USE);
  assert.match(failure?.message ?? '', `listen on 127.0.0.1:${address.port}`);
  assert.equal(calls, ['failed']);
  assert.is(acceptor.address, undefined);
  acceptor.close();
});

test('a spec with neither port nor path (or both) fails with ERR_INVALID_ARGUMENT, asynchronously', async () => {
  for (const spec of [{}, { port: 0, path: join(dir, 'both.sock') }, { port: 70_000 }]) {
    let failure: RxloopError | undefined;
    open.acceptor(
      backend.listen(spec, {
        listening: () => assert.unreachable('listening'),
        accepted: () => assert.unreachable('accepted'),
        failed: (error) => (failure = error),
      }),
    );
    assert.is(failure, undefined, 'failed was called from inside listen');
    await until(() => failure !== undefined, 'failed');
    assert.is(failure?.code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(spec));
  }
});

test('listens on a Unix socket path', async () => {
  const path = join(dir, 'acceptor.sock');
  const listening = await listenOn(backend, open, { path });
  assert.equal(listening.address, { kind: 'unix', path } satisfies SocketAddress);
  const client = await connectTo(backend, open, { path });
  await until(() => listening.accepted.length === 1, 'the accept');
  const server = listening.accepted[0]!;
  assert.equal(server.localAddress, { kind: 'unix', path });
  assert.equal(client.remoteAddress, { kind: 'unix', path });
});

test('close before listening completes reports nothing', async () => {
  const calls: string[] = [];
  const acceptor = backend.listen({ host: 'localhost', port: 0 }, {
    listening: () => calls.push('listening'),
    accepted: () => calls.push('accepted'),
    failed: () => calls.push('failed'),
  });
  acceptor.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(calls, []);
});

test.run();
