import { Observable, mergeMap, type ObservableInput } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import { diagnostics } from '../src/diagnostics/channels.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { checkCount } from '../src/validate.js';
import type { ProxyHeader } from './ProxyHeader.js';
import { ProxyHeaderDecoder } from './ProxyHeaderDecoder.js';
import { TrustedPeers } from './TrustedPeers.js';

/**
 * Options for {@link proxyProtocol} and {@link readProxyHeader}.
 *
 * ## Example
 * ```ts
 * import type { ProxyProtocolOptions } from 'rxloop/operators';
 *
 * // HAProxy at 10.0.0.2 and 10.0.0.3 relays the public traffic; the monitoring host connects directly.
 * const options: ProxyProtocolOptions = { trusted: ['10.0.0.2', '10.0.0.3'], untrusted: 'direct', timeout: 3000 };
 * ```
 */
export interface ProxyProtocolOptions {
  /**
   * The balancers allowed to send a header: addresses and CIDR ranges (`'10.0.0.0/8'`, `'fd00::/8'`). Default:
   * every peer. Unix socket peers are always trusted.
   */
  readonly trusted?: readonly string[];
  /**
   * What a connection from any other address gets: `'reject'` (default) closes it with `ERR_PROXY_PROTOCOL`;
   * `'direct'` serves it as it is, without reading a header, under its own address. A header is never read from
   * an untrusted peer: anyone could claim any address.
   */
  readonly untrusted?: 'reject' | 'direct';
  /** Milliseconds the whole header may take to arrive (default 5000); then `ERR_TIMEOUT` closes the connection. */
  readonly timeout?: number;
  /** The longest header accepted, TLVs included (default 2048 bytes, 232 to 65551). */
  readonly maxLength?: number;
}

/**
 * Reads the PROXY protocol header (v1 or v2) that a balancer sends before the protocol's first byte, and makes
 * `connection.remoteAddress` the original client's. Emits the header (`undefined` for an untrusted peer served
 * `'direct'`) and completes; the bytes after the header stay unread for the protocol. A `LOCAL` header (the
 * balancer's health check) keeps the connection's own address. Errors with `ERR_PROXY_PROTOCOL` (no header, a
 * malformed or too long one, an untrusted peer) or `ERR_TIMEOUT`; the caller closes the connection.
 * The per-connection step of {@link proxyProtocol}, and what `serve({ proxyProtocol })` runs before the handler.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, readProxyHeader, sendTo } from 'rxloop/operators';
 * import { concat, ignoreElements } from 'rxjs';
 *
 * // Echoes each client once its PROXY header (HAProxy's send-proxy-v2) is read: connection.remoteAddress is then
 * // the client's own address, not the balancer's.
 * listen({ port: 7000 }).pipe(handle((connection) => concat(
 *   readProxyHeader(connection, { trusted: ['127.0.0.1'] }).pipe(ignoreElements()),
 *   connection.data$,
 * ).pipe(sendTo(connection)))).subscribe();
 * ```
 *
 * @param connection a connection nothing has read from yet
 * @param options who may send a header, how long it may take, how long it may be
 * @returns the header, once
 */
export function readProxyHeader(connection: Connection, options: ProxyProtocolOptions = {}): Observable<ProxyHeader | undefined> {
  return readProxyHeaderWith(connection, settle(options));
}

/** Options checked once, with their defaults. @internal */
export interface ProxyProtocolSettings {
  readonly trusted: TrustedPeers;
  readonly untrusted: 'reject' | 'direct';
  readonly timeout: number;
  readonly maxLength: number;
}

/**
 * Checks the options and applies the defaults.
 *
 * @internal
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for a bad option
 */
export function settle(options: ProxyProtocolOptions): ProxyProtocolSettings {
  if (options === null || typeof options !== 'object') {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `proxyProtocol expected an options object, got ${String(options)}`);
  }
  const problem = checkCount('proxyProtocol timeout', options.timeout, { min: 1, infinite: true });
  if (problem !== undefined) throw problem;
  const untrusted = options.untrusted ?? 'reject';
  if (untrusted !== 'reject' && untrusted !== 'direct') {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `proxyProtocol untrusted expected 'reject' or 'direct', got ${JSON.stringify(untrusted)}`);
  }
  const maxLength = options.maxLength ?? 2048;
  new ProxyHeaderDecoder(maxLength); // checks the bound
  return { trusted: new TrustedPeers(options.trusted), untrusted, timeout: options.timeout ?? 5000, maxLength };
}

/** {@link readProxyHeader} with settled options. @internal */
export function readProxyHeaderWith(connection: Connection, settings: ProxyProtocolSettings): Observable<ProxyHeader | undefined> {
  return new Observable<ProxyHeader | undefined>((subscriber) => {
    const reject = (error: RxloopError): void => {
      if (diagnostics.proxyReject.hasSubscribers) diagnostics.proxyReject.publish({ connection, error });
      subscriber.error(error);
    };
    if (!settings.trusted.trusts(connection.remoteAddress)) {
      if (settings.untrusted === 'direct') {
        subscriber.next(undefined);
        subscriber.complete();
      } else {
        reject(new RxloopError(ErrorCode.PROXY_PROTOCOL,
          `PROXY protocol: expected a connection from a trusted balancer, got one from ${describe(connection)}`));
      }
      return;
    }
    const decoder = new ProxyHeaderDecoder(settings.maxLength);
    const timer = settings.timeout === Infinity ? undefined : connection.backend.scheduler.schedule(() => {
      reject(new RxloopError(ErrorCode.TIMEOUT,
        `PROXY protocol: expected the whole header within ${settings.timeout} ms, got ${String(decoder.wanted())} bytes short`));
    }, settings.timeout);
    const reading = connection.readable$.subscribe({
      next: () => {
        for (;;) {
          const wanted = decoder.wanted();
          const bytes = connection.read(wanted);
          if (bytes === null) return;
          let header: ProxyHeader | undefined;
          try {
            header = decoder.push(bytes);
          } catch (error) {
            reject(error as RxloopError);
            return;
          }
          if (header === undefined) continue;
          if (header.command === 'proxy' && header.source !== undefined) connection.overrideRemoteAddress(header.source);
          if (diagnostics.proxyHeader.hasSubscribers) {
            diagnostics.proxyHeader.publish({ connection, version: header.version, command: header.command });
          }
          subscriber.next(header);
          subscriber.complete();
          return;
        }
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => reject(new RxloopError(ErrorCode.PROXY_PROTOCOL,
        `PROXY protocol: expected a header, got the end of input ${decoder.wanted() > 0 ? 'before it was whole' : ''}`.trimEnd())),
    });
    return () => {
      timer?.unsubscribe();
      reading.unsubscribe();
    };
  });
}

function describe(connection: Connection): string {
  const address = connection.remoteAddress;
  if (address === undefined) return 'an unknown address';
  return address.kind === 'unix' ? `the Unix socket ${address.path}` : address.address;
}

/**
 * Runs `run` (a handler) once the connection's PROXY header has been read: what `serve({ proxyProtocol })`
 * does on every topology.
 *
 * @internal
 */
export function afterProxyHeader<T>(
  connection: Connection,
  settings: ProxyProtocolSettings,
  run: () => ObservableInput<T>,
): Observable<T> {
  return readProxyHeaderWith(connection, settings).pipe(mergeMap(run));
}
