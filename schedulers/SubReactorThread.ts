import type { Socket } from 'node:net';
import { Worker, type Transferable } from 'node:worker_threads';
import { SubReactor } from './SubReactor.js';
import type { FromSubReactor, SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';
import type { ServerEvent } from './Topology.js';

const entry = new URL('./threadSubReactor.js', import.meta.url);

/**
 * The main thread's side of one sub-reactor thread: the worker thread with its own event loop, and the
 * connections moved to it (`postMessage(socket, [socket])`, Node.js 24.20 on). A thread that throws or exits
 * ends with its exit code; this side reports it like a process's exit.
 *
 * @internal
 */
export class SubReactorThread extends SubReactor {
  private readonly worker: Worker;
  private running = true;

  /**
   * Starts the thread.
   *
   * @param config what the sub-reactor runs
   * @param onEvent told of the sub-reactor's handler errors
   */
  constructor(config: SubReactorConfig, onEvent: (event: ServerEvent) => void) {
    super(config.reactor, onEvent);
    this.worker = new Worker(entry, { workerData: config, execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')) });
    // An uncaught exception ends the thread; its 'exit' (code 1) follows and is what the server reports.
    this.worker.on('error', () => undefined);
    this.worker.on('exit', (exitCode) => {
      this.running = false;
      this.finish(exitCode, null);
    });
    this.worker.on('message', (message: FromSubReactor) => void this.receive(message));
  }

  /** The thread's id, for tests and supervisors. */
  get threadId(): number {
    return this.worker.threadId;
  }

  protected get connected(): boolean {
    return this.running;
  }

  /** Moves an accepted socket to the thread; this thread's copy is closed by the move. */
  handOff(socket: Socket): void {
    this.sent++;
    try {
      this.worker.postMessage({ type: 'connection', socket } satisfies ToSubReactor, [socket as unknown as Transferable]);
    } catch {
      // Closed by the peer before it could leave (a handle that is gone cannot move): nobody to serve.
      this.sent--;
      socket.destroy();
    }
  }

  kill(): void {
    if (!this.hasExited) void this.worker.terminate();
  }

  protected post(message: ToSubReactor, done?: (error: Error | null) => void): void {
    if (!this.running) return;
    this.worker.postMessage(message);
    done?.(null);
  }
}
