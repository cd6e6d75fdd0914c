import { ErrorCode, RxloopError } from './errors.js';

/**
 * Argument checks shared by the socket factories, so every factory reports bad input the same way
 * (`ERR_INVALID_ARGUMENT`, saying what was expected and what arrived).
 *
 * @internal
 */
export function invalid(what: string, expected: string, got: unknown): RxloopError {
  return new RxloopError(ErrorCode.INVALID_ARGUMENT, `${what} expected ${expected}, got ${describe(got)}`);
}

/** @internal */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : typeof value;
}

/**
 * Checks that exactly one of `port` and `path` is given and that it is well formed.
 *
 * @internal
 * @returns the error to report, or `undefined` when the endpoint is fine
 */
export function checkEndpoint(
  what: string,
  options: { port?: unknown; path?: unknown; host?: unknown },
  allowPortZero: boolean,
): RxloopError | undefined {
  const hasPort = options.port !== undefined;
  const hasPath = options.path !== undefined;
  if (hasPort === hasPath) {
    return invalid(what, 'exactly one of `port` (TCP) and `path` (Unix socket)', hasPort ? 'both' : 'neither');
  }
  if (hasPort) {
    const port = options.port;
    const low = allowPortZero ? 0 : 1;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < low || port > 65535) {
      return invalid(`${what} port`, `an integer from ${low} to 65535`, port);
    }
  } else if (typeof options.path !== 'string' || options.path.length === 0) {
    return invalid(`${what} path`, 'a non-empty string', options.path);
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host.length === 0)) {
    return invalid(`${what} host`, 'a non-empty string', options.host);
  }
  return undefined;
}

/**
 * Checks an optional count or duration: a non-negative integer (or `Infinity` when allowed).
 *
 * @internal
 */
export function checkCount(
  what: string,
  value: unknown,
  { min = 0, infinite = false }: { min?: number; infinite?: boolean } = {},
): RxloopError | undefined {
  if (value === undefined) return undefined;
  if (infinite && value === Infinity) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    return invalid(what, `an integer >= ${min}${infinite ? ' or Infinity' : ''}`, value);
  }
  return undefined;
}
