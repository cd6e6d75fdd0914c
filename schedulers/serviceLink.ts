import { Observable } from 'rxjs';
import { defaultBackend } from '../src/backends/defaultBackend.js';
import { connect } from '../src/connect.js';
import { Connection } from '../src/Connection.js';
import { RingTransport } from './RingTransport.js';

/** Bytes each direction of a ring link holds: a few hundred -P 16 reads, and small enough to stay in cache. */
const RING_BYTES = 256 * 1024;

/**
 * The memory of a new ring link, sent from a sub-reactor thread to the main thread: the ring the thread writes
 * (`toService`) and the one it reads (`fromService`).
 *
 * @internal
 */
export interface ServiceRings {
  readonly toService: SharedArrayBuffer;
  readonly fromService: SharedArrayBuffer;
}

/** Set in a sub-reactor thread: the service's path, and how a new link's rings reach the main thread. */
let rings: { readonly path: string; readonly open: (rings: ServiceRings) => void } | undefined;

/**
 * Makes `serviceLink(path)` link over shared memory rings in this thread: called by a `multiReactor({ threads:
 * true })` sub-reactor thread before its handler module loads, with the way to hand a new link's rings to the
 * main thread (which serves the service).
 *
 * @internal
 * @param path the service's socket path, as `multiReactorService()` gives it
 * @param open sends a new link's rings to the main thread
 */
export function linkServiceOverRings(path: string, open: (rings: ServiceRings) => void): void {
  rings = { path, open };
}

/**
 * A link to the server's service (the handler module's `service` export; see `multiReactor`), as a
 * {@link Connection}: `connect({ path })` to its Unix socket, unless this is a sub-reactor thread of the
 * server's own process (`multiReactor({ threads: true })`), where the link is a pair of shared memory rings
 * to the main thread, which serves the service. Either way the service's handler gets a `Connection` and the
 * handler module stays the same on every topology; only the cost differs: no system call and no socket buffer
 * per hop between threads.
 *
 * It behaves as `connect` does: subscribing links, the connection is emitted once linked, the Observable
 * completes when the connection closes in order and errors when it fails; unsubscribing closes it. A ring
 * link has the socket's flow control (a full ring stops the writer, a reader that stops reading fills it),
 * and it fails (`ERR_CONNECTION_RESET`) when the other side resets it, or when the server stops its service.
 * A sub-reactor thread that dies takes its links with it: the service sees them end, as it would see a
 * process's sockets close.
 *
 * ## Example
 * ```ts
 * // handler.ts: one counter for the whole server, whatever the topology.
 * import type { Connection } from 'rxloop';
 * import { sendTo } from 'rxloop/operators';
 * import { multiReactorService, serviceLink } from 'rxloop/schedulers';
 * import { map, merge, mergeMap } from 'rxjs';
 *
 * export const service = new URL('./counterService.js', import.meta.url);
 * const servicePath = multiReactorService();
 *
 * export default function handler(connection: Connection) {
 *   if (servicePath === undefined) return connection.data$.pipe(map(() => 'no service\n'), sendTo(connection));
 *   return serviceLink(servicePath).pipe(
 *     mergeMap((link) =>
 *       merge(connection.data$.pipe(sendTo(link, { onComplete: 'end' })), link.data$.pipe(sendTo(connection))),
 *     ),
 *   );
 * }
 * ```
 *
 * @param path the service's socket path, from `multiReactorService()`
 * @returns an Observable of the one link
 */
export function serviceLink(path: string): Observable<Connection> {
  const here = rings;
  if (here === undefined || here.path !== path) return connect({ path });
  return new Observable<Connection>((subscriber) => {
    const [toService, fromService] = RingTransport.allocate(RING_BYTES);
    const transport = new RingTransport(fromService, toService, { kind: 'unix', path });
    // The main thread builds its end from the same memory; bytes written meanwhile wait in the ring.
    here.open({ toService, fromService });
    const connection = new Connection(transport, defaultBackend());
    connection.closed$.subscribe(({ error }) => {
      if (error !== undefined) subscriber.error(error);
      else subscriber.complete();
    });
    subscriber.next(connection);
    return () => connection.close({ linger: 2000 });
  });
}
