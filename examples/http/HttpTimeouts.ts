import type { SchedulerLike, Subscription } from 'rxjs';
import type { Connection } from '../../src/Connection.js';

/** "No request head is being waited for." */
const NONE = -1;

/**
 * The two timeouts of one HTTP connection, run by a single scheduled action:
 *
 * - **header timeout** (slowloris): a request head must arrive whole within `headerTimeout` ms of its first
 *   byte, however slowly its bytes trickle in; a new connection must send its first head within
 *   `headerTimeout` ms of being accepted;
 * - **idle timeout**: a connection between requests, or stuck in a body, with no bytes moving either way for
 *   `idleTimeout` ms is ended.
 *
 * The hot path, a read that holds only complete requests, costs two comparisons: no clock read, no timer
 * work. Activity is sampled from the connection's byte counters when the action fires, so an idle connection
 * is cut after at least `idleTimeout` of silence and at most one more period of the action (`idleTimeout`, or
 * `headerTimeout` right after a head): the coarse timers of nginx and memcached. The
 * header deadline is exact: the clock is read when a read leaves a head unfinished, which complete requests
 * never do, and the action is brought forward only when it is due later than the new deadline.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { appRouter } from './appRouter.js';
 * import { HttpSession } from './HttpSession.js';
 * import { HttpTimeouts } from './HttpTimeouts.js';
 *
 * function watch(connection: Connection): HttpTimeouts {
 *   const session = new HttpSession(appRouter().handle);
 *   const timeouts = new HttpTimeouts(connection, connection.backend.scheduler, 10_000, 60_000, () => {
 *     const last = session.timeout(); // 408 for a partial request, nothing for an idle connection
 *     if (last !== null) connection.write(last);
 *     connection.close();
 *   });
 *   connection.data$.subscribe((chunk) => {
 *     const out = session.receive(chunk);
 *     if (out !== null) connection.write(out);
 *     timeouts.afterRead(session.progress, out !== null);
 *   });
 *   return timeouts;
 * }
 * ```
 */
export class HttpTimeouts {
  private readonly connection: Connection;
  private readonly scheduler: SchedulerLike;
  private readonly headerTimeout: number;
  private readonly idleTimeout: number;
  private readonly onTimeout: () => void;
  /** When the head being waited for began (its first byte, or the accept), or NONE. */
  private headStart: number;
  /** The connection's byte count when the action last looked, and when it last saw it change. */
  private traffic: number;
  private lastActive: number;
  /** When the scheduled action fires. */
  private due = Infinity;
  private action: Subscription | undefined;

  /**
   * Starts watching: the first request head is due `headerTimeout` ms from now.
   *
   * @param connection whose byte counters count as activity
   * @param scheduler the clock and timers (the connection's backend scheduler, or a `TestScheduler`)
   * @param headerTimeout ms a request head may take to arrive whole
   * @param idleTimeout ms a connection may stay silent between requests or inside a body
   * @param onTimeout called once when a timeout expires (not after {@link HttpTimeouts.stop})
   */
  constructor(
    connection: Connection,
    scheduler: SchedulerLike,
    headerTimeout: number,
    idleTimeout: number,
    onTimeout: () => void,
  ) {
    this.connection = connection;
    this.scheduler = scheduler;
    this.headerTimeout = headerTimeout;
    this.idleTimeout = idleTimeout;
    this.onTimeout = onTimeout;
    const now = scheduler.now();
    this.headStart = now;
    this.traffic = connection.bytesRead + connection.bytesWritten;
    this.lastActive = now;
    this.arm(now, headerTimeout);
  }

  /**
   * Tells the timeouts where the session stands after a read.
   *
   * @param progress the session's `progress` after the read
   * @param answered whether the read completed a request (the session returned bytes): a head unfinished after
   * that began in this read
   */
  afterRead(progress: 'idle' | 'head' | 'body' | 'closed', answered: boolean): void {
    if (progress === 'idle' && this.headStart === NONE) return;
    if (progress !== 'head') {
      this.headStart = NONE;
      return;
    }
    if (this.headStart !== NONE && !answered) return; // the same slow head, still within its deadline
    const now = this.scheduler.now();
    this.headStart = now;
    if (now + this.headerTimeout < this.due) this.arm(now, this.headerTimeout);
  }

  /** Cancels the timer; `onTimeout` is not called after this. */
  stop(): void {
    this.due = Infinity;
    this.action?.unsubscribe();
    this.action = undefined;
  }

  private arm(now: number, delay: number): void {
    this.action?.unsubscribe();
    this.due = now + delay;
    this.action = this.scheduler.schedule(this.fire, delay);
  }

  private readonly fire = (): void => {
    this.action = undefined;
    const now = this.scheduler.now();
    const traffic = this.connection.bytesRead + this.connection.bytesWritten;
    if (traffic !== this.traffic) {
      this.traffic = traffic;
      this.lastActive = now;
    }
    const wait =
      this.headStart !== NONE ? this.headStart + this.headerTimeout - now : this.lastActive + this.idleTimeout - now;
    if (wait > 0) {
      this.arm(now, wait);
      return;
    }
    this.due = Infinity;
    this.onTimeout();
  };
}
