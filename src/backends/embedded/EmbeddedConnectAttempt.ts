import type { Subscription } from 'rxjs';
import type { ConnectAttempt, ConnectSink, ConnectSpec } from '../Backend.js';
import type { RxloopError } from '../../errors.js';

/**
 * An outgoing connection attempt in an embedded backend: waiting for its first turn, or waiting in a held
 * listener's backlog.
 *
 * @internal
 */
export class EmbeddedConnectAttempt implements ConnectAttempt {
  /** The connect task and the timeout timer, cancelled once the attempt settles. */
  readonly timers: Subscription[] = [];
  private settled = false;

  /**
   * @param spec what was asked
   * @param key the listener table key (`port:N` or `path:P`)
   * @param sink receives the outcome
   * @param forget removes the attempt from a held listener's backlog
   */
  constructor(
    readonly spec: ConnectSpec,
    readonly key: string,
    private readonly sink: ConnectSink,
    private readonly forget: (attempt: EmbeddedConnectAttempt) => void,
  ) {}

  /** Whether the attempt still waits for an outcome. */
  get pending(): boolean {
    return !this.settled;
  }

  cancel(): void {
    this.settle();
  }

  /**
   * Settles the attempt and returns its sink for the `connected` call.
   *
   * @returns the sink, or `undefined` when the attempt was already settled or cancelled
   */
  take(): ConnectSink | undefined {
    if (this.settled) return undefined;
    this.settle();
    return this.sink;
  }

  /** Settles the attempt with `failed(error)`, unless it was settled or cancelled. */
  fail(error: RxloopError): void {
    this.take()?.failed(error);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const timer of this.timers) timer.unsubscribe();
    this.timers.length = 0;
    this.forget(this);
  }
}
