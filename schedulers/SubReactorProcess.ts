import { fork, type ChildProcess } from 'node:child_process';
import { Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { SubReactor } from './SubReactor.js';
import type { FromSubReactor, SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';
import type { ServerEvent } from './Topology.js';

const entry = fileURLToPath(new URL('./processSubReactor.js', import.meta.url));
const ignore = (): void => undefined;

/**
 * The main process's side of one sub-reactor process: the child process, the connections handed to it over
 * IPC, and requests for its copy of the listening socket (shared-accept mode).
 *
 * @internal
 */
export class SubReactorProcess extends SubReactor {
  private readonly child: ChildProcess;
  private readonly serverWaiters: ((server: NetServer | undefined) => void)[] = [];
  private serverReceived: ((server: NetServer) => void) | undefined;

  /**
   * Starts the process.
   *
   * @param config what the sub-reactor runs
   * @param onEvent told of the sub-reactor's handler errors
   */
  constructor(config: SubReactorConfig, onEvent: (event: ServerEvent) => void) {
    super(config.reactor, onEvent);
    this.child = fork(entry, [JSON.stringify(config)], {
      // A debugger port cannot be shared by several processes.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')),
      serialization: 'json',
    });
    this.child.on('exit', (exitCode, signal) => this.finish(exitCode, signal));
    // Sends to a process that is exiting fail with EPIPE; the 'exit' that follows says what matters.
    this.child.on('error', (error) => {
      if (this.child.pid === undefined) this.finish(null, null, error);
    });
    this.child.on('message', (message: FromSubReactor, handle: unknown) => {
      if (this.receive(message) || message.type !== 'server') return;
      const server = handle instanceof NetServer ? handle : undefined;
      // Node made this copy listen in our process: give it its accept settings before the loop can poll it.
      if (server !== undefined) this.serverReceived?.(server);
      this.serverWaiters.shift()?.(server);
    });
  }

  /** The process id, for tests and supervisors. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  protected get connected(): boolean {
    return this.child.connected;
  }

  /** Hands an accepted socket over; Node closes the main process's copy once the child has it. */
  handOff(socket: Socket): void {
    this.sent++;
    this.send({ type: 'connection' }, socket, (error) => {
      if (error === null) return;
      this.sent--;
      socket.destroy();
    });
  }

  /** Gives it a copy of the listening socket to accept on; resolves once the copy is on its way. */
  giveServer(server: NetServer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.send({ type: 'server' }, server, (error) => (error === null ? resolve() : reject(error)));
    });
  }

  /**
   * Asks for its copy of the listening socket. `prepare` runs on the copy the moment it arrives (it is already
   * listening in this process by then). Resolves with `undefined` when it has none or exits first.
   */
  borrowServer(prepare: (server: NetServer) => void): Promise<NetServer | undefined> {
    if (!this.accepting) return Promise.resolve(undefined);
    this.serverReceived = prepare;
    return new Promise((resolve) => {
      this.serverWaiters.push(resolve);
      this.send({ type: 'lend-server' });
    });
  }

  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }

  protected post(message: ToSubReactor, done?: (error: Error | null) => void): void {
    this.send(message, undefined, done);
  }

  protected override finished(): void {
    for (const waiter of this.serverWaiters.splice(0)) waiter(undefined);
  }

  private send(message: ToSubReactor, handle?: Socket | NetServer, done: (error: Error | null) => void = ignore): void {
    if (!this.child.connected) {
      done(new RxloopError(ErrorCode.WORKER_DIED, `sub-reactor ${this.reactor} expected to be running, but it is gone`));
      return;
    }
    this.child.send(message, handle, undefined, done);
  }
}
