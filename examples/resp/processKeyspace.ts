import { Keyspace } from './Keyspace.js';

/** How often active expiry runs (Redis's default `hz` is 10). */
const EXPIRY_INTERVAL_MS = 100;
/** Keys with a TTL looked at per step, and the time one timer tick may spend on steps. */
const EXPIRY_STEP = 20;
const EXPIRY_BUDGET_MS = 2;

/**
 * The keyspace of this process: every connection the process serves works on it, so a key written through one
 * connection is read through any other (under `singleReactor` and `pooledReactor` that is the whole server;
 * under `multiReactor` the keyspace service in the main process owns it and the sub-reactors forward to it).
 *
 * Expired keys nobody touches again are reclaimed by a timer: 10 times a second, steps of 20 keys repeat while
 * more than a quarter of a step had expired (Redis's rule), for at most 2 ms. The timer keeps its own clock
 * (the keyspace's, `Date.now`) rather than a connection's scheduler, since the keyspace outlives every
 * connection, and it is unref'd so it never keeps a process alive.
 *
 * ## Example
 * ```ts
 * import { processKeyspace } from './processKeyspace.js';
 *
 * processKeyspace.set('greeting', Buffer.from('hello'));
 * console.log(processKeyspace.get('greeting')?.toString()); // 'hello'
 * ```
 */
export const processKeyspace = new Keyspace();

setInterval(() => {
  const deadline = Date.now() + EXPIRY_BUDGET_MS;
  while (processKeyspace.activeExpireStep(EXPIRY_STEP) > EXPIRY_STEP / 4 && Date.now() < deadline);
}, EXPIRY_INTERVAL_MS).unref();
