import type { Observable, Subscription } from 'rxjs';
import * as assert from 'uvu/assert';
import { RxloopError } from '../../src/errors.js';

/** What an observable delivered, recorded synchronously. */
export interface Collected<T> {
  readonly values: T[];
  /** The error it failed with (`undefined` while none). */
  error: unknown;
  failed: boolean;
  completed: boolean;
  readonly subscription: Subscription;
}

/** Subscribes and records every notification; the decoders are synchronous, so results are there at once. */
export function collect<T>(observable: Observable<T>): Collected<T> {
  const values: T[] = [];
  const record = { values, error: undefined as unknown, failed: false, completed: false };
  const subscription = observable.subscribe({
    next: (value) => values.push(value),
    error: (error: unknown) => {
      record.failed = true;
      record.error = error;
    },
    complete: () => {
      record.completed = true;
    },
  });
  return Object.assign(record, { subscription });
}

/** The `code` of an error, for assertions. */
export function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

/** Frames as strings (latin1 keeps every byte), for readable assertions. */
export function texts(frames: readonly Buffer[]): string[] {
  return frames.map((frame) => frame.toString('latin1'));
}

/** The RxloopError `run` throws; fails the test when it throws nothing or something else. */
export function failure(run: () => unknown): RxloopError {
  try {
    run();
  } catch (error) {
    assert.instance(error, RxloopError);
    return error as RxloopError;
  }
  return assert.unreachable('expected a throw') as never;
}
