import type { Unsubscribable } from 'rxjs';
import type { Connection } from '../src/Connection.js';

/**
 * Demand that a consumer offers to the producer it subscribes to, for producers that can wait ({@link pull}):
 * RxJS itself has no backpressure, so `sendTo` says through this when it wants more.
 *
 * @internal
 */
export interface Demand {
  /** Whether the consumer takes more now (for `sendTo`: its connection is writable and open). */
  readonly wanted: boolean;
  /**
   * Calls `callback` once, when the consumer wants more again (or is gone, so that the producer can finish).
   * Returns the function that cancels the wait.
   */
  whenWanted(callback: () => void): () => void;
}

let current: Demand | undefined;

/**
 * Calls `callback` once, when `connection` is writable (at once if it is), or when its output closes; returns
 * the function that cancels the wait. The `whenWanted` of demand that follows a connection's output.
 *
 * @internal
 */
export function whenWritable(connection: Connection, callback: () => void): () => void {
  let called = false;
  let waiting: Unsubscribable | undefined;
  const call = (): void => {
    if (called) return;
    called = true;
    waiting?.unsubscribe();
    callback();
  };
  // writable$ emits at once when writable, after the next drain otherwise, and completes when output closes.
  waiting = connection.writable$.subscribe({ next: call, complete: call });
  if (called) waiting.unsubscribe();
  return () => waiting?.unsubscribe();
}

/**
 * Runs `subscribe` with `demand` as the demand a producer subscribed meanwhile finds. Operators between them that
 * subscribe synchronously (`map`, `filter`, `tap`, `take`, ...) pass it through unchanged.
 *
 * @internal
 */
export function withDemand<T>(demand: Demand, subscribe: () => T): T {
  const previous = current;
  current = demand;
  try {
    return subscribe();
  } finally {
    current = previous;
  }
}

/**
 * The demand offered to what is being subscribed now, if any.
 *
 * @internal
 */
export function offeredDemand(): Demand | undefined {
  return current;
}
