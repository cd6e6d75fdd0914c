import type { Backend } from './Backend.js';
import { nodeBackend } from './node/nodeBackend.js';

let shared: Backend | undefined;

/**
 * The backend rxloop uses when a factory is given none: one shared `node` backend (libuv through `node:net`
 * and `node:dgram`), created on first use.
 *
 * ## Example
 * ```ts
 * import { defaultBackend } from 'rxloop';
 *
 * console.log(defaultBackend().name); // 'node'
 * ```
 *
 * @returns the shared node backend
 */
export function defaultBackend(): Backend {
  shared ??= nodeBackend();
  return shared;
}
