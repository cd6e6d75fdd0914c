import { Observable, type Subscription } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { sendTo } from '../../operators/sendTo.js';
import { wiretap } from '../../operators/wiretap.js';

/**
 * Options for {@link splice}.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { splice, type SpliceOptions } from './splice.js';
 *
 * const debugging: SpliceOptions = { wiretap: true };
 * const join = (client: Connection, target: Connection) => splice(client, target, debugging);
 * ```
 */
export interface SpliceOptions {
  /**
   * Hex-dump both directions, labelled `client` (bytes from the first connection) and `target` (bytes from
   * the second). Default: as the `RXLOOP_WIRETAP` environment variable says (see `wiretap`).
   */
  readonly wiretap?: boolean;
}

/**
 * Joins two open connections into one pipe, the heart of a TCP proxy: what `client` sends goes to `target`
 * and back the other way, each direction an rxloop pipeline (`data$` → `wiretap` → `sendTo`).
 *
 * - **Backpressure** both ways: `sendTo(target, { pause: [client] })` stops reading the client while the
 *   target's write buffer is over its high-water mark (and the mirror for the other direction), so a slow
 *   reader on one side slows the writer on the other through TCP, and the proxy holds at most a socket
 *   buffer's worth per direction.
 * - **Half-close**: the end of one side's input ends the other side's output; the Observable completes when
 *   both directions have ended (then both connections are closed after their queued bytes).
 * - **Failure**: a reset (or any error) on either side aborts both and errors the Observable. A reset that
 *   arrives after that side's end of input is noticed at the next write to it (Node stops reading at the end of
 *   input, so nothing sees the reset before then), like any half-closed TCP socket.
 *
 * Unsubscribing closes both connections.
 *
 * ## Example
 * ```ts
 * import { connect, listen } from 'rxloop';
 * import { handle } from 'rxloop/operators';
 * import { switchMap } from 'rxjs';
 * import { splice } from './splice.js';
 *
 * // Forward every connection on port 7001 to 127.0.0.1:6380.
 * listen({ host: '127.0.0.1', port: 7001 }).pipe(
 *   handle((client) => connect({ host: '127.0.0.1', port: 6380 }).pipe(
 *     switchMap((target) => splice(client, target)),
 *   )),
 * ).subscribe();
 * ```
 *
 * @param client the accepted connection
 * @param target the connection to the upstream server
 * @param options whether to wiretap
 * @returns an Observable that emits nothing and completes when both directions have ended
 */
export function splice(client: Connection, target: Connection, options: SpliceOptions = {}): Observable<never> {
  const enabled = options.wiretap;
  return new Observable<never>((subscriber) => {
    const subscriptions: Subscription[] = [];
    let directionsOpen = 2;
    let failed = false;

    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      // A reset must reach the other peer as a reset: a FIN would tell it the stream ended cleanly.
      client.abort();
      target.abort();
      subscriber.error(error);
    };

    const forward = (from: Connection, to: Connection, label: string): Subscription =>
      from.data$
        .pipe(
          wiretap<Buffer>(label, enabled === undefined ? {} : { enabled }),
          // 'none': on an error `sendTo` must not half-close `to` (a FIN before our reset would look orderly).
          sendTo(to, { pause: [from], onComplete: 'none' }),
        )
        .subscribe({
          complete: () => {
            to.end();
            if (--directionsOpen === 0) subscriber.complete();
          },
          error: fail,
        });

    // A reset that arrives after a side's input has already ended reaches no data$ reader: watch the closes.
    const watchClose = (connection: Connection): Subscription =>
      connection.closed$.subscribe(({ error }) => {
        if (error !== undefined) fail(error);
      });

    subscriptions.push(watchClose(client), watchClose(target));
    subscriptions.push(forward(client, target, 'client'), forward(target, client, 'target'));

    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      client.close();
      target.close();
    };
  });
}
