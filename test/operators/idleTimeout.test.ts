import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestScheduler } from 'rxjs/testing';
import { Subject, map } from 'rxjs';
import { ErrorCode, RxloopError, connect, embeddedBackend, listen, type Connection } from '../../src/index.js';
import { idleTimeout } from '../../operators/idleTimeout.js';

function run(body: (helpers: { scheduler: TestScheduler; server: Subject<Connection>; client: Subject<Connection> }) => void): void {
  const scheduler = new TestScheduler((a, b) => assert.equal(a, b));
  scheduler.run(() => {
    const backend = embeddedBackend({ scheduler });
    const server = new Subject<Connection>();
    const client = new Subject<Connection>();
    listen({ port: 9, backend }).subscribe(server);
    scheduler.schedule(() => connect({ port: 9, backend }).subscribe((c) => client.next(c)), 1);
    body({ scheduler, server, client });
  });
}

test('errors with ERR_TIMEOUT when no bytes move either way for ms (virtual time)', () => {
  run(({ scheduler, server }) => {
    const outcome = new Subject<string>();
    server.subscribe((c) => c.data$.pipe(idleTimeout(c, 100)).subscribe({
      error: (e: RxloopError) => {
        outcome.next(`${e.code} at ${scheduler.now()}`);
        outcome.complete();
      },
    }));
    scheduler.expectObservable(outcome).toBe('101ms (a|)', { a: `${ErrorCode.TIMEOUT} at 101` });
  });
});

test('traffic in either direction keeps the connection alive', () => {
  run(({ scheduler, server, client }) => {
    const events = new Subject<string>();
    server.subscribe((c) => c.data$.pipe(idleTimeout(c, 100), map((b) => b.toString())).subscribe({
      next: (v) => events.next(v),
      error: (e: RxloopError) => events.next(e.code),
    }));
    client.subscribe((c) => {
      scheduler.schedule(() => c.write('a'), 80);
      scheduler.schedule(() => c.write('b'), 160);
    });
    // The timer samples the byte counters every 100 ms (at 101, 201, 301): traffic seen at 101 and 201 re-arms it,
    // and at 301 a full period has passed with none.
    scheduler.expectObservable(events).toBe('81ms a 79ms b 139ms c', { a: 'a', b: 'b', c: ErrorCode.TIMEOUT });
  });
});

test("action 'close' closes the connection and completes", () => {
  run(({ scheduler, server }) => {
    const events = new Subject<string>();
    server.subscribe((c) => {
      c.data$.pipe(idleTimeout(c, 50, { action: 'close' })).subscribe({ complete: () => events.next('complete') });
      c.closed$.subscribe(() => events.next('closed'));
    });
    scheduler.expectObservable(events).toBe('51ms (ab)', { a: 'complete', b: 'closed' });
  });
});

test('a bad ms errors with ERR_INVALID_ARGUMENT; unsubscribe cancels the timer', () => {
  run(({ scheduler, server }) => {
    const events = new Subject<string>();
    server.subscribe((c) => {
      c.data$.pipe(idleTimeout(c, -5)).subscribe({ error: (e: RxloopError) => events.next(e.code) });
      const s = c.data$.pipe(idleTimeout(c, 10)).subscribe({ error: () => events.next('should not fire') });
      scheduler.schedule(() => s.unsubscribe(), 5);
    });
    scheduler.expectObservable(events).toBe('1ms a', { a: ErrorCode.INVALID_ARGUMENT });
  });
});

test.run();
