import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, retry, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ErrorCode, RxloopError, connect, embeddedBackend, listen, nodeBackend, type Connection } from '../src/index.js';
import { sendTo } from '../operators/sendTo.js';
import { readAll, startServer, openConnection } from './support/sockets.js';
import { selfSignedCertificate } from './support/tlsCertificate.js';

async function freePort(): Promise<number> {
  const server = await startServer(nodeBackend());
  server.stop();
  await new Promise((r) => setTimeout(r, 10));
  return server.port;
}

test('a refused connection errors with ERR_CONNECT_REFUSED', async () => {
  const port = await freePort();
  const error = await openConnection({ host: '127.0.0.1', port }).catch((e: unknown) => e);
  assert.instance(error, RxloopError);
  assert.is((error as RxloopError).code, ErrorCode.CONNECT_REFUSED);
  assert.match((error as RxloopError).message, /connect/);
});

test('bad options give ERR_INVALID_ARGUMENT', async () => {
  for (const options of [{ port: 0 }, { port: 65536 }, {}, { path: '' }, { port: 80, timeout: 0 }, { port: 80, path: '/x' }]) {
    const error = await openConnection(options as never).catch((e: unknown) => e);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(options));
  }
});

test('retry composes: connect succeeds once the server appears', async () => {
  const port = await freePort();
  let stop: () => void = () => undefined;
  setTimeout(() => {
    const subscription = listen({ host: '127.0.0.1', port }).subscribe((c) => c.data$.pipe(sendTo(c)).subscribe());
    stop = () => subscription.unsubscribe();
  }, 60);
  try {
    const client = await new Promise<Connection>((resolve, reject) =>
      connect({ host: '127.0.0.1', port }).pipe(retry({ count: 50, delay: 20 })).subscribe({ next: resolve, error: reject }));
    const reply = readAll(client);
    client.write('eventually');
    client.end();
    assert.is((await reply).toString(), 'eventually');
  } finally {
    stop();
  }
});

test('connect completes when the connection closes in order and errors on a reset', async () => {
  const backend = embeddedBackend();
  const server = await startServer(backend);
  try {
    const outcomes: string[] = [];
    const first = new Subject<Connection>();
    connect({ host: '127.0.0.1', port: server.port, backend }).subscribe({
      next: (c) => first.next(c),
      complete: () => outcomes.push('complete'),
      error: (e: RxloopError) => outcomes.push(e.code),
    });
    const client = await firstValueFrom(first);
    client.close();
    await firstValueFrom(client.closed$);
    assert.equal(outcomes, ['complete']);
  } finally {
    server.stop();
  }
});

test('unsubscribing before the connection is up cancels the attempt', async () => {
  const backend = embeddedBackend();
  const server = await startServer(backend);
  try {
    const seen: Connection[] = [];
    const subscription = connect({ host: '127.0.0.1', port: server.port, backend }).subscribe((c) => seen.push(c));
    subscription.unsubscribe();
    await new Promise((r) => setTimeout(r, 10));
    assert.is(seen.length, 0);
  } finally {
    server.stop();
  }
});

test('connect timeout in virtual time with the embedded backend', () => {
  const scheduler = new TestScheduler((a, b) => assert.equal(a, b));
  scheduler.run(({ expectObservable }) => {
    const backend = embeddedBackend({ scheduler });
    listen({ port: 7000, backend }).subscribe();
    backend.holdAccepts(7000, true);
    const outcome = new Subject<string>();
    connect({ port: 7000, backend, timeout: 100 }).subscribe({ error: (e: RxloopError) => { outcome.next(e.code); outcome.complete(); } });
    expectObservable(outcome).toBe('100ms (a|)', { a: ErrorCode.CONNECT_TIMEOUT });
  });
});

test('TLS echo with the same Connection API', async () => {
  const { key, cert } = selfSignedCertificate();
  let stop: () => void = () => undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const s = listen({ host: '127.0.0.1', port: 0, tls: { key, cert }, onListening: (info) => resolve(info.address.kind === 'inet' ? info.address.port : 0) })
      .subscribe({ next: (c) => { assert.ok(c.secure); c.data$.pipe(sendTo(c)).subscribe(); }, error: reject });
    stop = () => s.unsubscribe();
  });
  try {
    const client = await openConnection({ host: '127.0.0.1', port, tls: { ca: cert, servername: 'localhost' } });
    assert.ok(client.secure);
    const reply = readAll(client);
    client.write('encrypted hello');
    client.end();
    assert.is((await reply).toString(), 'encrypted hello');
  } finally {
    stop();
  }
});

test('TLS with an untrusted certificate errors with ERR_TLS', async () => {
  const { key, cert } = selfSignedCertificate();
  let stop: () => void = () => undefined;
  const port = await new Promise<number>((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, tls: { key, cert }, onListening: (info) => resolve(info.address.kind === 'inet' ? info.address.port : 0) })
      .subscribe({ next: (c) => c.data$.subscribe({ error: () => undefined }), error: () => undefined });
    stop = () => s.unsubscribe();
  });
  try {
    const error = await openConnection({ host: '127.0.0.1', port, tls: { servername: 'localhost' } }).catch((e: unknown) => e);
    assert.is((error as RxloopError).code, ErrorCode.TLS);
  } finally {
    stop();
  }
});

test.run();
