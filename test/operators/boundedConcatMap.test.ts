import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, of, throwError, EMPTY, NEVER, Observable, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { boundedConcatMap } from '../../operators/boundedConcatMap.js';

/** Just enough of a Connection to watch holds. */
function fakeConnection(): { connection: Connection; holds: () => number } {
  let holds = 0;
  const connection = {
    hold: () => {
      holds++;
      let released = false;
      return () => {
        if (!released) holds--;
        released = true;
      };
    },
  } as unknown as Connection;
  return { connection, holds: () => holds };
}

test('one at a time, in order (marbles)', () => {
  const scheduler = new TestScheduler((a, b) => assert.equal(a, b));
  scheduler.run(({ cold, hot, expectObservable }) => {
    const { connection } = fakeConnection();
    const source = hot('a-b-c|');
    const inner = (v: string) => cold('--x|', { x: v.toUpperCase() });
    expectObservable(source.pipe(boundedConcatMap(connection, inner, { weight: () => 1 }))).toBe('--A--B--C|');
  });
});

test('holds the connection while the queue is over the high-water mark, releases at half', () => {
  const { connection, holds } = fakeConnection();
  const source = new Subject<Buffer>();
  const gates: Subject<void>[] = [];
  const seen: number[] = [];
  source
    .pipe(boundedConcatMap(connection, (chunk) => {
      const gate = new Subject<void>();
      gates.push(gate);
      return new Observable<number>((s) => gate.subscribe(() => { s.next(chunk.length); s.complete(); }));
    }, { highWaterMark: 100 }))
    .subscribe((n) => seen.push(n));
  source.next(Buffer.alloc(60)); // runs at once, queue empty
  source.next(Buffer.alloc(60)); // queued: 60
  assert.is(holds(), 0);
  source.next(Buffer.alloc(60)); // queued: 120 > 100 -> hold
  assert.is(holds(), 1);
  gates[0]!.next(); // second starts, queue 60 > 50: still held
  assert.is(holds(), 1);
  gates[1]!.next(); // third starts, queue 0 -> released
  assert.is(holds(), 0);
  gates[2]!.next();
  assert.equal(seen, [60, 60, 60]);
});

test('empty, one, many, error, throwing project, and teardown releases the hold', async () => {
  const { connection, holds } = fakeConnection();
  assert.equal(await lastValueFrom(EMPTY.pipe(boundedConcatMap(connection, (v) => of(v)), toArray())), []);
  assert.equal(await lastValueFrom(of(1).pipe(boundedConcatMap(connection, (v) => of(v * 2)), toArray())), [2]);
  assert.equal(await lastValueFrom(of(1, 2, 3).pipe(boundedConcatMap(connection, (v) => of(v, v)), toArray())), [1, 1, 2, 2, 3, 3]);
  const boom = new Error('boom');
  assert.is(await lastValueFrom(throwError(() => boom).pipe(boundedConcatMap(connection, (v) => of(v)))).catch((e) => e), boom);
  assert.is(await lastValueFrom(of(1).pipe(boundedConcatMap(connection, () => { throw boom; }))).catch((e) => e), boom);
  const source = new Subject<Buffer>();
  const subscription = source.pipe(boundedConcatMap(connection, () => NEVER, { highWaterMark: 10 })).subscribe();
  source.next(Buffer.alloc(5));
  source.next(Buffer.alloc(20));
  assert.is(holds(), 1);
  subscription.unsubscribe();
  assert.is(holds(), 0);
  assert.is(source.observed, false);
});

test('a bad high-water mark errors with ERR_INVALID_ARGUMENT', () => {
  const { connection } = fakeConnection();
  let code = '';
  of(1).pipe(boundedConcatMap(connection, (v) => of(v), { highWaterMark: 0 })).subscribe({ error: (e: RxloopError) => (code = e.code) });
  assert.is(code, ErrorCode.INVALID_ARGUMENT);
});

test.run();
