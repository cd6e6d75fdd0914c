import type { VirtualTimeScheduler } from 'rxjs';
import type { ContractClock } from './BackendHarness.js';

/**
 * Virtual time over `scheduler`: a turn is a `flush()` (every task due, timers included, until none is left), so
 * a condition that does not hold after one cannot hold later and fails at once.
 */
export function virtualClock(scheduler: VirtualTimeScheduler): ContractClock {
  const flush = async (): Promise<void> => {
    scheduler.flush();
    // Let a case's own awaits (and promise callbacks) run between turns.
    await Promise.resolve();
  };
  return {
    async until(condition, what) {
      for (let round = 0; round < 3 && !condition(); round++) await flush();
      if (!condition()) throw new Error(`${what} never happened: virtual time ran out of work`);
    },
    async turns(count = 1) {
      for (let i = 0; i < count; i++) await flush();
    },
    later: (callback) => scheduler.schedule(callback),
  };
}
