/**
 * The entry script of one `multiReactor` sub-reactor process: a child process with its own event loop that
 * runs the whole pipeline (read, handler, write) for the connections it owns ({@link runSubReactor}).
 * `multiReactor` starts it with `child_process.fork`, passing a {@link SubReactorConfig} as JSON in `argv[2]`;
 * sockets and the listening socket arrive as IPC handles.
 *
 * It exits when the main process's IPC channel closes, so it can never outlive the main process.
 *
 * @internal
 * @packageDocumentation
 */
import type { Server as NetServer } from 'node:net';
import { runSubReactor } from './runSubReactor.js';
import type { FromSubReactor, SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';

const ignore = (): void => undefined;

function send(message: FromSubReactor, handle?: NetServer, sent: () => void = ignore): void {
  // The callback turns a send to a main process that just died into a no-op; 'disconnect' ends us anyway.
  if (process.connected) process.send?.(message, handle, undefined, sent);
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  // An orphan must not outlive its main process: the IPC channel closes when the main process is gone.
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C signals the whole process group; the main process decides (a graceful stop, or dying, which ends
  // us through 'disconnect'), so a sub-reactor does not die under its connections on its own.
  process.on('SIGINT', ignore);
  void runSubReactor(JSON.parse(process.argv[2]) as SubReactorConfig, {
    send,
    listen: (receive) => process.on('message', (message: ToSubReactor, handle: unknown) => receive(message, handle)),
    exit: (code) => process.exit(code),
  });
}
