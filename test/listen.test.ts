import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, mergeMap, toArray, map, Subject } from 'rxjs';
import { ErrorCode, RxloopError, connect, embeddedBackend, listen, nodeBackend, type Connection, type ListeningServer } from '../src/index.js';
import { sendTo } from '../operators/sendTo.js';
import { TestScheduler } from 'rxjs/testing';
import { readAll, openConnection } from './support/sockets.js';
import { until } from './backends/node/until.js';

function listening(options: Parameters<typeof listen>[0]): Promise<{ server: ListeningServer; connections: Subject<Connection>; stop: () => void; done: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const connections = new Subject<Connection>();
    let settle: (v: string) => void = () => undefined;
    const done = new Promise<string>((r) => (settle = r));
    const subscription = listen({
      ...options,
      onListening: (server) => resolve({ server, connections, stop: () => subscription.unsubscribe(), done }),
    }).subscribe({
      next: (c) => connections.next(c),
      error: (e) => {
        settle('error');
        reject(e);
      },
      complete: () => settle('complete'),
    });
  });
}

test('the bound address is reported, with the real port for port 0', async () => {
  const { server, stop } = await listening({ host: '127.0.0.1', port: 0 });
  try {
    assert.is(server.address.kind, 'inet');
    if (server.address.kind === 'inet') {
      assert.ok(server.address.port > 0);
      assert.is(server.address.address, '127.0.0.1');
    }
  } finally {
    stop();
  }
});

test('bad options give ERR_INVALID_ARGUMENT', async () => {
  const cases: unknown[] = [
    { port: -1 },
    { port: 70000 },
    { port: 1.5 },
    { port: '80' },
    {},
    { port: 0, path: '/tmp/x' },
    { path: '' },
    { port: 0, backlog: 0 },
    { port: 0, maxConnections: 0 },
    { port: 0, host: '' },
  ];
  for (const options of cases) {
    const error = await firstValueFrom(listen(options as never)).catch((e: unknown) => e);
    assert.instance(error, RxloopError, JSON.stringify(options));
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(options));
    assert.match((error as RxloopError).message, /expected/);
  }
});

test('an address in use gives ERR_ADDRESS_IN_USE', async () => {
  const { server, stop } = await listening({ host: '127.0.0.1', port: 0 });
  try {
    const port = server.address.kind === 'inet' ? server.address.port : 0;
    const error = await firstValueFrom(listen({ host: '127.0.0.1', port })).catch((e: unknown) => e);
    assert.is((error as RxloopError).code, ErrorCode.ADDRESS_IN_USE);
  } finally {
    stop();
  }
});

test('Unix socket echo through the public API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-'));
  const path = join(dir, 'echo.sock');
  const { connections, stop, server } = await listening({ path });
  try {
    assert.equal(server.address, { kind: 'unix', path });
    connections.subscribe((c) => c.data$.pipe(sendTo(c)).subscribe());
    const client = await openConnection({ path });
    const reply = readAll(client);
    client.write('over a unix socket');
    client.end();
    assert.is((await reply).toString(), 'over a unix socket');
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('maxConnections refuses extra connections and recovers when they close', async () => {
  const { connections, server, stop } = await listening({ host: '127.0.0.1', port: 0, maxConnections: 2 });
  try {
    const port = server.address.kind === 'inet' ? server.address.port : 0;
    connections.subscribe((c) => c.data$.pipe(sendTo(c)).subscribe());
    const a = await openConnection({ host: '127.0.0.1', port });
    const b = await openConnection({ host: '127.0.0.1', port });
    await new Promise((r) => setTimeout(r, 20));
    const c = await openConnection({ host: '127.0.0.1', port });
    // The third is accepted by the kernel and closed by the server at once.
    const third = await lastValueFrom(c.data$.pipe(toArray())).then(
      (chunks) => `ended with ${chunks.length} chunks`,
      (e: RxloopError) => e.code,
    );
    assert.ok(third === 'ended with 0 chunks' || third === ErrorCode.CONNECTION_RESET, third);
    assert.is(server.refused, 1);
    assert.is(server.connections, 2);
    a.close();
    await firstValueFrom(a.closed$);
    await new Promise((r) => setTimeout(r, 20));
    const d = await openConnection({ host: '127.0.0.1', port });
    const reply = readAll(d);
    d.write('room again');
    d.end();
    assert.is((await reply).toString(), 'room again');
    b.close();
  } finally {
    stop();
  }
});

test('graceful shutdown: stop accepting, drain (no new input is read), answer what was read, then complete', async () => {
  const shutdown = new AbortController();
  const { connections, server, done } = await listening({ host: '127.0.0.1', port: 0, shutdown: shutdown.signal, gracePeriod: 5000 });
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  const accepted: Connection[] = [];
  connections.subscribe((c) => {
    accepted.push(c);
    c.data$.pipe(sendTo(c)).subscribe();
  });
  const client = await openConnection({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  const ended = new Promise<void>((resolve) => client.data$.subscribe({ next: (chunk) => received.push(chunk), complete: resolve }));
  client.write('before');
  await until(() => Buffer.concat(received).toString() === 'before', 'the echo before the stop');
  shutdown.abort();
  assert.ok(accepted[0]!.isDraining);
  // New connections are refused once shutdown began...
  const refused = await openConnection({ host: '127.0.0.1', port }).then(() => 'connected', (e: RxloopError) => e.code);
  assert.is(refused, ErrorCode.CONNECT_REFUSED);
  // ...and the open one, whose handler does not drain itself, reads nothing more: it ends in order.
  await ended;
  assert.is(Buffer.concat(received).toString(), 'before');
  assert.is(await done, 'complete');
  client.close();
});

test('graceful shutdown: a handler that subscribes to draining$ keeps reading and closes on its own terms', async () => {
  const shutdown = new AbortController();
  const { connections, server, done } = await listening({ host: '127.0.0.1', port: 0, shutdown: shutdown.signal, gracePeriod: 5000 });
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  const told: number[] = [];
  connections.subscribe((c) => {
    c.draining$.subscribe(() => told.push(c.id));
    c.data$.pipe(sendTo(c)).subscribe();
  });
  const client = await openConnection({ host: '127.0.0.1', port });
  const reply = readAll(client);
  await new Promise((r) => setTimeout(r, 20));
  shutdown.abort();
  assert.is(told.length, 1, 'the handler was told');
  client.write('finishing');
  client.end();
  assert.is((await reply).toString(), 'finishing');
  assert.is(await done, 'complete');
});

test('graceful shutdown resets connections still open after the grace period', async () => {
  const shutdown = new AbortController();
  const { connections, server, done } = await listening({ host: '127.0.0.1', port: 0, shutdown: shutdown.signal, gracePeriod: 50 });
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  // A handler that never closes its connection.
  connections.subscribe((c) => c.data$.subscribe());
  const client = await openConnection({ host: '127.0.0.1', port });
  const input = readAll(client).then(() => 'ended in order', (error: RxloopError) => error.code);
  await new Promise((r) => setTimeout(r, 20));
  shutdown.abort();
  assert.is(await done, 'complete');
  // Cut off at the deadline: a reset, never a FIN that would look like a complete reply.
  assert.is(await input, ErrorCode.CONNECTION_RESET);
});

test('unsubscribing stops accepting and closes accepted connections', async () => {
  const { connections, server, stop } = await listening({ host: '127.0.0.1', port: 0 });
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  const accepted = firstValueFrom(connections);
  const client = await openConnection({ host: '127.0.0.1', port });
  await accepted;
  stop();
  await lastValueFrom(client.data$, { defaultValue: undefined }).catch(() => undefined);
  assert.ok(client.isInputEnded, 'the server closed its side');
  client.close();
  await firstValueFrom(client.closed$);
  const refused = await openConnection({ host: '127.0.0.1', port }).then(() => 'connected', (e: RxloopError) => e.code);
  assert.is(refused, ErrorCode.CONNECT_REFUSED);
});

test('many connections through one listen, handled with mergeMap', async () => {
  const backend = nodeBackend();
  const { server, stop } = await new Promise<{ server: ListeningServer; stop: () => void }>((resolve) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, backend, onListening: (s) => resolve({ server: s, stop: () => subscription.unsubscribe() }) })
      .pipe(mergeMap((c) => c.data$.pipe(map((chunk) => Buffer.from(chunk.toString().toUpperCase())), sendTo(c))))
      .subscribe();
  });
  try {
    const port = server.address.kind === 'inet' ? server.address.port : 0;
    const replies = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const client = await openConnection({ host: '127.0.0.1', port, backend });
        const reply = readAll(client);
        client.write(`client ${i}`);
        client.end();
        return (await reply).toString();
      }),
    );
    assert.equal(replies, Array.from({ length: 20 }, (_, i) => `CLIENT ${i}`));
    assert.is(server.accepted, 20);
  } finally {
    stop();
  }
});

// ---- the drain in virtual time (embedded backend): who is told, when input ends, when the deadline resets ----

/** Runs a shutdown scenario in virtual time: a server on the embedded backend, clients dialled when asked (1 ms by default). */
function drainScenario(
  gracePeriod: number,
  body: (helpers: { scheduler: TestScheduler; accepted: Subject<Connection>; dial: (at?: number) => Subject<Connection>; log: Subject<string>; stop: AbortController }) => void,
): void {
  const scheduler = new TestScheduler((a, b) => assert.equal(a, b));
  scheduler.run(() => {
    const backend = embeddedBackend({ scheduler });
    const accepted = new Subject<Connection>();
    const log = new Subject<string>();
    const stop = new AbortController();
    listen({ port: 9, backend, shutdown: stop.signal, gracePeriod }).subscribe({
      next: (c) => accepted.next(c),
      complete: () => log.next(`server done at ${scheduler.now()}`),
    });
    const dial = (at = 1): Subject<Connection> => {
      const client = new Subject<Connection>();
      scheduler.schedule(() => connect({ port: 9, backend }).subscribe({
        next: (c) => client.next(c),
        error: (e: RxloopError) => log.next(`client dialled at ${at}: ${e.code} at ${scheduler.now()}`),
      }), at);
      return client;
    };
    body({ scheduler, accepted, dial, log, stop });
  });
}

test('drain (virtual time): a handler that does not listen has its input ended at the drain; one that listens keeps reading', () => {
  drainScenario(100, ({ scheduler, accepted, dial, log, stop }) => {
    const quiet = dial();
    const polite = dial();
    let index = 0;
    accepted.subscribe((c) => {
      const name = index++ === 0 ? 'quiet' : 'polite';
      if (name === 'polite') {
        c.draining$.subscribe(() => log.next(`polite told at ${scheduler.now()}`));
        // It finishes its exchange: the line written after the drain began is still read, then it closes.
        c.data$.subscribe((chunk) => {
          log.next(`polite read ${chunk.toString()} at ${scheduler.now()}`);
          c.close();
        });
      } else {
        c.data$.subscribe({
          complete: () => {
            log.next(`quiet input ended at ${scheduler.now()}`);
            c.close(); // as handle() does once the pipeline completes
          },
        });
      }
      c.closed$.subscribe((closed) => log.next(`${name} closed ${closed.error?.code ?? 'in order'} at ${scheduler.now()}`));
    });
    quiet.subscribe((c) => c.data$.subscribe({ complete: () => c.close() }));
    polite.subscribe((c) => scheduler.schedule(() => c.write('bye'), 29));
    scheduler.schedule(() => stop.abort(), 10);
    const seen: string[] = [];
    log.subscribe((line) => seen.push(line));
    scheduler.flush();
    assert.ok(seen.includes('polite told at 10'), seen.join('; '));
    assert.ok(seen.includes('quiet input ended at 10'), seen.join('; '));
    assert.ok(seen.includes('polite read bye at 30'), 'input written after the drain began is still read');
    assert.ok(seen.includes('polite closed in order at 30'), seen.join('; '));
    assert.not.ok(seen.some((line) => line.includes(ErrorCode.CONNECTION_RESET)), 'nobody is reset before the deadline');
    assert.equal(seen.filter((line) => line.startsWith('server done')), ['server done at 30'], 'the server completes once the last connection has closed');
  });
});

test('drain (virtual time): a connection still open at the deadline is reset, and its peer sees the reset', () => {
  drainScenario(100, ({ scheduler, accepted, dial, log, stop }) => {
    const client = dial();
    accepted.subscribe((c) => {
      c.draining$.subscribe(() => log.next(`told at ${scheduler.now()}`)); // listens, then never closes
      c.closed$.subscribe((closed) => log.next(`closed ${closed.error?.code ?? 'in order'} at ${scheduler.now()}`));
    });
    client.subscribe((c) => c.data$.subscribe({
      complete: () => log.next('peer saw an end'),
      error: (e: RxloopError) => log.next(`peer saw ${e.code} at ${scheduler.now()}`),
    }));
    scheduler.schedule(() => stop.abort(), 10);
    const seen: string[] = [];
    log.subscribe((line) => seen.push(line));
    scheduler.flush();
    assert.ok(seen.includes('told at 10'), seen.join('; '));
    assert.ok(seen.some((line) => line.startsWith('closed ') && line.endsWith(' at 110')), seen.join('; '));
    assert.ok(seen.some((line) => line === `peer saw ${ErrorCode.CONNECTION_RESET} at 110`), seen.join('; '));
    assert.not.ok(seen.includes('peer saw an end'), 'a cut-off reply never looks complete to the peer');
    assert.equal(seen.filter((line) => line.startsWith('server done')), ['server done at 110']);
  });
});

test('drain (virtual time): a client arriving after the drain began is refused; a late draining$ subscriber is told at once', () => {
  drainScenario(100, ({ scheduler, accepted, dial, log, stop }) => {
    dial();
    const late = dial(15);
    accepted.subscribe((c) => {
      log.next(`accepted at ${scheduler.now()}`);
      scheduler.schedule(() => c.draining$.subscribe(() => log.next(`late subscriber told at ${scheduler.now()}`)), 19);
      scheduler.schedule(() => c.close(), 29);
    });
    late.subscribe(() => log.next('the late client got a connection'));
    scheduler.schedule(() => stop.abort(), 10);
    const seen: string[] = [];
    log.subscribe((line) => seen.push(line));
    scheduler.flush();
    assert.equal(seen.filter((line) => line.startsWith('accepted')), ['accepted at 1'], 'only the first client is served');
    assert.ok(seen.includes(`client dialled at 15: ${ErrorCode.CONNECT_REFUSED} at 15`), seen.join('; '));
    assert.not.ok(seen.includes('the late client got a connection'));
    assert.ok(seen.includes('late subscriber told at 20'), seen.join('; '));
    assert.equal(seen.filter((line) => line.startsWith('server done')), ['server done at 30']);
  });
});

test.run();
