import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackend } from '../../src/backends/defaultBackend.js';
import { embeddedBackend } from '../../src/backends/embedded/embedded.js';
import { selectBackend } from '../../src/backends/selectBackend.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';

test("selectBackend: a backend as it is, 'node' as the shared node backend", () => {
  const embedded = embeddedBackend();
  assert.is(selectBackend(embedded), embedded);
  assert.is(selectBackend('node'), defaultBackend());
  assert.is(selectBackend('node').name, 'node');
});

test("selectBackend: 'uring' is this thread's io_uring backend (one per thread); a bad name fails with ERR_INVALID_ARGUMENT", () => {
  const failure = (choice: unknown): RxloopError => {
    try {
      selectBackend(choice as 'node');
    } catch (error) {
      assert.instance(error, RxloopError);
      return error as RxloopError;
    }
    throw assert.unreachable(`${String(choice)} was accepted`);
  };
  // The machines rxloop is tested on run io_uring (test/backends/uring/uringSupport.test.ts says so loudly).
  const uring = selectBackend('uring');
  assert.is(uring.name, 'uring');
  assert.is(selectBackend('uring'), uring, 'one uring backend per thread');
  assert.is(selectBackend('auto'), uring, "'auto' picks uring where io_uring runs");
  assert.is(selectBackend(), uring, "the default choice is 'auto'");
  for (const bad of ['libuv', '', 42, null, { name: 'half a backend' }]) {
    assert.is(failure(bad).code, ErrorCode.INVALID_ARGUMENT);
    assert.match(failure(bad).message, /^expected a backend or 'auto', 'node' or 'uring', got /);
  }
});

test.run();
