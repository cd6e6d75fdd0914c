import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Observable, VirtualTimeScheduler, catchError, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type {
  AcceptorSink,
  ConnectSink,
  ConnectSpec,
  SocketAddress,
  Transport,
} from '../../../src/backends/Backend.js';
import { EmbeddedBackend } from '../../../src/backends/embedded/EmbeddedBackend.js';
import { embeddedBackend } from '../../../src/backends/embedded/embedded.js';
import { ErrorCode, type RxloopError } from '../../../src/errors.js';
import { connectPair } from './connectPair.js';
import { TransportRecorder } from './TransportRecorder.js';

/** Records an acceptor's events. */
function acceptorLog() {
  const log: string[] = [];
  const accepted: Transport[] = [];
  let address: SocketAddress | undefined;
  let error: RxloopError | undefined;
  const sink: AcceptorSink = {
    listening: (at) => {
      address = at;
      log.push('listening');
    },
    accepted: (transport) => {
      accepted.push(transport);
      log.push('accepted');
    },
    failed: (failure) => {
      error = failure;
      log.push(`failed:${failure.code}`);
    },
  };
  return { log, accepted, sink, address: () => address, error: () => error };
}

/** Records a connect attempt's outcome, with the virtual time it happened at. */
function connectLog(scheduler: { now(): number }) {
  const log: string[] = [];
  let transport: Transport | undefined;
  let error: RxloopError | undefined;
  const sink: ConnectSink = {
    connected: (connected) => {
      transport = connected;
      log.push(`connected@${scheduler.now()}`);
    },
    failed: (failure) => {
      error = failure;
      log.push(`failed:${failure.code}@${scheduler.now()}`);
    },
  };
  return { log, sink, transport: () => transport, error: () => error };
}

function setup() {
  const scheduler = new VirtualTimeScheduler();
  const backend = embeddedBackend({ scheduler });
  return { scheduler, backend, flush: () => scheduler.flush() };
}

test('embeddedBackend() returns an EmbeddedBackend on asapScheduler by default', () => {
  const backend = embeddedBackend();
  assert.instance(backend, EmbeddedBackend);
  assert.is(backend.name, 'embedded');
  assert.ok(backend.scheduler !== undefined);
  assert.throws(() => embeddedBackend({ highWaterMark: 0 }), (error: unknown) =>
    (error as RxloopError).code === ErrorCode.INVALID_ARGUMENT);
  assert.throws(() => embeddedBackend({ receiveWindow: -1 }), (error: unknown) =>
    (error as RxloopError).code === ErrorCode.INVALID_ARGUMENT);
});

test('listen on port 0 takes free ports from 40000 up and reports listening on the next turn', () => {
  const { backend, flush } = setup();
  const first = acceptorLog();
  const second = acceptorLog();
  const a = backend.listen({ port: 0 }, first.sink);
  backend.listen({ port: 0, host: '::1' }, second.sink);
  assert.equal(first.log, [], 'listening is delivered asynchronously');
  assert.is(a.address, undefined);
  flush();
  assert.equal(first.address(), { kind: 'inet', family: 'IPv4', address: '127.0.0.1', port: 40000 });
  assert.equal(second.address(), { kind: 'inet', family: 'IPv6', address: '::1', port: 40001 });
  assert.equal(a.address, first.address());
  assert.is(backend.listenerCount, 2);
});

test('a second listen on the same port or path fails with ERR_ADDRESS_IN_USE', () => {
  const { backend, flush } = setup();
  backend.listen({ port: 6379 }, acceptorLog().sink);
  backend.listen({ path: '/tmp/a.sock' }, acceptorLog().sink);
  const port = acceptorLog();
  const path = acceptorLog();
  const taken = backend.listen({ port: 6379 }, port.sink);
  backend.listen({ path: '/tmp/a.sock' }, path.sink);
  flush();
  assert.equal(port.log, ['failed:ERR_ADDRESS_IN_USE']);
  assert.equal(path.log, ['failed:ERR_ADDRESS_IN_USE']);
  assert.is(port.error()?.errno, 'EADDRINUSE');
  assert.match(port.error()!.message, '6379');
  assert.is(backend.listenerCount, 2);
  taken.close();
  assert.is(backend.listenerCount, 2, 'closing the failed acceptor releases nothing');
});

test('invalid listen and connect specs fail with ERR_INVALID_ARGUMENT', () => {
  const { backend, flush, scheduler } = setup();
  const listen = acceptorLog();
  backend.listen({ port: 70000 }, listen.sink);
  const both = connectLog(scheduler);
  backend.connect({ port: 1, path: '/x' }, both.sink);
  const timeout = connectLog(scheduler);
  backend.connect({ port: 1, timeout: -5 }, timeout.sink);
  flush();
  assert.equal(listen.log, ['failed:ERR_INVALID_ARGUMENT']);
  assert.equal(both.log, ['failed:ERR_INVALID_ARGUMENT@0']);
  assert.equal(timeout.log, ['failed:ERR_INVALID_ARGUMENT@0']);
  assert.throws(() => backend.holdAccepts(0, true));
});

test('connect to a listener: accepted and connected on the next turn, reading stopped', () => {
  const { backend, flush, scheduler } = setup();
  const server = acceptorLog();
  backend.listen({ port: 8080 }, server.sink);
  flush();
  const client = connectLog(scheduler);
  backend.connect({ port: 8080 }, client.sink);
  assert.equal(client.log, []);
  flush();
  assert.equal(server.log, ['listening', 'accepted']);
  assert.equal(client.log, ['connected@0']);
  assert.is(backend.openTransports, 2);
  const recorder = new TransportRecorder(server.accepted[0]!, { reading: false });
  client.transport()!.write(Buffer.from('x'));
  flush();
  assert.equal(recorder.events, []);
});

test('connect where nobody listens fails with ERR_CONNECT_REFUSED', () => {
  const { backend, flush, scheduler } = setup();
  const client = connectLog(scheduler);
  backend.connect({ port: 1234 }, client.sink);
  const unix = connectLog(scheduler);
  backend.connect({ path: '/nowhere' }, unix.sink);
  flush();
  assert.equal(client.log, ['failed:ERR_CONNECT_REFUSED@0']);
  assert.is(client.error()?.errno, 'ECONNREFUSED');
  assert.match(client.error()!.message, '127.0.0.1:1234');
  assert.equal(unix.log, ['failed:ERR_CONNECT_REFUSED@0']);
});

test('a connect issued before listen in the same turn is refused, as with real sockets', () => {
  const { backend, flush, scheduler } = setup();
  const client = connectLog(scheduler);
  backend.connect({ port: 9000 }, client.sink);
  backend.listen({ port: 9000 }, acceptorLog().sink);
  flush();
  assert.equal(client.log, ['failed:ERR_CONNECT_REFUSED@0']);
});

test('Unix paths: listen, connect, addresses', () => {
  const { backend, flush, scheduler } = setup();
  const server = acceptorLog();
  backend.listen({ path: '/run/app.sock' }, server.sink);
  flush();
  const client = connectLog(scheduler);
  backend.connect({ path: '/run/app.sock' }, client.sink);
  flush();
  assert.equal(server.address(), { kind: 'unix', path: '/run/app.sock' });
  assert.equal(client.transport()!.remoteAddress, { kind: 'unix', path: '/run/app.sock' });
  assert.equal(client.transport()!.localAddress, { kind: 'unix', path: '' });
  assert.equal(server.accepted[0]!.localAddress, { kind: 'unix', path: '/run/app.sock' });
});

test('Acceptor.close() unregisters: later connects are refused, the port can be reused', () => {
  const { backend, flush, scheduler } = setup();
  const first = acceptorLog();
  const acceptor = backend.listen({ port: 5000 }, first.sink);
  flush();
  acceptor.close();
  acceptor.close();
  assert.is(backend.listenerCount, 0);
  const client = connectLog(scheduler);
  backend.connect({ port: 5000 }, client.sink);
  flush();
  assert.equal(client.log, ['failed:ERR_CONNECT_REFUSED@0']);
  const again = acceptorLog();
  backend.listen({ port: 5000 }, again.sink);
  flush();
  assert.equal(again.log, ['listening']);
  assert.equal(first.log, ['listening'], 'no call after close');
});

test('closing a listener before listening is delivered: no sink call at all', () => {
  const { backend, flush } = setup();
  const server = acceptorLog();
  backend.listen({ port: 0 }, server.sink).close();
  flush();
  assert.equal(server.log, []);
});

test('held accepts: connect times out in virtual time with ERR_CONNECT_TIMEOUT', () => {
  const { backend, flush, scheduler } = setup();
  const server = acceptorLog();
  backend.listen({ port: 6000 }, server.sink);
  backend.holdAccepts(6000, true);
  flush();
  const client = connectLog(scheduler);
  backend.connect({ port: 6000, timeout: 250 }, client.sink);
  flush();
  assert.equal(client.log, ['failed:ERR_CONNECT_TIMEOUT@250']);
  assert.is(client.error()?.errno, 'ETIMEDOUT');
  assert.equal(server.log, ['listening']);
  backend.holdAccepts(6000, false);
  flush();
  assert.equal(server.log, ['listening'], 'the timed-out attempt left the backlog');
  assert.is(backend.openTransports, 0);
});

test('held accepts: waiting connects are accepted when released, in order', () => {
  const { backend, flush, scheduler } = setup();
  const server = acceptorLog();
  backend.holdAccepts(6001, true);
  backend.listen({ port: 6001 }, server.sink);
  flush();
  const first = connectLog(scheduler);
  const second = connectLog(scheduler);
  backend.connect({ port: 6001, timeout: 1000 }, first.sink);
  backend.connect({ port: 6001 }, second.sink);
  scheduler.schedule(() => backend.holdAccepts(6001, false), 400);
  flush();
  assert.equal(first.log, ['connected@400']);
  assert.equal(second.log, ['connected@400']);
  assert.is(server.accepted[0]!.remoteAddress, first.transport()!.localAddress);
  assert.equal(scheduler.now(), 400, 'the timeout was cancelled');
});

test('held accepts: closing the listener refuses the waiting connects; cancel() is silent', () => {
  const { backend, flush, scheduler } = setup();
  const acceptor = backend.listen({ port: 6002 }, acceptorLog().sink);
  backend.holdAccepts(6002, true);
  flush();
  const refused = connectLog(scheduler);
  const cancelled = connectLog(scheduler);
  backend.connect({ port: 6002 }, refused.sink);
  const attempt = backend.connect({ port: 6002 }, cancelled.sink);
  flush();
  attempt.cancel();
  acceptor.close();
  flush();
  assert.equal(refused.log, ['failed:ERR_CONNECT_REFUSED@0']);
  assert.equal(cancelled.log, []);
});

test('cancel() before the first turn: no sink call, no transport created', () => {
  const { backend, flush, scheduler } = setup();
  backend.listen({ port: 6003 }, acceptorLog().sink);
  flush();
  const client = connectLog(scheduler);
  backend.connect({ port: 6003 }, client.sink).cancel();
  flush();
  assert.equal(client.log, []);
  assert.is(backend.openTransports, 0);
});

test('TestScheduler: a held connect times out at exactly its virtual timeout', () => {
  const testScheduler = new TestScheduler((actual, expected) => assert.equal(actual, expected));
  testScheduler.run(({ expectObservable }) => {
    const backend = embeddedBackend({ scheduler: testScheduler });
    backend.listen({ port: 7000 }, acceptorLog().sink);
    backend.holdAccepts(7000, true);
    const connect$ = (spec: ConnectSpec) =>
      new Observable<Transport>((subscriber) => {
        const attempt = backend.connect(spec, {
          connected: (transport) => {
            subscriber.next(transport);
            subscriber.complete();
          },
          failed: (error) => subscriber.error(error),
        });
        return () => attempt.cancel();
      }).pipe(
        map(() => 'connected'),
        catchError((error: RxloopError) => of(error.code)),
      );
    expectObservable(connect$({ port: 7000, timeout: 5000 })).toBe('5000ms (t|)', {
      t: ErrorCode.CONNECT_TIMEOUT,
    });
    expectObservable(connect$({ port: 7001 })).toBe('(r|)', { r: ErrorCode.CONNECT_REFUSED });
  });
});

test('TestScheduler: the default asapScheduler is virtual inside run(), so an echo is deterministic', () => {
  const testScheduler = new TestScheduler((actual, expected) => assert.equal(actual, expected));
  testScheduler.run(({ flush }) => {
    const backend = embeddedBackend();
    const pair = connectPair(backend, flush);
    const server = new TransportRecorder(pair.server);
    server.onCompleted = (chunks) => {
      for (const chunk of chunks) pair.server.write(chunk);
    };
    const client = new TransportRecorder(pair.client);
    testScheduler.schedule(() => pair.client.write(Buffer.from('one')), 10);
    testScheduler.schedule(() => pair.client.write(Buffer.from('two')), 20);
    flush();
    assert.is(client.text, 'onetwo');
    assert.equal(client.batches, [[3], [3]]);
    assert.is(testScheduler.now(), 20);
  });
});

test('asapScheduler (real time): an echo round trip', async () => {
  const backend = embeddedBackend();
  const done = new Promise<string>((resolve, reject) => {
    backend.listen({ port: 0 }, {
      listening: (address) => {
        backend.connect({ port: (address as { port: number }).port }, {
          connected: (transport) => {
            const client = new TransportRecorder(transport);
            client.onEnded = () => resolve(client.text);
            transport.write(Buffer.from('hello'));
            transport.end();
          },
          failed: reject,
        });
      },
      accepted: (transport) => {
        const server = new TransportRecorder(transport);
        server.onCompleted = (chunks) => {
          for (const chunk of chunks) transport.write(chunk);
        };
        server.onEnded = () => transport.end();
      },
      failed: reject,
    });
  });
  assert.is(await done, 'hello');
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.is(backend.openTransports, 0);
});

test('endOfTurn runs after the events already scheduled', () => {
  const { backend, flush } = setup();
  const order: string[] = [];
  const server = acceptorLog();
  backend.listen({ port: 0 }, server.sink);
  backend.endOfTurn(() => order.push(`end of turn, listening seen: ${server.log.length}`));
  flush();
  assert.equal(order, ['end of turn, listening seen: 1']);
});

test('TLS options are accepted and reflected in features.secure', () => {
  const { backend, flush, scheduler } = setup();
  const server = acceptorLog();
  backend.listen({ port: 443, tls: {} }, server.sink);
  flush();
  const client = connectLog(scheduler);
  backend.connect({ port: 443, tls: {} }, client.sink);
  flush();
  assert.is(server.accepted[0]!.features.secure, true);
  assert.is(client.transport()!.features.secure, true);
});

test('openTransports returns to 0 once every connection is closed', () => {
  const { backend, flush } = setup();
  const pairs = Array.from({ length: 5 }, () => connectPair(backend, flush));
  assert.is(backend.openTransports, 10);
  for (const pair of pairs) {
    new TransportRecorder(pair.client);
    new TransportRecorder(pair.server);
  }
  pairs[0]!.client.abort();
  pairs[1]!.server.abort();
  for (const pair of pairs.slice(2)) {
    pair.client.close();
    pair.server.close();
  }
  flush();
  assert.is(backend.openTransports, 0);
  for (const pair of pairs) pair.closeListener();
  assert.is(backend.listenerCount, 0);
});

test.run();
