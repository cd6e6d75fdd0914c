import { ErrorCode, RxloopError, toRxloopError } from '../../errors.js';

/** Node's codes for arguments it rejects synchronously (a bad port, a wrong type, an out-of-range backlog). */
const argumentCodes = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_SOCKET_BAD_PORT', 'ERR_OUT_OF_RANGE']);

/**
 * Maps an error Node threw while setting a socket up: argument errors become `ERR_INVALID_ARGUMENT`, everything
 * else goes through `toRxloopError`.
 *
 * ## Example
 * ```ts
 * import { nodeBackend, ErrorCode } from 'rxloop';
 *
 * nodeBackend().connect({ port: 70000, host: '127.0.0.1' }, {
 *   connected: (transport) => transport.close(),
 *   failed: (error) => console.log(error.code === ErrorCode.INVALID_ARGUMENT), // true
 * });
 * ```
 *
 * @internal
 * @param error what Node threw
 * @param doing what rxloop was doing, for the message
 * @returns the mapped error
 */
export function toSetupError(error: unknown, doing: string): RxloopError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && argumentCodes.has(code)) {
    return new RxloopError(ErrorCode.INVALID_ARGUMENT, `${doing} failed: ${(error as Error).message}`, { cause: error, errno: code });
  }
  return toRxloopError(error, doing);
}
