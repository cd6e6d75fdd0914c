import { ServerState } from './ServerState.js';

/** How often active expiry runs while few keys go stale (Redis's default `hz` is 10), and while many do. */
const EXPIRY_IDLE_MS = 100;
const EXPIRY_BEHIND_MS = 10;
/** The most one expiry cycle may take: at most a quarter of the time while it is behind, like Redis's 25%. */
const EXPIRY_BUDGET_MS = 2.5;

/**
 * The server state of this process: every connection the process serves works on its databases, so a key
 * written through one connection is read through any other (under `singleReactor` and `pooledReactor` that is
 * the whole server; under `multiReactor` the keyspace service in the main process owns it and the sub-reactors
 * forward to it).
 *
 * Expired keys nobody touches again are reclaimed by a timer: every 100 ms an adaptive cycle of at most 2.5 ms
 * (see `ServerState.activeExpireCycle`); while keys go stale faster than it reclaims them, every 10 ms, so at
 * most a quarter of the time, as Redis's slow cycle, and never a pause longer than 2.5 ms. The timer keeps its
 * own clock rather than a connection's scheduler, since the state outlives every connection, and it is unref'd
 * so it never keeps a process alive.
 *
 * ## Example
 * ```ts
 * import { processState } from './processState.js';
 *
 * processState.databases[0]!.set('greeting', 'hello');
 * console.log(processState.databases[0]!.get('greeting')); // 'hello'
 * ```
 */
export const processState = new ServerState();

function expiryCycle(): void {
  const behind = processState.activeExpireCycle(EXPIRY_BUDGET_MS);
  setTimeout(expiryCycle, behind ? EXPIRY_BEHIND_MS : EXPIRY_IDLE_MS).unref();
}
setTimeout(expiryCycle, EXPIRY_IDLE_MS).unref();
