import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { loadHandler, resolveHandlerModule } from '../../schedulers/loadHandler.js';

const echo = new URL('../fixtures/serveEcho.js', import.meta.url);

test('resolveHandlerModule takes URLs, URL strings, absolute and relative paths', () => {
  assert.is(resolveHandlerModule(echo), echo.href);
  assert.is(resolveHandlerModule(echo.href), echo.href);
  assert.is(resolveHandlerModule('/srv/handler.js'), pathToFileURL('/srv/handler.js').href);
  assert.is(resolveHandlerModule('handlers/echo.js'), pathToFileURL(resolve('handlers/echo.js')).href);
  for (const bad of ['', 42 as unknown as string]) {
    assert.throws(() => resolveHandlerModule(bad), (e: unknown) => e instanceof RxloopError && e.code === ErrorCode.INVALID_ARGUMENT);
  }
});

test('loadHandler returns the default export, and rejects a module without one or that fails to load', async () => {
  const handler = await loadHandler(echo.href);
  assert.type(handler, 'function');
  for (const moduleUrl of [
    new URL('../fixtures/serveNoDefault.js', import.meta.url).href,
    new URL('../fixtures/noSuchHandler.js', import.meta.url).href,
  ]) {
    const error = await loadHandler(moduleUrl).catch((e: unknown) => e);
    assert.instance(error, RxloopError, moduleUrl);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  }
});

test.run();
