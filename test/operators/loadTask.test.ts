import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { loadTask } from '../../operators/loadTask.js';

// loadTask imports a task module once per thread; after that, every call returns the function itself.

const tasks = new URL('../fixtures/offloadTasks.js', import.meta.url).href;

test('the first call loads, later calls return the same function synchronously', async () => {
  const first = loadTask({ module: tasks, name: 'double' });
  assert.instance(first, Promise);
  const fn = await first;
  assert.is(fn(21), 42);
  const again = loadTask({ module: tasks, name: 'double' });
  assert.is(again, fn, 'no promise once loaded');
});

test('a missing export and a module that fails to load reject with ERR_INVALID_ARGUMENT, and are tried again', async () => {
  for (const task of [
    { module: tasks, name: 'notAFunction' },
    { module: new URL('../fixtures/noSuchTasks.js', import.meta.url).href },
  ]) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const outcome = loadTask(task);
      assert.instance(outcome, Promise, 'a failure is not remembered');
      const error = await (outcome as Promise<unknown>).catch((e: unknown) => e);
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test.run();
