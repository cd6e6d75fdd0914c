import { ErrorCode, RxloopError } from '../src/errors.js';
import { settle } from '../operators/readProxyHeader.js';
import { resolveHandlerModule } from './loadHandler.js';
import { singleReactor } from './singleReactor.js';
import type { ServeOptions, Server } from './Topology.js';

/**
 * Runs a handler module on a topology. The module's default export takes a `Connection` and returns the
 * pipeline that serves it. The same module runs unchanged under `singleReactor()`, `pooledReactor()` and
 * `multiReactor()`; swapping the scheduler swaps the topology and nothing else.
 *
 * The module is given by path or URL (not as a function) because a multi-reactor loads it in each of its
 * processes. Relative paths are resolved against the current directory.
 *
 * ## Example
 * ```ts
 * import { serve, singleReactor } from 'rxloop/schedulers';
 *
 * const server = await serve(new URL('./echo.js', import.meta.url), {
 *   host: '127.0.0.1',
 *   port: 7000,
 *   scheduler: singleReactor(),
 * });
 * process.once('SIGINT', () => void server.stop({ deadline: 5000 }));
 * ```
 *
 * @param handlerModule the handler module (URL or path)
 * @param options where to listen, and the topology
 * @returns the running server, once it listens
 */
export async function serve(handlerModule: string | URL, options: ServeOptions): Promise<Server> {
  if (options === null || typeof options !== 'object') {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `serve expected an options object, got ${String(options)}`);
  }
  if (options.proxyProtocol !== undefined) {
    settle(options.proxyProtocol);
    if (options.tls !== undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        'serve expected proxyProtocol or tls, got both: the PROXY header comes before the TLS handshake, which a TLS listener reads first');
    }
  }
  const moduleUrl = resolveHandlerModule(handlerModule);
  const topology = options.scheduler ?? singleReactor();
  return topology.start(moduleUrl, options);
}
