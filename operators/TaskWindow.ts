import type { Subscriber } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';

/** Options for a {@link TaskWindow}. @internal */
export interface TaskWindowOptions<T, R> {
  /** Values started and not yet emitted, at most. */
  readonly concurrency: number;
  /** Turns a failed request into the value emitted in its place. */
  readonly onError: ((error: RxloopError, input: T) => R) | undefined;
  /** Held (not read) while the window is full. */
  readonly connection: Connection | undefined;
}

// Failures that belong to one request; anything else (a module that does not load, a pool shut down) is the
// stream's failure.
const perRequest: ReadonlySet<string> = new Set([ErrorCode.TASK_FAILED, ErrorCode.WORKER_DIED, ErrorCode.OVERLOADED]);

class Slot<T, R> {
  done = false;
  failed = false;
  value: R | undefined = undefined;
  error: unknown = undefined;
  constructor(readonly input: T) {}
}

/**
 * The engine of `offload` for one subscription: starts a task per value, at most `concurrency` started and
 * not yet emitted, emits results in request order whatever order they complete in, queues the values that
 * find the window full, and holds the connection while it is full so no more are read. A synchronous result
 * with nothing ahead of it goes straight out, so the inline case costs about what `map` costs.
 *
 * @internal
 */
export class TaskWindow<T, R> {
  private readonly slots: (Slot<T, R> | undefined)[] = [];
  private head = 0;
  private readonly backlog: (T | undefined)[] = [];
  private backlogHead = 0;
  private release: (() => void) | undefined;
  private ended = false;
  private closed = false;
  private flushing = false;

  /**
   * @param subscriber where results go, in order
   * @param run starts one task: returns its result, a promise of it, or throws an `RxloopError`
   * @param options the bound, the error mapper and the connection to hold
   */
  constructor(
    private readonly subscriber: Subscriber<R>,
    private readonly run: (input: T) => R | PromiseLike<R>,
    private readonly options: TaskWindowOptions<T, R>,
  ) {}

  /** Takes one value from the source. */
  push(input: T): void {
    if (this.closed) return;
    if (this.head === this.slots.length && this.backlogHead === this.backlog.length && !this.flushing) {
      let result: R | PromiseLike<R>;
      try {
        result = this.run(input);
      } catch (error) {
        this.emitFailure(error, input);
        return;
      }
      if (!isThenable(result)) {
        this.subscriber.next(asBuffer(result));
        return;
      }
      this.track(input, result);
    } else if (this.slots.length - this.head < this.options.concurrency && this.backlogHead === this.backlog.length) {
      this.start(input);
    } else {
      this.backlog.push(input);
    }
    this.updateHold();
  }

  /** The source completed: complete once every started and queued value is emitted. */
  end(): void {
    this.ended = true;
    if (!this.closed && this.head === this.slots.length && this.backlogHead === this.backlog.length) {
      this.subscriber.complete();
    }
  }

  /** Teardown: forget everything and release the connection (results still arriving are dropped). */
  close(): void {
    this.closed = true;
    this.slots.length = 0;
    this.backlog.length = 0;
    this.release?.();
    this.release = undefined;
  }

  private start(input: T): void {
    let result: R | PromiseLike<R>;
    const slot = new Slot<T, R>(input);
    try {
      result = this.run(input);
    } catch (error) {
      slot.done = true;
      slot.failed = true;
      slot.error = error;
      this.slots.push(slot);
      this.flush();
      return;
    }
    if (isThenable(result)) {
      this.slots.push(slot);
      this.settle(slot, result);
      return;
    }
    slot.done = true;
    slot.value = result;
    this.slots.push(slot);
    this.flush();
  }

  private track(input: T, result: PromiseLike<R>): void {
    const slot = new Slot<T, R>(input);
    this.slots.push(slot);
    this.settle(slot, result);
  }

  private settle(slot: Slot<T, R>, result: PromiseLike<R>): void {
    result.then(
      (value) => {
        slot.done = true;
        slot.value = value;
        this.flush();
      },
      (error: unknown) => {
        slot.done = true;
        slot.failed = true;
        slot.error = error;
        this.flush();
      },
    );
  }

  private flush(): void {
    if (this.flushing || this.closed) return;
    this.flushing = true;
    try {
      const { concurrency } = this.options;
      for (;;) {
        while (this.head < this.slots.length) {
          const slot = this.slots[this.head]!;
          if (!slot.done) break;
          this.slots[this.head++] = undefined;
          if (slot.failed) this.emitFailure(slot.error, slot.input);
          else this.subscriber.next(asBuffer(slot.value as R));
          if (this.closed) return;
        }
        if (this.head === this.slots.length) {
          this.slots.length = 0;
          this.head = 0;
        } else if (this.head > 64 && this.head * 2 > this.slots.length) {
          this.slots.splice(0, this.head);
          this.head = 0;
        }
        if (this.backlogHead === this.backlog.length || this.slots.length - this.head >= concurrency) break;
        while (this.backlogHead < this.backlog.length && this.slots.length - this.head < concurrency) {
          const input = this.backlog[this.backlogHead] as T;
          this.backlog[this.backlogHead++] = undefined;
          this.start(input);
          if (this.closed) return;
        }
        if (this.backlogHead >= this.backlog.length) {
          this.backlog.length = 0;
          this.backlogHead = 0;
        } else if (this.backlogHead > 64 && this.backlogHead * 2 > this.backlog.length) {
          this.backlog.splice(0, this.backlogHead);
          this.backlogHead = 0;
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.closed) return;
    this.updateHold();
    if (this.ended && this.head === this.slots.length && this.backlogHead === this.backlog.length) {
      this.subscriber.complete();
    }
  }

  private emitFailure(error: unknown, input: T): void {
    const onError = this.options.onError;
    if (onError === undefined || !(error instanceof RxloopError) || !perRequest.has(error.code)) {
      this.subscriber.error(error);
      return;
    }
    let value: R;
    try {
      value = onError(error, input);
    } catch (thrown) {
      this.subscriber.error(thrown);
      return;
    }
    this.subscriber.next(value);
  }

  private updateHold(): void {
    const connection = this.options.connection;
    if (connection === undefined || this.closed) return;
    const full = this.slots.length - this.head + this.backlog.length - this.backlogHead >= this.options.concurrency;
    if (full) {
      this.release ??= connection.hold();
    } else if (this.release !== undefined) {
      this.release();
      this.release = undefined;
    }
  }
}

function isThenable<R>(value: R | PromiseLike<R>): value is PromiseLike<R> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Results that are bytes come out as Buffers, whichever thread made them. */
function asBuffer<R>(value: R): R {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength) as R;
  }
  return value;
}
