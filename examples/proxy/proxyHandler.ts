import { Observable, type Subscription } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { connect } from '../../src/connect.js';
import type { ProxyTarget } from './parseTarget.js';
import { proxyHeaderFor } from './proxyHeaderFor.js';
import { splice } from './splice.js';

/**
 * Options for {@link proxyHandler}.
 *
 * ## Example
 * ```ts
 * import { proxyHandler, type ProxyHandlerOptions } from './proxyHandler.js';
 *
 * const options: ProxyHandlerOptions = { host: '127.0.0.1', port: 6380, connectTimeout: 2000 };
 * const handler = proxyHandler(options);
 * ```
 */
export interface ProxyHandlerOptions extends ProxyTarget {
  /** Milliseconds to wait for the target to accept (default 10000); then the client is closed. */
  readonly connectTimeout?: number;
  /** Hex-dump both directions (default: as the `RXLOOP_WIRETAP` environment variable says). */
  readonly wiretap?: boolean;
  /**
   * Start every target connection with a PROXY protocol v2 header naming the client (see
   * {@link proxyHeaderFor}), as HAProxy's `send-proxy-v2` does, for a target that reads one (`rxloop serve
   * --proxy-protocol`, nginx's `proxy_protocol`, ...). Default false.
   */
  readonly sendProxyHeader?: boolean;
}

/**
 * Makes the handler of a TCP proxy: for every accepted connection it opens a connection to the target and
 * {@link splice}s the two, with backpressure, half-close and reset propagation in both directions. When the
 * target cannot be reached (refused, timed out, unknown host) the client is closed and the handler errors
 * with the connect error's code (`ERR_CONNECT_REFUSED`, ...), which the server reports as a handler error.
 * With `sendProxyHeader`, the target first gets a PROXY v2 header with the client's address.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle } from 'rxloop/operators';
 * import { proxyHandler } from './proxyHandler.js';
 *
 * const proxy = proxyHandler({ host: '127.0.0.1', port: 6380 });
 * listen({ host: '127.0.0.1', port: 7001 }).pipe(handle((client) => proxy(client))).subscribe();
 * ```
 *
 * @param options the target, the connect timeout, whether to wiretap, whether to send a PROXY header
 * @returns a handler (as a handler module's default export, or per connection of `listen`)
 */
export function proxyHandler(options: ProxyHandlerOptions): (client: Connection) => Observable<never> {
  const { host, port } = options;
  const timeout = options.connectTimeout ?? 10_000;
  const spliceOptions = options.wiretap === undefined ? {} : { wiretap: options.wiretap };
  const sendProxyHeader = options.sendProxyHeader === true;
  return (client: Connection) =>
    new Observable<never>((subscriber) => {
      let splicing: Subscription | undefined;
      // Not `switchMap`: `connect` errors again when an open target resets, and `splice` already handles that.
      // The target lives on the client's backend: the same loop in production, the same virtual network in tests.
      const connecting = connect({ host, port, timeout, backend: client.backend }).subscribe({
        next: (target) => {
          // Written before the splice starts, so the header precedes every byte of the client's.
          if (sendProxyHeader) target.write(proxyHeaderFor(client));
          splicing = splice(client, target, spliceOptions).subscribe(subscriber);
        },
        error: (error: unknown) => {
          if (splicing !== undefined) return;
          client.close();
          subscriber.error(error);
        },
      });
      return () => {
        splicing?.unsubscribe();
        connecting.unsubscribe();
      };
    });
}
