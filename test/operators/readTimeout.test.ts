import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestScheduler } from 'rxjs/testing';
import { NEVER, EMPTY, throwError, Subject } from 'rxjs';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { readTimeout } from '../../operators/readTimeout.js';

const timeoutError = (ms: number, idle: number) =>
  new RxloopError(ErrorCode.TIMEOUT, `readTimeout expected a value within ${ms} ms, but none came for ${idle} ms`);

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    const normalise = (frames: { frame: number; notification: { kind: string; value?: unknown; error?: unknown } }[]) =>
      frames.map((f) => f.notification === undefined ? f : ({
        frame: f.frame,
        kind: f.notification.kind,
        value: f.notification.value,
        error: f.notification.error instanceof RxloopError ? `${f.notification.error.code}: ${f.notification.error.message}` : f.notification.error,
      }));
    assert.equal(normalise(actual as never), normalise(expected as never));
  });
}

test('passes values through while they come in time', () => {
  const s = scheduler();
  s.run(({ cold, expectObservable }) => {
    const source = cold('a 9ms b 9ms c|');
    expectObservable(source.pipe(readTimeout(10, { scheduler: s }))).toBe('a 9ms b 9ms c|');
  });
});

test('errors with ERR_TIMEOUT after the silence, counted from the last value', () => {
  const s = scheduler();
  s.run(({ cold, expectObservable }) => {
    const source = cold('a 5ms b 30ms c|');
    expectObservable(source.pipe(readTimeout(10, { scheduler: s }))).toBe('a 5ms b 9ms #', { a: 'a', b: 'b' }, timeoutError(10, 10));
  });
});

test('never: errors after ms; empty: completes; error: passes through', () => {
  const s = scheduler();
  s.run(({ expectObservable }) => {
    expectObservable(NEVER.pipe(readTimeout(5, { scheduler: s }))).toBe('5ms #', undefined, timeoutError(5, 5));
    expectObservable(EMPTY.pipe(readTimeout(5, { scheduler: s }))).toBe('|');
    const boom = new Error('boom');
    expectObservable(throwError(() => boom).pipe(readTimeout(5, { scheduler: s }))).toBe('#', undefined, boom);
  });
});

test('early unsubscribe runs teardown: no timer is left and the source is unsubscribed', () => {
  const s = scheduler();
  s.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const source = cold('a 20ms b');
    expectObservable(source.pipe(readTimeout(100, { scheduler: s })), '^ 3ms !').toBe('a');
    expectSubscriptions(source.subscriptions).toBe('^ 3ms !');
    flush();
  });
});

test('a bad ms errors with ERR_INVALID_ARGUMENT', () => {
  const errors: string[] = [];
  for (const ms of [0, -1, Infinity, Number.NaN]) {
    new Subject<number>().pipe(readTimeout(ms)).subscribe({ error: (e: RxloopError) => errors.push(e.code) });
  }
  assert.equal(errors, Array(4).fill(ErrorCode.INVALID_ARGUMENT));
});

test.run();
