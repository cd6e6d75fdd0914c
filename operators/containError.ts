import type { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * How a pipeline's error ends its connection, as {@link containError} decides:
 * - `'peer-reset'`: the peer reset the connection (or vanished while we wrote); nothing is left to close;
 * - `'peer-fault'`: the peer's input or pace was at fault (a frame over its limit, a corrupt or truncated frame,
 *   bad encoding, a timeout, an overload); the connection is closed in order, so what was already written (an
 *   error reply) still reaches the peer;
 * - `'fault'`: anything else (a bug in the handler, a failed task); the connection is reset, so that the peer
 *   never takes the failure for a normal end, unless the pipeline had ended its output before failing (it has
 *   sent its last word, such as an HTTP 500): then it is closed in order too.
 *
 * @internal
 */
export type ErrorOutcome = 'peer-reset' | 'peer-fault' | 'fault';

/** The codes of errors about the peer's input or pace. */
const PEER_FAULTS: ReadonlySet<string> = new Set([
  ErrorCode.FRAME_TOO_LONG,
  ErrorCode.FRAME_CORRUPT,
  ErrorCode.FRAME_TRUNCATED,
  ErrorCode.INVALID_ENCODING,
  ErrorCode.TIMEOUT,
  ErrorCode.OVERLOADED,
  ErrorCode.OUTPUT_LIMIT,
]);

/**
 * Ends `connection` the way a pipeline's `error` demands (see {@link ErrorOutcome}) and says which way it was.
 * `sendTo` does this when its source errors, and `handle()` for every pipeline it runs.
 *
 * @internal
 * @param connection the connection the failed pipeline served
 * @param error what the pipeline errored with
 * @param linger for an orderly close, the most milliseconds to wait for the flush before resetting
 * @returns how the connection was ended
 */
export function containError(connection: Connection, error: unknown, linger?: number): ErrorOutcome {
  const code = error instanceof RxloopError ? error.code : undefined;
  // Whatever the pipeline made of it (an input error, a write to a closed connection), a connection the peer
  // reset failed because of the peer.
  if (code === ErrorCode.CONNECTION_RESET || connection.closedWith?.error?.code === ErrorCode.CONNECTION_RESET) {
    connection.abort();
    return 'peer-reset';
  }
  const peerFault = code !== undefined && PEER_FAULTS.has(code);
  // A pipeline that ended its output before failing has said its last word (an error response): let it arrive.
  if (peerFault || connection.isOutputEnded) connection.close(linger === undefined ? {} : { linger });
  else connection.abort();
  return peerFault ? 'peer-fault' : 'fault';
}
