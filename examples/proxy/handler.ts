// The proxy example's handler module, as `rxloop serve proxy --target HOST:PORT` runs it. The target comes from
// the environment (not from arguments) because a multi-reactor imports this module again in every sub-reactor
// process, and those inherit the environment of the process that called `serve`.
import type { Observable } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { parseTarget } from './parseTarget.js';
import { proxyHandler } from './proxyHandler.js';

let configured: { readonly setting: string; readonly sendProxyHeader: boolean; readonly handler: (client: Connection) => Observable<never> } | undefined;

/**
 * Forwards the connection to `RXLOOP_PROXY_TARGET` (`HOST:PORT`), both ways, with backpressure; hex-dumps
 * the traffic when `RXLOOP_WIRETAP` is set; starts each target connection with a PROXY protocol v2 header
 * naming the client when `RXLOOP_PROXY_SEND_PROXY_V2` is `1` (`rxloop serve proxy --send-proxy-v2`). Errors with `ERR_INVALID_ARGUMENT` when the variable is missing
 * or malformed.
 *
 * ## Example
 * ```ts
 * import { serve } from 'rxloop/schedulers';
 *
 * process.env['RXLOOP_PROXY_TARGET'] = '127.0.0.1:6380';
 * await serve('./dist/examples/proxy/handler.js', { host: '127.0.0.1', port: 7001 });
 * ```
 *
 * @param client the accepted connection
 * @returns the pipeline that proxies it
 * @throws RxloopError `ERR_INVALID_ARGUMENT` when `RXLOOP_PROXY_TARGET` is missing or not `HOST:PORT` (the
 *   server reports it as a handler error and closes the connection)
 */
export default function proxy(client: Connection): Observable<never> {
  const setting = process.env['RXLOOP_PROXY_TARGET'];
  if (setting === undefined || setting === '') {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
      'the proxy handler expected RXLOOP_PROXY_TARGET=HOST:PORT in the environment, got nothing');
  }
  const sendProxyHeader = process.env['RXLOOP_PROXY_SEND_PROXY_V2'] === '1';
  if (configured === undefined || configured.setting !== setting || configured.sendProxyHeader !== sendProxyHeader) {
    configured = { setting, sendProxyHeader, handler: proxyHandler({ ...parseTarget(setting), sendProxyHeader }) };
  }
  return configured.handler(client);
}
