import { EmbeddedBackend } from './EmbeddedBackend.js';
import type { EmbeddedBackendOptions } from './EmbeddedBackendOptions.js';

/**
 * Creates an in-memory backend: sockets without the operating system, time from a scheduler you control. Like
 * Netty's `EmbeddedChannel`, it makes socket code deterministic to test: pass rxjs's `TestScheduler` and a
 * connect timeout, a fragmented frame or a full write buffer happen at exact virtual times.
 *
 * ## Example
 * ```ts
 * import { embeddedBackend } from 'rxloop';
 * import { VirtualTimeScheduler } from 'rxjs';
 *
 * const scheduler = new VirtualTimeScheduler();
 * const backend = embeddedBackend({ scheduler });
 * backend.listen({ port: 7 }, {
 *   listening: (address) => console.log('listening', address),
 *   accepted: (transport) => transport.close(),
 *   failed: (error) => console.error(error.code),
 * });
 * backend.connect({ port: 7 }, {
 *   connected: (transport) => console.log('connected to', transport.remoteAddress),
 *   failed: (error) => console.error(error.code),
 * });
 * scheduler.flush();
 * ```
 *
 * @param options the scheduler, fragmentation, receive window and high-water mark
 * @returns a new backend with its own ports and paths
 * @see EmbeddedBackend
 */
export function embeddedBackend(options?: EmbeddedBackendOptions): EmbeddedBackend {
  return new EmbeddedBackend(options);
}
