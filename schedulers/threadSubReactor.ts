/**
 * The entry module of one `multiReactor({ threads: true })` sub-reactor: a worker thread with its own event
 * loop that runs the whole pipeline (read, handler, write) for the connections it owns ({@link runSubReactor}).
 * Its {@link SubReactorConfig} is the worker's `workerData`; accepted sockets arrive moved with their message
 * (`postMessage(socket, [socket])`), or it listens itself beside the other threads (`reusePort`).
 *
 * A thread ends with its process, so it can never outlive the main thread's server. `process.exit` inside it
 * ends only the thread.
 *
 * @internal
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSubReactor } from './runSubReactor.js';
import type { SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';

const port = parentPort;
if (port !== null && workerData !== null && typeof workerData === 'object') {
  void runSubReactor(workerData as SubReactorConfig, {
    send: (message, _handle, sent) => {
      port.postMessage(message);
      sent?.();
    },
    listen: (receive) => port.on('message', (message: ToSubReactor) => receive(message, message.type === 'connection' ? message.socket : undefined)),
    exit: (code) => process.exit(code),
  });
}
