import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { Connection, TaskRef } from '../src/index.js';
import { handlerContext, runInHandlerContext, type TaskRunner } from '../src/HandlerContext.js';
import { offload } from '../operators/index.js';
import { within } from './support/spawned.js';

// doubleOrThrow, not double: the whole suite runs in one process, and loadTask.test needs double's first load.
const tasks = new URL('./fixtures/offloadTasks.js', import.meta.url).href;
const fakeConnection = { id: 'not a real connection' } as unknown as Connection;

/** A task runner that records what it was asked and answers with `answer`. */
function recordingRunner(inline: boolean, answer: (input: unknown) => unknown): TaskRunner & { calls: { task: TaskRef; input: unknown; connection?: Connection; signal: AbortSignal }[] } {
  const calls: { task: TaskRef; input: unknown; connection?: Connection; signal: AbortSignal }[] = [];
  return {
    inline,
    calls,
    run: async (task, input, options) => {
      calls.push({ task, input, connection: options.connection, signal: options.signal });
      return answer(input);
    },
  };
}

test('outside a handler call the context is empty', () => {
  assert.equal(handlerContext(), {});
});

test('runInHandlerContext sets the context for the call alone, returns its result, and restores the one before, also when it throws', () => {
  const runner = recordingRunner(true, (x) => x);
  const outer = { connection: fakeConnection, taskRunner: runner };
  const seen: unknown[] = [];
  const result = runInHandlerContext(outer, () => {
    seen.push(handlerContext());
    const inner = runInHandlerContext({}, () => {
      seen.push(handlerContext());
      return 'inner';
    });
    seen.push(handlerContext());
    return `${inner} then outer`;
  });
  assert.is(result, 'inner then outer');
  assert.equal(seen.map((c) => c === outer), [true, false, true]);
  assert.equal(seen[1], {});
  assert.equal(handlerContext(), {}, 'restored');
  assert.throws(() => runInHandlerContext(outer, () => {
    throw new Error('handler failed');
  }), /handler failed/);
  assert.equal(handlerContext(), {}, 'restored after a throw');
});

test("offload made inside a handler call runs on that context's pool runner, with its connection", async () => {
  const runner = recordingRunner(false, (n) => `pooled ${String(n)}`);
  const operator = runInHandlerContext({ connection: fakeConnection, taskRunner: runner }, () => offload<number, string>(`${tasks}#doubleOrThrow`));
  // Subscribed outside the call, as a handler's returned Observable is: the operator kept what it found.
  const out = await within(5000, 'the pooled results', lastValueFrom(of(1, 2).pipe(operator, toArray())));
  assert.equal(out, ['pooled 1', 'pooled 2']);
  assert.equal(runner.calls.map((c) => [c.task, c.input, c.connection === fakeConnection]), [
    [{ module: tasks, name: 'doubleOrThrow' }, 1, true],
    [{ module: tasks, name: 'doubleOrThrow' }, 2, true],
  ]);
  assert.instance(runner.calls[0]!.signal, AbortSignal);
});

test('offload with an inline runner, or made outside any handler call, runs the task on this thread', async () => {
  const inlineRunner = recordingRunner(true, () => assert.unreachable('an inline runner is not asked'));
  const inline = runInHandlerContext({ taskRunner: inlineRunner }, () => offload<number, number>(`${tasks}#doubleOrThrow`));
  assert.equal(await within(5000, 'inline', lastValueFrom(of(1, 2).pipe(inline, toArray()))), [2, 4]);
  // The TaskRef TSDoc example's shape: a module URL and an export name.
  const double: TaskRef = { module: tasks, name: 'doubleOrThrow' };
  assert.equal(await within(5000, 'outside', lastValueFrom(of(5).pipe(offload<number, number>(double), toArray()))), [10]);
  assert.equal(inlineRunner.calls, []);
});

test.run();
