import type { Observable } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { sendTo } from '../../operators/sendTo.js';
import { wiretap } from '../../operators/wiretap.js';

/**
 * The echo example's handler module: writes back every byte it reads, pausing its own input while the output
 * is backed up (sendTo's default), and closes after the peer's end of input once the echo is flushed.
 * `RXLOOP_WIRETAP=echo` hex-dumps the traffic.
 *
 * ## Example
 * ```ts
 * import { serve } from 'rxloop/schedulers';
 *
 * await serve('./dist/examples/echo/handler.js', { host: '127.0.0.1', port: 7000 });
 * ```
 *
 * @param connection the accepted connection
 * @returns the pipeline that serves it
 */
export default function echo(connection: Connection): Observable<never> {
  return connection.data$.pipe(wiretap<Buffer>('echo'), sendTo(connection));
}
