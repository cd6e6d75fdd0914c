import { ErrorCode, RxloopError } from '../../src/errors.js';

/**
 * Why a request was rejected: the status to answer with and a stable code. The connection closes after the
 * error response, because the bytes that follow cannot be trusted to start a request.
 *
 * ## Example
 * ```ts
 * import { HttpRequestParser } from './HttpRequestParser.js';
 *
 * const parser = new HttpRequestParser();
 * parser.push(Buffer.from('GET / HTTP/2.0\r\n'));
 * parser.next();
 * console.log(parser.failure?.status, parser.failure?.code); // 505 'ERR_FRAME_CORRUPT'
 * ```
 */
export interface HttpParseFailure {
  /** 400, 413, 431, 501 or 505. */
  readonly status: number;
  /** `ERR_FRAME_TOO_LONG` for 413 and 431, `ERR_FRAME_CORRUPT` otherwise. */
  readonly code: ErrorCode;
  /** The error, with a message saying what was expected and what arrived (never echoing request bytes). */
  readonly error: RxloopError;
}

/** @internal A scan step's result: every byte given was consumed and more are needed. */
export const NEED_MORE = -1;
/** @internal A scan step's result: the input was rejected; the scanner's `failure` says why. */
export const FAILED = -2;

/**
 * Builds a failure; the code follows from the status (413 and 431 are sizes, the rest malformed input).
 *
 * @internal
 * @param status the HTTP status to answer with
 * @param message what was expected and what arrived
 */
export function httpParseFailure(status: number, message: string): HttpParseFailure {
  const code = status === 413 || status === 431 ? ErrorCode.FRAME_TOO_LONG : ErrorCode.FRAME_CORRUPT;
  return { status, code, error: new RxloopError(code, message) };
}
