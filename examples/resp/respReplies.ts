import { Observable, type OperatorFunction } from 'rxjs';
import type { RespOutput } from './RespOutput.js';
import type { RespSession } from './RespSession.js';

/**
 * The RESP engine of a connection whose keyspace is in this process: each chunk read goes through
 * `session.handle` and its replies leave as one Buffer (one write per read). A batch that a DIGEST split
 * (`deferDigest`) leaves as the replies before it, the DIGEST's work, and the rest. Completes right after the
 * last output once the session is `closing` (QUIT, a protocol error), so `sendTo` closes the connection after
 * writing it; completes with the input otherwise.
 *
 * A bug in a command errors the stream (the server reports it and closes this connection only).
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { sendTo } from 'rxloop/operators';
 * import { filter, type Observable } from 'rxjs';
 * import { processState } from './processState.js';
 * import { respReplies } from './respReplies.js';
 * import { RespSession } from './RespSession.js';
 *
 * // Without deferDigest, DIGEST runs inline and every output is a Buffer.
 * export default function handler(connection: Connection): Observable<never> {
 *   return connection.data$.pipe(
 *     respReplies(new RespSession(processState)),
 *     filter((output): output is Buffer => Buffer.isBuffer(output)),
 *     sendTo(connection),
 *   );
 * }
 * ```
 *
 * @param session the connection's session
 * @returns an operator from chunks read to outputs in reply order
 */
export function respReplies(session: RespSession): OperatorFunction<Buffer, RespOutput> {
  return (source) =>
    new Observable<RespOutput>((subscriber) => {
      const upstream = source.subscribe({
        next: (chunk) => {
          if (subscriber.closed) return;
          try {
            let replies = session.handle(chunk);
            for (;;) {
              if (replies.length > 0) subscriber.next(replies);
              const work = session.deferred;
              if (work !== undefined) subscriber.next(work);
              // A session with an outputBudget pauses; this stage does not pace, so it goes on at once.
              else if (!session.paused) break;
              replies = session.resume();
            }
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (session.closing) subscriber.complete();
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => upstream.unsubscribe();
    });
}
