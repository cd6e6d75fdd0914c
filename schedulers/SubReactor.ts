import type { Socket } from 'node:net';
import type { SocketAddress } from '../src/backends/Backend.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import type { FromSubReactor, ToSubReactor } from './SubReactorMessage.js';
import type { ReactorStats, ServerEvent } from './Topology.js';

/** How a sub-reactor ended: a process's exit code or signal, a thread's exit code. @internal */
export interface SubReactorExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

const codes = new Set<string>(Object.values(ErrorCode));
const ignore = (): void => undefined;

/**
 * The main side of one sub-reactor, whether it runs in a child process ({@link SubReactorProcess}) or a worker
 * thread ({@link SubReactorThread}): its start and exit, the connections handed to it, the counts it reports,
 * and requests for its stats. Subclasses carry the messages and say how sockets travel.
 *
 * @internal
 */
export abstract class SubReactor {
  /** The reactor's name (`'sub-0'`, ...). */
  readonly reactor: string;
  /** When it was started (ms since the epoch). */
  readonly startedAt = Date.now();
  /** Resolves once the handler is loaded and the sub-reactor takes connections; rejects if it failed first. */
  readonly ready: Promise<void>;
  /** Resolves when it has exited. */
  readonly exited: Promise<SubReactorExit>;
  /** Where it listens itself (a thread in shared-accept mode), once ready. */
  address: SocketAddress | undefined;
  private resolveReady: () => void = ignore;
  private rejectReady: (error: RxloopError) => void = ignore;
  private resolveExited: (exit: SubReactorExit) => void = ignore;
  private isReady = false;
  private isExited = false;
  private connections = 0;
  private adopted = 0;
  /** Sockets handed over, counted until it reports them adopted. */
  protected sent = 0;
  private nextStatsId = 0;
  private readonly statsWaiters = new Map<number, (stats: ReactorStats | undefined) => void>();
  private readonly onEvent: (event: ServerEvent) => void;

  /**
   * @param reactor the reactor's name
   * @param onEvent told of the sub-reactor's handler errors
   */
  constructor(reactor: string, onEvent: (event: ServerEvent) => void) {
    this.reactor = reactor;
    this.onEvent = onEvent;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody may be waiting for a restarted sub-reactor's start; its failure is reported by its exit.
    this.ready.catch(ignore);
    this.exited = new Promise<SubReactorExit>((resolve) => {
      this.resolveExited = resolve;
    });
  }

  /** Whether connections can be handed to it now. */
  get accepting(): boolean {
    return this.isReady && !this.isExited && this.connected;
  }

  /** Whether it has exited. */
  get hasExited(): boolean {
    return this.isExited;
  }

  /** Connections it holds, counting the ones handed over that it has not reported yet. */
  get load(): number {
    return this.connections + this.sent - this.adopted;
  }

  /** Hands an accepted (paused, never read) socket over; this side's copy is closed once it has left. */
  abstract handOff(socket: Socket): void;

  /** Ends it at once. */
  abstract kill(): void;

  /** Whether messages can reach it. */
  protected abstract get connected(): boolean;

  /** Sends a message; `done` is told whether it left. */
  protected abstract post(message: ToSubReactor, done?: (error: Error | null) => void): void;

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
      this.post({ type: 'stats', id });
    });
  }

  /** Asks it to stop accepting, let its connections finish within `deadline` ms, and exit. */
  stop(deadline: number): void {
    this.post({ type: 'stop', deadline });
  }

  /** Handles a message from the sub-reactor; returns `false` for one the subclass must handle. */
  protected receive(message: FromSubReactor): boolean {
    switch (message.type) {
      case 'ready':
        this.address = message.address;
        this.isReady = true;
        this.resolveReady();
        return true;
      case 'failed': {
        const code = codes.has(message.code) ? (message.code as ErrorCode) : ErrorCode.INVALID_ARGUMENT;
        this.rejectReady(new RxloopError(code, message.message));
        return true;
      }
      case 'load':
        this.connections = message.connections;
        this.adopted = message.adopted;
        return true;
      case 'stats':
        this.statsWaiters.get(message.id)?.(message.stats);
        this.statsWaiters.delete(message.id);
        return true;
      case 'event':
        this.onEvent(message.event);
        return true;
      default:
        return false;
    }
  }

  /** Records the end: fails a start still pending, answers every waiter, resolves `exited`. */
  protected finish(exitCode: number | null, signal: string | null, error?: unknown): void {
    if (this.isExited) return;
    this.isExited = true;
    const how = error !== undefined ? `could not start (${String(error)})` : `exited (code ${exitCode}, signal ${signal})`;
    this.rejectReady(new RxloopError(ErrorCode.WORKER_DIED, `sub-reactor ${this.reactor} expected to start, but it ${how}`, { cause: error }));
    for (const waiter of this.statsWaiters.values()) waiter(undefined);
    this.statsWaiters.clear();
    this.finished();
    this.resolveExited({ exitCode, signal });
  }

  /** What a subclass lets go of at the end (requests of its own still waiting). */
  protected finished(): void {}
}
