import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { Handler } from '../operators/handle.js';

/**
 * Turns what a user passed to `serve` into an absolute module URL that any process or thread can import:
 * a `URL`, a `file:` string, an absolute path, or a path relative to the current directory.
 *
 * @internal
 */
export function resolveHandlerModule(handlerModule: string | URL): string {
  if (handlerModule instanceof URL) return handlerModule.href;
  if (typeof handlerModule !== 'string' || handlerModule.length === 0) {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `serve expected a handler module (a URL or a path), got ${typeof handlerModule}`);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(handlerModule) && !isAbsolute(handlerModule)) return handlerModule;
  return pathToFileURL(isAbsolute(handlerModule) ? handlerModule : resolve(handlerModule)).href;
}

/**
 * Imports a handler module and returns its default export, checking that it is a function.
 *
 * @internal
 */
export async function loadHandler(moduleUrl: string): Promise<Handler> {
  let loaded: { default?: unknown };
  try {
    loaded = (await import(moduleUrl)) as { default?: unknown };
  } catch (error) {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `serve expected an importable handler module, but ${moduleUrl} failed to load`, { cause: error });
  }
  if (typeof loaded.default !== 'function') {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `serve expected the handler module ${moduleUrl} to export a function as default, got ${typeof loaded.default}`);
  }
  return loaded.default as Handler;
}
