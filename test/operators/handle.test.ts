import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import { EMPTY, NEVER, Subject, lastValueFrom, map, of, throwError, toArray } from 'rxjs';
import { ErrorCode, RxloopError, listen, type Connection } from '../../src/index.js';
import { handle, lengthPrefixed, sendTo, type HandleEvent } from '../../operators/index.js';
import { backendCases } from '../support/backendCases.js';
import { dial, readAll } from '../support/sockets.js';
import { until } from '../backends/node/until.js';

/** The README's first server, through handle(): an echo; resolves with its port and what it reported. */
function echoServer(backend = backendCases[0]!.make(), handler = (c: Connection) => c.data$.pipe(sendTo(c))) {
  const events: HandleEvent[] = [];
  const failures: unknown[] = [];
  let completed = false;
  return new Promise<{ port: number; events: HandleEvent[]; failures: unknown[]; done: () => boolean; stop: () => void }>(
    (resolve) => {
      const subscription = listen({
        host: '127.0.0.1',
        port: 0,
        backend,
        onListening: ({ address }) =>
          resolve({
            port: address.kind === 'inet' ? address.port : 0,
            events,
            failures,
            done: () => completed,
            stop: () => subscription.unsubscribe(),
          }),
      })
        .pipe(handle(handler))
        .subscribe({ next: (event) => events.push(event), error: (error) => failures.push(error), complete: () => (completed = true) });
    },
  );
}

const real = suite('handle() on real loopback sockets');

real('the README\'s echo survives five clients that send 1 MiB and reset after 2 ms; a fresh client is answered', async () => {
  const server = await echoServer();
  try {
    const clients: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const socket = netConnect({ host: '127.0.0.1', port: server.port });
      socket.on('error', () => undefined);
      socket.on('connect', () => {
        socket.write(Buffer.alloc(1024 * 1024, 0x61));
        setTimeout(() => socket.resetAndDestroy(), 2);
      });
      clients.push(socket);
    }
    await until(() => clients.every((socket) => socket.destroyed), 'the clients to reset');
    await until(() => server.events.length === 5, 'five connections reported');
    assert.equal(server.events.map((event) => event.type), Array(5).fill('peer-reset'), 'resets are not handler errors');
    assert.equal(server.failures, [], 'the server stream never errored');
    // Still listening, still serving.
    const client = await dial(backendCases[0]!.make(), server.port);
    client.write('still here');
    client.end();
    assert.is((await readAll(client)).toString(), 'still here');
  } finally {
    server.stop();
  }
});

for (const backendCase of backendCases) {
  const test = suite(`handle() on ${backendCase.name}`);

  test('a frame over its maximum costs that connection, closed in order after its reply; others are served', async () => {
    const backend = backendCase.make();
    const server = await echoServer(backend, (connection) =>
      connection.data$.pipe(lengthPrefixed({ maxLength: 16 }), map((frame) => Buffer.concat([frame, Buffer.from('\n')])), sendTo(connection)),
    );
    try {
      const hostile = await dial(backend, server.port);
      const frame = Buffer.alloc(4 + 3);
      frame.writeUInt32BE(3);
      frame.write('abc', 4);
      const tooLong = Buffer.alloc(4);
      tooLong.writeUInt32BE(1000);
      hostile.write(Buffer.concat([frame, tooLong]));
      // The frame before the bad one was answered, then the connection closed in order: an end, not a reset.
      assert.is((await readAll(hostile)).toString(), 'abc\n');
      await until(() => server.events.length === 1, 'the failure to be reported');
      const event = server.events[0]!;
      assert.is(event.type, 'handler-error');
      assert.is(event.type === 'handler-error' && event.code, ErrorCode.FRAME_TOO_LONG);
      const fine = await dial(backend, server.port);
      fine.write(frame);
      fine.end();
      assert.is((await readAll(fine)).toString(), 'abc\n');
      assert.equal(server.failures, []);
    } finally {
      server.stop();
    }
  });

  test('a handler that throws resets its connection (no FIN that looks like success) and reports ERR_TASK_FAILED', async () => {
    const backend = backendCase.make();
    const server = await echoServer(backend, (connection) => connection.data$.pipe(map(() => {
      throw new Error('a bug in the handler');
    })));
    try {
      const client = await dial(backend, server.port);
      client.write('x');
      const error = await readAll(client).catch((e: unknown) => e);
      assert.is((error as RxloopError).code, ErrorCode.CONNECTION_RESET);
      await until(() => server.events.length === 1, 'the report');
      const event = server.events[0]!;
      assert.ok(event.type === 'handler-error' && event.code === ErrorCode.TASK_FAILED && /a bug/.test(event.message));
      assert.equal(server.failures, []);
    } finally {
      server.stop();
    }
  });

  test('a pipeline that completes closes its connection after its writes are flushed', async () => {
    const backend = backendCase.make();
    const big = Buffer.alloc(512 * 1024, 0x62);
    const server = await echoServer(backend, (connection) => of(big, 'end').pipe(sendTo(connection, { onComplete: 'none' })));
    try {
      const client = await dial(backend, server.port);
      const received = await readAll(client);
      assert.is(received.length, big.length + 3);
      assert.equal(server.events, []);
    } finally {
      server.stop();
    }
  });

  test('completes when the source completes and every pipeline has finished; unsubscribing closes them all', async () => {
    const backend = backendCase.make();
    const connections = new Subject<Connection>();
    const release = new Subject<void>();
    let completed = false;
    const events: HandleEvent[] = [];
    const subscription = connections.pipe(handle(() => release)).subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    const server = await new Promise<{ port: number; stop: () => void }>((resolve) => {
      const listening = listen({ host: '127.0.0.1', port: 0, backend, onListening: ({ address }) =>
        resolve({ port: address.kind === 'inet' ? address.port : 0, stop: () => listening.unsubscribe() }) })
        .subscribe((c) => connections.next(c));
    });
    try {
      const first = await dial(backend, server.port);
      const second = await dial(backend, server.port);
      await until(() => first.isOpen && second.isOpen, 'both connected');
      connections.complete();
      assert.not.ok(completed, 'pipelines still run');
      release.complete();
      await until(() => completed, 'completion once the pipelines finished');
      await readAll(first);
      await readAll(second);
      assert.equal(events, []);
      // Unsubscribing stops pipelines that would never finish.
      const more = new Subject<Connection>();
      const forever = more.pipe(handle(() => NEVER)).subscribe();
      const accepted: Connection[] = [];
      const listening = listen({ host: '127.0.0.1', port: 0, backend, onListening: async ({ address }) => {
        const client = await dial(backend, address.kind === 'inet' ? address.port : 0);
        await until(() => accepted.length === 1, 'the accept');
        forever.unsubscribe();
        await readAll(client);
        listening.unsubscribe();
      } }).subscribe((c) => {
        accepted.push(c);
        more.next(c);
      });
      await until(() => accepted.length === 1 && !accepted[0]!.isOpen, 'the connection to be closed by the unsubscribe');
    } finally {
      subscription.unsubscribe();
      server.stop();
    }
  });

  test('a source error passes on; bad arguments throw ERR_INVALID_ARGUMENT', async () => {
    const boom = new RxloopError(ErrorCode.ADDRESS_IN_USE, 'taken');
    const error = await lastValueFrom(throwError(() => boom).pipe(handle(() => EMPTY), toArray())).catch((e) => e);
    assert.is(error, boom);
    assert.throws(() => handle(42 as never), (e: RxloopError) => e.code === ErrorCode.INVALID_ARGUMENT);
    assert.throws(() => handle(() => EMPTY, { linger: -1 }), (e: RxloopError) => e.code === ErrorCode.INVALID_ARGUMENT);
  });

  test.run();
}

real.run();
