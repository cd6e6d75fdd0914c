import { fork, type ChildProcess } from 'node:child_process';
import { Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { FromSubReactor, SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';
import type { ReactorStats, ServerEvent } from './Topology.js';

/** How a sub-reactor process ended. @internal */
export interface SubReactorExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

const entry = fileURLToPath(new URL('./subReactor.js', import.meta.url));
const codes = new Set<string>(Object.values(ErrorCode));
const ignore = (): void => undefined;

/**
 * The main process's side of one sub-reactor: the child process, its start and exit, the connections handed
 * to it, the counts it reports, and requests for its stats or its copy of the listening socket.
 *
 * @internal
 */
export class SubReactorProcess {
  /** The reactor's name (`'sub-0'`, ...). */
  readonly reactor: string;
  /** When the process was started (ms since the epoch). */
  readonly startedAt = Date.now();
  /** Resolves once the handler is loaded and the sub-reactor takes connections; rejects if it failed first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<SubReactorExit>;
  private readonly child: ChildProcess;
  private isReady = false;
  private isExited = false;
  private connections = 0;
  private adopted = 0;
  private sent = 0;
  private nextStatsId = 0;
  private readonly statsWaiters = new Map<number, (stats: ReactorStats | undefined) => void>();
  private readonly serverWaiters: ((server: NetServer | undefined) => void)[] = [];
  private serverReceived: ((server: NetServer) => void) | undefined;

  /**
   * Starts the process.
   *
   * @param config what the sub-reactor runs
   * @param onEvent told of the sub-reactor's handler errors
   */
  constructor(config: SubReactorConfig, onEvent: (event: ServerEvent) => void) {
    this.reactor = config.reactor;
    let resolveReady: () => void = ignore;
    let rejectReady: (error: RxloopError) => void = ignore;
    this.ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // Nobody may be waiting for a restarted sub-reactor's start; its failure is reported by its exit.
    this.ready.catch(ignore);
    let resolveExited: (exit: SubReactorExit) => void = ignore;
    this.exited = new Promise<SubReactorExit>((resolve) => {
      resolveExited = resolve;
    });

    this.child = fork(entry, [JSON.stringify(config)], {
      // A debugger port cannot be shared by several processes.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')),
      serialization: 'json',
    });
    const finish = (exitCode: number | null, signal: string | null, error?: unknown): void => {
      if (this.isExited) return;
      this.isExited = true;
      const how = error !== undefined ? `could not start (${String(error)})` : `exited (code ${exitCode}, signal ${signal})`;
      rejectReady(new RxloopError(ErrorCode.WORKER_DIED, `sub-reactor ${this.reactor} expected to start, but it ${how}`, { cause: error }));
      for (const waiter of this.statsWaiters.values()) waiter(undefined);
      this.statsWaiters.clear();
      for (const waiter of this.serverWaiters.splice(0)) waiter(undefined);
      resolveExited({ exitCode, signal });
    };
    this.child.on('exit', (exitCode, signal) => finish(exitCode, signal));
    // Sends to a process that is exiting fail with EPIPE; the 'exit' that follows says what matters.
    this.child.on('error', (error) => {
      if (this.child.pid === undefined) finish(null, null, error);
    });
    this.child.on('message', (message: FromSubReactor, handle: unknown) => {
      switch (message.type) {
        case 'ready':
          this.isReady = true;
          resolveReady();
          break;
        case 'failed': {
          const code = codes.has(message.code) ? (message.code as ErrorCode) : ErrorCode.INVALID_ARGUMENT;
          rejectReady(new RxloopError(code, message.message));
          break;
        }
        case 'load':
          this.connections = message.connections;
          this.adopted = message.adopted;
          break;
        case 'stats':
          this.statsWaiters.get(message.id)?.(message.stats);
          this.statsWaiters.delete(message.id);
          break;
        case 'event':
          onEvent(message.event);
          break;
        case 'server': {
          const server = handle instanceof NetServer ? handle : undefined;
          // Node made this copy listen in our process: give it its accept settings before the loop can poll it.
          if (server !== undefined) this.serverReceived?.(server);
          this.serverWaiters.shift()?.(server);
          break;
        }
      }
    });
  }

  /** The process id, for tests and supervisors. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether connections can be handed to it now. */
  get accepting(): boolean {
    return this.isReady && !this.isExited && this.child.connected;
  }

  /** Whether it has exited. */
  get hasExited(): boolean {
    return this.isExited;
  }

  /** Connections it holds, counting the ones handed over that it has not reported yet. */
  get load(): number {
    return this.connections + this.sent - this.adopted;
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

  /** Its counters, or `undefined` when it does not answer within `timeout` ms (or is not running). */
  stats(timeout: number): Promise<ReactorStats | undefined> {
    if (!this.accepting) return Promise.resolve(undefined);
    const id = this.nextStatsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statsWaiters.delete(id);
        resolve(undefined);
      }, timeout);
      this.statsWaiters.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.send({ type: 'stats', id });
    });
  }

  /** Asks it to stop accepting, let its connections finish within `deadline` ms, and exit. */
  stop(deadline: number): void {
    this.send({ type: 'stop', deadline });
  }

  /** Ends the process at once. */
  kill(): void {
    if (!this.isExited) this.child.kill('SIGKILL');
  }

  private send(message: ToSubReactor, handle?: Socket | NetServer, done: (error: Error | null) => void = ignore): void {
    if (!this.child.connected) {
      done(new RxloopError(ErrorCode.WORKER_DIED, `sub-reactor ${this.reactor} expected to be running, but it is gone`));
      return;
    }
    this.child.send(message, handle, undefined, done);
  }
}
