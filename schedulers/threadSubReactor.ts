/**
 * The entry module of one `multiReactor({ threads: true })` sub-reactor: a worker thread with its own event
 * loop that runs the whole pipeline (read, handler, write) for the connections it owns ({@link runSubReactor}).
 * Its {@link SubReactorConfig} is the worker's `workerData`; accepted sockets arrive moved with their message
 * (`postMessage(socket, [socket])`), or it listens itself beside the other threads (`reusePort`).
 *
 * A thread ends with its process, so it can never outlive the main thread's server. `process.exit` inside it
 * ends only the thread. The handler's links to the server's service (`serviceLink`) are shared memory rings to
 * the main thread, whose memory travels in a `service-link` message.
 *
 * @internal
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSubReactor } from './runSubReactor.js';
import { linkServiceOverRings } from './serviceLink.js';
import type { FromSubReactor, SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';

const port = parentPort;
if (port !== null && workerData !== null && typeof workerData === 'object') {
  const config = workerData as SubReactorConfig;
  // The service is on the main thread of this process: its links are shared memory rings, not its socket.
  if (config.servicePath !== undefined) {
    linkServiceOverRings(config.servicePath, (rings) => port.postMessage({ type: 'service-link', ...rings } satisfies FromSubReactor));
  }
  void runSubReactor(config, {
    send: (message, _handle, sent) => {
      port.postMessage(message);
      sent?.();
    },
    listen: (receive) => port.on('message', (message: ToSubReactor) => receive(message, message.type === 'connection' ? message.socket : undefined)),
    exit: (code) => process.exit(code),
  });
}
