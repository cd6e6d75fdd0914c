import { ErrorCode, RxloopError } from '../../src/errors.js';

/**
 * Where a proxy forwards to, as {@link parseTarget} reads it.
 *
 * ## Example
 * ```ts
 * import type { ProxyTarget } from './parseTarget.js';
 *
 * const redis: ProxyTarget = { host: '127.0.0.1', port: 6380 };
 * ```
 */
export interface ProxyTarget {
  /** The host name or address (IPv6 without its brackets). */
  readonly host: string;
  /** The TCP port, 1 to 65535. */
  readonly port: number;
}

/**
 * Reads a proxy target written `HOST:PORT` (or `[IPv6]:PORT`), the form of `rxloop serve proxy --target` and
 * of the `RXLOOP_PROXY_TARGET` environment variable.
 *
 * ## Example
 * ```ts
 * import { parseTarget } from './parseTarget.js';
 *
 * const { host, port } = parseTarget('127.0.0.1:6380'); // { host: '127.0.0.1', port: 6380 }
 * ```
 *
 * @param text the target as written
 * @returns the host and port
 * @throws RxloopError `ERR_INVALID_ARGUMENT` when the text is not `HOST:PORT` with a port from 1 to 65535
 */
export function parseTarget(text: string): ProxyTarget {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new RxloopError(
      ErrorCode.INVALID_ARGUMENT,
      `proxy target expected HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:6380), got ${JSON.stringify(text)}`,
    );
  }
  return { host: (match[1] ?? match[2])!, port };
}
