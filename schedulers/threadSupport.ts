import { nodeFeatures } from '../src/backends/node/nodeFeatures.js';
import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * Whether this Node.js can run a multi-reactor's sub-reactors as threads in `accept` mode, found by trying
 * (`nodeFeatures`), never by reading the version. Acceptor mode moves each accepted socket to a thread, which
 * Node.js can do from 24.20, or hands its descriptor over where the backend adopts descriptors (uring, any
 * line: `descriptors`); shared mode needs nothing here: each thread listens with `reusePort`, and a
 * backend that cannot fails that listen itself with `ERR_UNSUPPORTED`.
 *
 * @internal
 * @param accept the accept mode
 * @param descriptors whether the sub-reactors' backend takes accepted sockets as descriptors
 * @returns `undefined` when it can, else the `ERR_UNSUPPORTED` error to report, saying what is needed
 */
export async function threadSupport(accept: 'acceptor' | 'shared', descriptors = false): Promise<RxloopError | undefined> {
  if (accept === 'shared' || descriptors || (await nodeFeatures()).transferableSockets) return undefined;
  return new RxloopError(ErrorCode.UNSUPPORTED,
    `multiReactor({ threads: true, accept: 'acceptor' }) expected sockets that move to worker threads (postMessage(socket, [socket]), Node.js 24.20 or later) or a backend that hands descriptors over (backend: 'uring'), but Node.js ${process.version} cannot move them and the backend is node. ` +
      "Use backend: 'uring' (or 'auto' where io_uring runs), accept: 'shared' (each thread listens with reusePort: Node.js 22.12 or later with the node backend), or sub-reactor processes (threads: false)");
}
