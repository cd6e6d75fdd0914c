import { Subscription, config, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * Options for a {@link ReactorScheduler}.
 *
 * ## Example
 * ```ts
 * import { ReactorScheduler, type ReactorSchedulerOptions } from 'rxloop/schedulers';
 * import { observeOn, range } from 'rxjs';
 *
 * // Shorter turns: socket events wait behind at most 64 scheduled tasks.
 * const options: ReactorSchedulerOptions = { tasksPerTurn: 64 };
 * range(0, 10_000).pipe(observeOn(new ReactorScheduler(options))).subscribe();
 * ```
 */
export interface ReactorSchedulerOptions {
  /** Zero-delay tasks run per turn of the event loop before yielding to I/O (default 1024). */
  readonly tasksPerTurn?: number;
}

/**
 * An RxJS scheduler for a reactor: zero-delay work runs in FIFO order on macrotasks (`setImmediate`), at most
 * `tasksPerTurn` per turn, so scheduled work can never starve the socket I/O of the same loop (RxJS's
 * `asapScheduler` runs on microtasks and can). Delayed work uses timers. Usable anywhere RxJS takes a
 * scheduler: `observeOn`, `delay`, `timer`.
 *
 * An error thrown by scheduled work is reported the way RxJS reports unhandled errors (to
 * `config.onUnhandledError` when set, otherwise thrown on a later macrotask) and the queue goes on.
 *
 * ## Example
 * ```ts
 * import { ReactorScheduler } from 'rxloop/schedulers';
 * import { of, observeOn } from 'rxjs';
 *
 * const reactor = new ReactorScheduler();
 * of(1, 2, 3).pipe(observeOn(reactor)).subscribe((n) => console.log(n));
 * ```
 */
export class ReactorScheduler implements SchedulerLike {
  /** Tasks run so far (the reactor's "events dispatched" count includes these). */
  tasksRun = 0;
  private readonly tasksPerTurn: number;
  /** The zero-delay queue; `tickets[i]` is the ticket `queue[i]` was queued with. */
  private readonly queue: ReactorAction<unknown>[] = [];
  private readonly tickets: number[] = [];
  private head = 0;
  private lastTicket = 0;
  private draining = false;

  /**
   * @param options the per-turn budget
   */
  constructor(options: ReactorSchedulerOptions = {}) {
    this.tasksPerTurn = options.tasksPerTurn ?? 1024;
  }

  /** The current time in milliseconds, as RxJS schedulers report it. */
  now(): number {
    return Date.now();
  }

  /**
   * Schedules `work` after `delay` milliseconds (0: on the next reactor turn).
   *
   * @param work the task; `this` is its action, which can reschedule itself
   * @param delay milliseconds to wait
   * @param state passed to `work`
   * @returns a subscription that cancels the task
   */
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const action = new ReactorAction<T>(this, work);
    action.schedule(state, delay);
    return action;
  }

  /**
   * Queues `action` and returns its ticket. An action that is cancelled or moved to a timer keeps its place
   * in the queue (removing it would cost a search), and the drain skips it because its ticket changed.
   *
   * @internal
   */
  enqueue(action: ReactorAction<unknown>): number {
    const ticket = ++this.lastTicket;
    this.queue.push(action);
    this.tickets.push(ticket);
    if (!this.draining) {
      this.draining = true;
      setImmediate(this.drain);
    }
    return ticket;
  }

  private readonly drain = (): void => {
    let budget = this.tasksPerTurn;
    while (budget > 0 && this.head < this.queue.length) {
      const action = this.queue[this.head]!;
      const ticket = this.tickets[this.head]!;
      this.head++;
      if (action.ticket !== ticket) continue;
      budget--;
      action.run();
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.tickets.length = 0;
      this.head = 0;
      this.draining = false;
    } else {
      // Out of budget: yield to I/O and continue on the next turn.
      if (this.head > 4096) {
        this.queue.splice(0, this.head);
        this.tickets.splice(0, this.head);
        this.head = 0;
      }
      setImmediate(this.drain);
    }
  };
}

/** Reports an error thrown by scheduled work as RxJS reports unhandled errors, without stopping the caller. */
function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    const { onUnhandledError } = config;
    if (onUnhandledError) onUnhandledError(error);
    else throw error;
  });
}

/** @internal One scheduled task of a {@link ReactorScheduler}. */
class ReactorAction<T> extends Subscription implements SchedulerAction<T> {
  /** The ticket of its live place in the zero-delay queue, or 0 when it is not queued. */
  ticket = 0;
  private state: T | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly scheduler: ReactorScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
    this.add(() => {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.ticket = 0;
    });
  }

  /** (Re)schedules this action; like RxJS's own actions, the last call decides when it runs, and it runs once. */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (delay > 0) {
      this.ticket = 0;
      this.timer = setTimeout(this.fire, delay);
    } else if (this.ticket === 0) {
      this.ticket = this.scheduler.enqueue(this as ReactorAction<unknown>);
    }
    return this;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.run();
  };

  /** @internal Runs the work once; work that did not reschedule itself is done. */
  run(): void {
    if (this.closed) return;
    this.ticket = 0;
    this.scheduler.tasksRun++;
    try {
      this.work(this.state);
    } catch (error) {
      this.unsubscribe();
      reportUnhandled(error);
      return;
    }
    if (this.ticket === 0 && this.timer === undefined) this.unsubscribe();
  }
}
