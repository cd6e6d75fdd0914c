import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackend } from '../../src/backends/defaultBackend.js';
import { embeddedBackend } from '../../src/backends/embedded/embedded.js';
import { selectBackend } from '../../src/backends/selectBackend.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';

test("selectBackend: a backend as it is, 'node' and 'auto' as the shared node backend", () => {
  const embedded = embeddedBackend();
  assert.is(selectBackend(embedded), embedded);
  assert.is(selectBackend('node'), defaultBackend());
  assert.is(selectBackend('node').name, 'node');
  assert.is(selectBackend('auto').name, 'node');
  assert.is(selectBackend().name, 'node');
});

test("selectBackend: 'uring' fails with ERR_UNSUPPORTED until the io_uring backend exists; a bad name with ERR_INVALID_ARGUMENT", () => {
  const failure = (choice: unknown): RxloopError => {
    try {
      selectBackend(choice as 'node');
    } catch (error) {
      assert.instance(error, RxloopError);
      return error as RxloopError;
    }
    throw assert.unreachable(`${String(choice)} was accepted`);
  };
  assert.is(failure('uring').code, ErrorCode.UNSUPPORTED);
  // The message says the backend is not in this release, and what io_uring offers here (uringSupport()).
  assert.match(failure('uring').message, /no io_uring backend yet \(io_uring itself works here \(see uringSupport\(\)\)\); use 'node' or 'auto'/);
  for (const bad of ['libuv', '', 42, null, { name: 'half a backend' }]) {
    assert.is(failure(bad).code, ErrorCode.INVALID_ARGUMENT);
    assert.match(failure(bad).message, /^expected a backend or 'auto', 'node' or 'uring', got /);
  }
});

test.run();
