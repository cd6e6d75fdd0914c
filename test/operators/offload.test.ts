import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, from, lastValueFrom, toArray, type Observable } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { runInHandlerContext, type TaskRunner } from '../../src/HandlerContext.js';
import { offload, type OffloadOptions } from '../../operators/offload.js';
import { PoolTaskRunner } from '../../schedulers/PoolTaskRunner.js';

const tasks = new URL('../fixtures/offloadTasks.js', import.meta.url).href;
const task = (name: string): string => `${tasks}#${name}`;

/** Just enough of a Connection to watch holds: the number held now and the most held at once. */
function fakeConnection(): { connection: Connection; holds: () => number; maxHolds: () => number } {
  let holds = 0;
  let max = 0;
  const connection = {
    hold: () => {
      holds++;
      max = Math.max(max, holds);
      let released = false;
      return () => {
        if (!released) holds--;
        released = true;
      };
    },
  } as unknown as Connection;
  return { connection, holds: () => holds, maxHolds: () => max };
}

/** Builds the operator the way a handler does: inside a handler context. */
function offloadIn<T, R>(
  context: { taskRunner?: TaskRunner; connection?: Connection },
  ref: string,
  options?: OffloadOptions<T, R>,
) {
  return runInHandlerContext(context, () => offload<T, R>(ref, options));
}

function collect<R>(source: Observable<R>): Promise<R[]> {
  return lastValueFrom(source.pipe(toArray()), { defaultValue: [] });
}

async function failure(source: Observable<unknown>): Promise<RxloopError> {
  try {
    await collect(source);
  } catch (error) {
    assert.instance(error, RxloopError);
    return error as RxloopError;
  }
  throw new Error('expected the stream to error');
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits, a turn at a time, for a condition: bounded by wall time, not by a count of turns a slow machine may use up. */
async function until(condition: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition() && Date.now() < deadline) await tick();
  assert.ok(condition(), 'condition never became true');
}

// ---- inline: no handler context, or an inline runner ----

test('inline: values that arrive before the import resolves keep their order, then it is a plain map', async () => {
  const fresh = `${tasks}?inline-order#double`; // a module URL nobody imported yet
  const { connection, holds, maxHolds } = fakeConnection();
  const source = new Subject<number>();
  const seen: number[] = [];
  let completed = false;
  source.pipe(offloadIn<number, number>({ connection }, fresh, { concurrency: 2 })).subscribe({
    next: (n) => seen.push(n),
    complete: () => (completed = true),
  });
  for (let i = 1; i <= 5; i++) source.next(i);
  assert.equal(seen, [], 'nothing before the module is loaded');
  assert.is(holds(), 1, 'five waiting values over a bound of two hold the connection');
  await until(() => seen.length === 5);
  assert.equal(seen, [2, 4, 6, 8, 10]);
  assert.is(holds(), 0);
  source.next(6);
  assert.equal(seen.at(-1), 12, 'once loaded, a value goes out synchronously');
  source.complete();
  assert.ok(completed);
  assert.is(maxHolds(), 1);
});

test('inline: empty, one, many, and an inline runner behaves like none', async () => {
  assert.equal(await collect(from([] as number[]).pipe(offloadIn({}, task('double')))), []);
  assert.equal(await collect(from([21]).pipe(offloadIn({}, task('double')))), [42]);
  const inlineRunner: TaskRunner = { inline: true, run: () => Promise.reject(new Error('offload must not call run inline')) };
  assert.equal(await collect(from([1, 2, 3]).pipe(offloadIn({ taskRunner: inlineRunner }, task('double')))), [2, 4, 6]);
});

test('inline: async task functions complete in request order', async () => {
  const inputs = [30, 0, 20, 5, 10].map((ms, value) => ({ value, ms }));
  assert.equal(await collect(from(inputs).pipe(offloadIn({}, task('echoAfter')))), [0, 1, 2, 3, 4]);
});

test('inline: a throwing task errors the stream with ERR_TASK_FAILED and its cause', async () => {
  const seen: number[] = [];
  const error = await new Promise<RxloopError>((resolve) => {
    from([1, 'bad', 3])
      .pipe(offloadIn<number | string, number>({}, task('doubleOrThrow')))
      .subscribe({ next: (n) => seen.push(n), error: resolve });
  });
  assert.is(error.code, ErrorCode.TASK_FAILED);
  assert.is((error.cause as Error).message, 'boom');
  assert.match(error.message, /doubleOrThrow/);
  assert.equal(seen, [2]);
  const rejected = await failure(from([1]).pipe(offloadIn({}, task('rejectLater'))));
  assert.is(rejected.code, ErrorCode.TASK_FAILED);
  assert.instance(rejected.cause, TypeError);
});

test('inline: onError answers only the failed request; an onError that throws errors the stream', async () => {
  const op = offloadIn<number | string, number | string>({}, task('doubleOrThrow'), {
    onError: (error, input) => `${error.code} for ${String(input)}`,
  });
  assert.equal(await collect(from([1, 'bad', 3]).pipe(op)), [2, 'ERR_TASK_FAILED for bad', 6]);
  const thrown = new Error('mapper failed');
  const op2 = offloadIn<number | string, number>({}, task('doubleOrThrow'), {
    onError: () => {
      throw thrown;
    },
  });
  try {
    await collect(from([1, 'bad']).pipe(op2));
    assert.unreachable('should have errored');
  } catch (error) {
    assert.is(error, thrown);
  }
});

test('inline: results that are Uint8Array come out as Buffer', async () => {
  const [result] = await collect(from([Buffer.from('abc')]).pipe(offloadIn<Buffer, Uint8Array>({}, task('upper'))));
  assert.ok(Buffer.isBuffer(result));
  assert.is(result!.toString(), 'ABC');
});

test('bad references and options error on subscribe with ERR_INVALID_ARGUMENT (onError is not asked)', async () => {
  const onError = (): number => {
    throw new Error('onError must not be called');
  };
  const cases: [string, Observable<unknown>][] = [
    ['relative path', from([1]).pipe(offloadIn({}, './offloadTasks.js#double'))],
    ['missing module', from([1]).pipe(offloadIn({}, `${tasks}-missing.js#double`, { onError }))],
    ['missing export', from([1]).pipe(offloadIn({}, task('nope'), { onError }))],
    ['not a function', from([1]).pipe(offloadIn({}, task('notAFunction'), { onError }))],
    ['bad concurrency', from([1]).pipe(offloadIn({}, task('double'), { concurrency: 0 }))],
  ];
  for (const [name, source] of cases) {
    const error = await failure(source);
    assert.is(error.code, ErrorCode.INVALID_ARGUMENT, name);
  }
});

test('inline: a source error passes through; unsubscribing drops pending results and releases the hold', async () => {
  const boom = new Error('source failed');
  const source = new Subject<{ value: number; ms: number }>();
  const { connection, holds } = fakeConnection();
  const seen: unknown[] = [];
  const errors: unknown[] = [];
  source.pipe(offloadIn({ connection }, task('echoAfter'), { concurrency: 1 })).subscribe({
    next: (v) => seen.push(v),
    error: (e) => errors.push(e),
  });
  source.next({ value: 1, ms: 20 });
  assert.is(holds(), 1);
  source.error(boom);
  assert.equal(errors, [boom]);
  assert.is(holds(), 0);
  const later = new Subject<{ value: number; ms: number }>();
  const subscription = later.pipe(offloadIn({}, task('echoAfter'))).subscribe((v) => seen.push(v));
  later.next({ value: 2, ms: 5 });
  subscription.unsubscribe();
  assert.not.ok(later.observed, 'the source is unsubscribed');
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(seen, []);
});

// ---- on a worker pool ----

let pool: PoolTaskRunner;
const workerExits: string[] = [];

test.before(() => {
  pool = new PoolTaskRunner({ workers: 3, maxQueue: 100, onWorkerExit: (message) => workerExits.push(message) });
});

test.after(async () => {
  await pool.close();
});

test('pool: order is restored under random task durations', async () => {
  const inputs = Array.from({ length: 24 }, (_, value) => ({ value, ms: Math.floor(Math.random() * 25) }));
  const results = await collect(from(inputs).pipe(offloadIn({ taskRunner: pool }, task('echoAfter'))));
  assert.equal(results, inputs.map((input) => input.value));
  assert.is(pool.tasksInFlight, 0);
});

test('pool: in-flight tasks per subscription stay within concurrency, and the window holds the connection', async () => {
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const { connection, holds, maxHolds } = fakeConnection();
  const inputs = Array.from({ length: 10 }, (_, value) => ({ counters, ms: 15, value }));
  const results = await collect(from(inputs).pipe(offloadIn({ taskRunner: pool, connection }, task('track'), { concurrency: 2 })));
  assert.equal(results, inputs.map((input) => input.value));
  assert.is(Atomics.load(counters, 1), 2, 'two ran at once, never more (three workers were free)');
  assert.ok(maxHolds() >= 1);
  assert.is(holds(), 0);
});

test('pool: while every worker is busy, submitting connections are held until one is free', async () => {
  const { connection, holds, maxHolds } = fakeConnection();
  // Four tasks, a window of eight: the window never fills, so any hold is the pool's (three workers).
  const inputs = Array.from({ length: 4 }, (_, value) => ({ value, ms: 20 }));
  const results = await collect(from(inputs).pipe(offloadIn({ taskRunner: pool, connection }, task('echoAfter'))));
  assert.equal(results, [0, 1, 2, 3]);
  assert.is(maxHolds(), 1);
  assert.is(holds(), 0);
});

test('pool: a pooled slab is copied (the slab stays intact), an owned buffer is moved, a view sends only its bytes', async () => {
  const a = Buffer.from('slab-a');
  const b = Buffer.from('slab-b');
  assert.is(a.buffer, b.buffer, 'precondition: both live in the same pooled slab');
  const slabSize = a.buffer.byteLength;
  const owned = Buffer.alloc(5, 'o');
  const whole = Buffer.from('0123456789xyz0123456789'.repeat(300)); // over 4 KiB: not pooled
  const view = whole.subarray(10, 13);
  const op = offloadIn<Buffer, { isBuffer: boolean; text: string; length: number }>({ taskRunner: pool }, task('describeBytes'));
  const [fromSlab, fromOwned, fromView] = await collect(from([a, owned, view]).pipe(op));
  assert.equal(fromSlab, { isBuffer: true, text: 'slab-a', length: 6 });
  assert.equal(fromOwned, { isBuffer: true, text: 'ooooo', length: 5 });
  assert.equal(fromView, { isBuffer: true, text: 'xyz', length: 3 });
  assert.is(a.toString(), 'slab-a');
  assert.is(b.toString(), 'slab-b');
  assert.is(a.buffer.byteLength, slabSize, 'the slab was not detached');
  assert.is(owned.length, 0, 'the owned buffer was moved (detached here)');
  assert.is(view.toString(), 'xyz');
  assert.is(whole.length, 6900);
});

test('pool: byte results come back as Buffers, whether the worker made an owned array or a pooled slice', async () => {
  const results = await collect(
    from([Buffer.from('abc')]).pipe(offloadIn<Buffer, Uint8Array>({ taskRunner: pool }, task('upper'))),
  );
  const pooled = await collect(
    from([Buffer.from('def')]).pipe(offloadIn<Buffer, Uint8Array>({ taskRunner: pool }, task('upperPooled'))),
  );
  for (const [result, text] of [[results[0], 'ABC'], [pooled[0], 'DEF']] as const) {
    assert.ok(Buffer.isBuffer(result));
    assert.is(result!.toString(), text);
    assert.is(result!.buffer.byteLength, 3, 'only the result bytes crossed');
  }
});

test('pool: a throwing task affects only its request with onError, and errors the stream without', async () => {
  const causes: unknown[] = [];
  const op = offloadIn<number | string, number | string>({ taskRunner: pool }, task('doubleOrThrow'), {
    onError: (error) => {
      causes.push(error.cause);
      return error.code;
    },
  });
  assert.equal(await collect(from([1, 'bad', 3, 'bad', 5]).pipe(op)), [2, 'ERR_TASK_FAILED', 6, 'ERR_TASK_FAILED', 10]);
  assert.is((causes[0] as Error).message, 'boom');
  assert.is((causes[0] as { code?: string }).code, 'E_BAD', 'the code survives the thread hop');
  const error = await failure(from([1, 'bad']).pipe(offloadIn({ taskRunner: pool }, task('doubleOrThrow'))));
  assert.is(error.code, ErrorCode.TASK_FAILED);
  const missing = await failure(from([1]).pipe(offloadIn({ taskRunner: pool }, task('nope'), { onError: () => 0 })));
  assert.is(missing.code, ErrorCode.INVALID_ARGUMENT);
});

test('pool: a worker that dies fails its task with ERR_WORKER_DIED, and the pool keeps working', async () => {
  const op = offloadIn<unknown, unknown>({ taskRunner: pool }, `${tasks}#echoAfter`, { onError: (error) => error.code });
  const dieOp = offloadIn<number, unknown>({ taskRunner: pool }, task('die'), { onError: (error) => error.code });
  assert.equal(await collect(from([3]).pipe(dieOp)), [ErrorCode.WORKER_DIED]);
  assert.is(workerExits.length, 1);
  assert.match(workerExits[0]!, /3/);
  const again = Array.from({ length: 6 }, (_, value) => ({ value, ms: 5 }));
  assert.equal(await collect(from(again).pipe(op)), [0, 1, 2, 3, 4, 5]);
  const error = await failure(from([1]).pipe(offloadIn({ taskRunner: pool }, task('die'))));
  assert.is(error.code, ErrorCode.WORKER_DIED);
});

test('pool: past maxQueue a task fails with ERR_OVERLOADED', async () => {
  const small = new PoolTaskRunner({ workers: 1, maxQueue: 1 });
  try {
    // Warm up: a worker still starting counts as queue room in Piscina.
    assert.equal(await collect(from([{ value: 'warm', ms: 0 }]).pipe(offloadIn({ taskRunner: small }, task('echoAfter')))), ['warm']);
    const inputs = Array.from({ length: 3 }, (_, value) => ({ value, ms: 20 }));
    const op = offloadIn<unknown, unknown>({ taskRunner: small }, task('echoAfter'), { onError: (error) => error.code });
    assert.equal(await collect(from(inputs).pipe(op)), [0, 1, ErrorCode.OVERLOADED]);
  } finally {
    await small.close();
  }
});

test('pool: unsubscribing aborts queued and running tasks', async () => {
  const source = new Subject<{ value: number; ms: number }>();
  const { connection, holds } = fakeConnection();
  const seen: unknown[] = [];
  const subscription = source.pipe(offloadIn({ taskRunner: pool, connection }, task('echoAfter'))).subscribe((v) => seen.push(v));
  for (let value = 0; value < 5; value++) source.next({ value, ms: 10_000 });
  assert.is(pool.tasksInFlight, 5);
  subscription.unsubscribe();
  await until(() => pool.tasksInFlight === 0);
  assert.equal(seen, []);
  assert.is(holds(), 0);
  assert.is(workerExits.length, 2, 'aborting is not reported as a worker death');
  // The workers that ran the aborted tasks were replaced.
  assert.equal(await collect(from([{ value: 'ok', ms: 1 }]).pipe(offloadIn({ taskRunner: pool }, task('echoAfter')))), ['ok']);
});

test.run();
