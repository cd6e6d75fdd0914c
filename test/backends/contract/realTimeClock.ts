import type { ContractClock } from './BackendHarness.js';
import { turns, until } from '../node/until.js';

/** Real time, for backends over real sockets (node, uring): waits turn by turn of Node's event loop. */
export const realTimeClock: ContractClock = {
  until: (condition, what) => until(condition, what),
  turns: (count = 1) => turns(count),
  later: (callback) => setImmediate(callback),
};
