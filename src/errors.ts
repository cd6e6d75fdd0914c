/**
 * The stable error codes rxloop reports. Match on `error.code`, never on the message text: messages may be
 * reworded, codes never change meaning.
 *
 * ## Example
 * ```ts
 * import { connect, ErrorCode } from 'rxloop';
 * import { retry } from 'rxjs';
 *
 * connect({ port: 6380 }).pipe(
 *   retry({ count: 3, delay: 100, resetOnSuccess: true }),
 * ).subscribe({
 *   error: (err) => {
 *     if (err.code === ErrorCode.CONNECT_REFUSED) console.error('nobody listens on 6380');
 *   },
 * });
 * ```
 */
export const ErrorCode = {
  /** An argument was of the wrong type or out of range (a bad port, a missing path, a negative size). */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** The peer refused the connection (ECONNREFUSED, or no listener at a Unix path). */
  CONNECT_REFUSED: 'ERR_CONNECT_REFUSED',
  /** The connection was not established within the `timeout` given to `connect`. */
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  /** The host name did not resolve. */
  HOST_NOT_FOUND: 'ERR_HOST_NOT_FOUND',
  /** `listen` or `bind` found the address taken (EADDRINUSE). */
  ADDRESS_IN_USE: 'ERR_ADDRESS_IN_USE',
  /** The operating system denied access to the address or path (EACCES, EPERM). */
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
  /** The process is out of file descriptors (EMFILE, ENFILE). */
  TOO_MANY_OPEN_FILES: 'ERR_TOO_MANY_OPEN_FILES',
  /** An operation needed an open socket and the socket was already closed (a write after close). */
  SOCKET_CLOSED: 'ERR_SOCKET_CLOSED',
  /** The peer reset the connection (ECONNRESET) or vanished while we wrote (EPIPE). */
  CONNECTION_RESET: 'ERR_CONNECTION_RESET',
  /** A TLS handshake or record failed. */
  TLS: 'ERR_TLS',
  /**
   * A certificate or key file could not be read, was not PEM, or the key does not match the certificate; when a
   * reload finds this, the certificate in use stays in use.
   */
  TLS_CERTIFICATE: 'ERR_TLS_CERTIFICATE',
  /** Any other operating-system error on a socket; `cause` holds Node's error with its `errno`/`syscall`. */
  SOCKET: 'ERR_SOCKET',
  /** A decoder saw a frame larger than its configured maximum and refused to buffer it. */
  FRAME_TOO_LONG: 'ERR_FRAME_TOO_LONG',
  /** A decoder saw a header it cannot interpret (a negative or absurd length, a bad delimiter). */
  FRAME_CORRUPT: 'ERR_FRAME_CORRUPT',
  /** The input ended in the middle of a frame. */
  FRAME_TRUNCATED: 'ERR_FRAME_TRUNCATED',
  /** Input bytes were not valid in the declared encoding. */
  INVALID_ENCODING: 'ERR_INVALID_ENCODING',
  /** A connection or read was idle for longer than its timeout allowed. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** A leased buffer was used or released after it had been released. */
  LEASE_RELEASED: 'ERR_LEASE_RELEASED',
  /** A bounded queue or pool was full and the caller asked not to wait. */
  OVERLOADED: 'ERR_OVERLOADED',
  /** An offloaded task threw; `cause` holds what it threw. */
  TASK_FAILED: 'ERR_TASK_FAILED',
  /** A worker thread or sub-reactor process died while it held this work. */
  WORKER_DIED: 'ERR_WORKER_DIED',
  /** The operation was cancelled by shutdown or unsubscription before it ran. */
  CANCELLED: 'ERR_CANCELLED',
  /**
   * A PROXY protocol header was missing, malformed, over its length bound, or came from an address that is not
   * trusted to send one; the connection is closed.
   */
  PROXY_PROTOCOL: 'ERR_PROXY_PROTOCOL',
  /** This platform, Node.js line or backend lacks a feature the call needs; the message says which and where. */
  UNSUPPORTED: 'ERR_UNSUPPORTED',
  /**
   * A connection queued more output for its peer than its output limit allows (see
   * `ConnectionOptions.outputLimit`): the peer does not read fast enough, so the connection was reset.
   */
  OUTPUT_LIMIT: 'ERR_OUTPUT_LIMIT',
} as const;

/** One of the string values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Extra context an {@link RxloopError} may carry.
 *
 * ## Example
 * ```ts
 * import { ErrorCode, RxloopError, type RxloopErrorOptions } from 'rxloop';
 *
 * const options: RxloopErrorOptions = { errno: 'ECONNRESET', syscall: 'read', cause: new Error('read ECONNRESET') };
 * const error = new RxloopError(ErrorCode.CONNECTION_RESET, 'expected a reply, the peer reset', options);
 * console.log(error.errno, error.syscall); // 'ECONNRESET' 'read'
 * ```
 */
export interface RxloopErrorOptions {
  /** The underlying error (usually Node's system error). */
  cause?: unknown;
  /** The operating-system error name (`ECONNREFUSED`), when there is one. */
  errno?: string;
  /** The system call that failed (`connect`, `read`), when there is one. */
  syscall?: string;
}

/**
 * The one error class rxloop throws or sends to `error`. Its `name` is always `'RxloopError'`; its `code` is one
 * of {@link ErrorCode}; its message says what was expected and what arrived.
 *
 * ## Example
 * ```ts
 * import { RxloopError, ErrorCode } from 'rxloop';
 *
 * const err = new RxloopError(ErrorCode.FRAME_TOO_LONG, 'expected a frame of at most 1024 bytes, got 70000');
 * console.log(err.code); // 'ERR_FRAME_TOO_LONG'
 * console.log(err instanceof Error); // true
 * ```
 */
export class RxloopError extends Error {
  /** Always `'RxloopError'`, also after minification, so logs and `error.name` checks recognise it. */
  override readonly name = 'RxloopError';
  /** The stable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** The operating-system error name, when the error came from a system call. */
  readonly errno: string | undefined;
  /** The failed system call, when there was one. */
  readonly syscall: string | undefined;

  /**
   * @param code the stable code
   * @param message what was expected and what arrived
   * @param options an optional cause, errno and syscall
   */
  constructor(code: ErrorCode, message: string, options: RxloopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno = options.errno;
    this.syscall = options.syscall;
  }
}

const errnoCodes: Readonly<Record<string, ErrorCode>> = {
  ECONNREFUSED: ErrorCode.CONNECT_REFUSED,
  ENOENT: ErrorCode.CONNECT_REFUSED,
  ETIMEDOUT: ErrorCode.CONNECT_TIMEOUT,
  ENOTFOUND: ErrorCode.HOST_NOT_FOUND,
  EAI_AGAIN: ErrorCode.HOST_NOT_FOUND,
  EADDRINUSE: ErrorCode.ADDRESS_IN_USE,
  EACCES: ErrorCode.ACCESS_DENIED,
  EPERM: ErrorCode.ACCESS_DENIED,
  EMFILE: ErrorCode.TOO_MANY_OPEN_FILES,
  ENFILE: ErrorCode.TOO_MANY_OPEN_FILES,
  ECONNRESET: ErrorCode.CONNECTION_RESET,
  EPIPE: ErrorCode.CONNECTION_RESET,
  ECONNABORTED: ErrorCode.CONNECTION_RESET,
  ERR_STREAM_DESTROYED: ErrorCode.SOCKET_CLOSED,
  ERR_STREAM_WRITE_AFTER_END: ErrorCode.SOCKET_CLOSED,
  ERR_SOCKET_CLOSED: ErrorCode.SOCKET_CLOSED,
};

/**
 * Turns whatever a Node API threw or emitted into an {@link RxloopError} with a stable code. An RxloopError is
 * returned as it is.
 *
 * @internal
 * @param error what Node gave us
 * @param doing what rxloop was doing, for the message (`'connect to 127.0.0.1:6380'`)
 */
export function toRxloopError(error: unknown, doing: string): RxloopError {
  if (error instanceof RxloopError) return error;
  const nodeError = error as NodeJS.ErrnoException | undefined;
  const errno = typeof nodeError?.code === 'string' ? nodeError.code : undefined;
  let code: ErrorCode = (errno !== undefined ? errnoCodes[errno] : undefined) ?? ErrorCode.SOCKET;
  if (code === ErrorCode.SOCKET && errno?.startsWith('ERR_SSL')) code = ErrorCode.TLS;
  if (code === ErrorCode.SOCKET && /tls|ssl|certificate/i.test(String(nodeError?.message))) code = ErrorCode.TLS;
  const detail = nodeError?.message ?? String(error);
  return new RxloopError(code, `${doing} failed: ${detail}`, {
    cause: error,
    errno,
    syscall: nodeError?.syscall,
  });
}
