import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** Options for a {@link ReactorScheduler}. */
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
  private readonly queue: ReactorAction<unknown>[] = [];
  private head = 0;
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

  /** @internal */
  enqueue(action: ReactorAction<unknown>): void {
    this.queue.push(action);
    if (!this.draining) {
      this.draining = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    let budget = this.tasksPerTurn;
    while (budget-- > 0 && this.head < this.queue.length) {
      const action = this.queue[this.head++]!;
      this.tasksRun++;
      try {
        action.execute();
      } catch (error) {
        // Report it the way RxJS reports unhandled errors (thrown on a later macrotask), and keep the queue going.
        setTimeout(() => {
          throw error;
        });
      }
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.draining = false;
    } else {
      // Out of budget: yield to I/O and continue on the next turn.
      if (this.head > 4096) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      setImmediate(this.drain);
    }
  };
}

/** @internal One scheduled task of a {@link ReactorScheduler}. */
class ReactorAction<T> extends Subscription implements SchedulerAction<T> {
  private state: T | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private queued = false;

  constructor(
    private readonly scheduler: ReactorScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
    this.add(() => {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.queued = false;
    });
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (delay > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduler.tasksRun++;
        this.execute();
      }, delay);
    } else if (!this.queued) {
      this.queued = true;
      this.scheduler.enqueue(this as ReactorAction<unknown>);
    }
    return this;
  }

  /** @internal */
  execute(): void {
    if (this.closed) return;
    this.queued = false;
    const pendingBefore = this.timer !== undefined;
    try {
      this.work(this.state);
    } catch (error) {
      this.unsubscribe();
      // Like RxJS's own schedulers: an error in scheduled work is reported, not swallowed.
      throw error;
    }
    // Work that did not reschedule itself is done.
    if (!this.queued && this.timer === undefined && !pendingBefore) this.unsubscribe();
  }
}
