import type { Backend } from './Backend.js';
import { defaultBackend } from './defaultBackend.js';
import { ErrorCode, RxloopError } from '../errors.js';
import { describe } from '../validate.js';
import { uringSupport } from './uring/uringSupport.js';
import { uringBackend } from './uring/uringBackend.js';

let sharedUring: Backend | undefined;

/** One uring backend per thread, like the shared node backend. */
function defaultUringBackend(): Backend {
  sharedUring ??= uringBackend();
  return sharedUring;
}

/**
 * A backend, or the name of one: `'node'` (libuv), `'uring'` (io_uring, Linux) or `'auto'` (the best one that
 * works here). A name is what crosses to another process or thread, where each resolves it to its own backend.
 *
 * ## Example
 * ```ts
 * import { selectBackend, type BackendChoice } from 'rxloop';
 *
 * const choice: BackendChoice = (process.env.RXLOOP_BACKEND as BackendChoice | undefined) ?? 'auto';
 * console.log(selectBackend(choice).name);
 * ```
 */
export type BackendChoice = 'auto' | 'node' | 'uring' | Backend;

/**
 * Resolves a {@link BackendChoice}: a backend is returned as it is; `'node'` is the shared node backend
 * ({@link defaultBackend}); `'uring'` is this thread's io_uring backend ({@link uringBackend}), and fails with
 * `ERR_UNSUPPORTED` where io_uring cannot run; `'auto'` is the uring backend where io_uring runs
 * ({@link uringSupport}) and the node backend elsewhere.
 *
 * ## Example
 * ```ts
 * import { listen, selectBackend } from 'rxloop';
 *
 * const backend = selectBackend('auto');
 * console.log(`serving with the ${backend.name} backend`);
 * listen({ port: 8080, backend }).subscribe((connection) => connection.close());
 * ```
 *
 * @param choice what to use (default `'auto'`)
 * @returns the backend
 * @throws RxloopError `ERR_UNSUPPORTED` for `'uring'` where io_uring cannot run (the message says why);
 *   `ERR_INVALID_ARGUMENT` for anything that is not a choice
 */
export function selectBackend(choice: BackendChoice = 'auto'): Backend {
  if (typeof choice === 'object' && choice !== null && typeof choice.listen === 'function') return choice;
  switch (choice) {
    case 'node':
      return defaultBackend();
    case 'auto':
      return uringSupport().available ? defaultUringBackend() : defaultBackend();
    case 'uring': {
      const support = uringSupport();
      if (!support.available) {
        throw new RxloopError(ErrorCode.UNSUPPORTED, `expected the 'uring' backend to run here, but ${support.reason ?? 'io_uring is unavailable'}; use 'node' or 'auto'`);
      }
      return defaultUringBackend();
    }
    default:
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a backend or 'auto', 'node' or 'uring', got ${describe(choice)}`);
  }
}
