import { ErrorCode, RxloopError } from '../../src/errors.js';

/**
 * How a response ends its connection, chosen per request by the session: the three values index the prepared
 * variants of an {@link HttpPreparedResponse}, so they must stay 0, 1, 2.
 *
 * @internal
 */
export const ConnectionMode = {
  /** HTTP/1.1 keep-alive: the default, so no `Connection` header is sent. */
  KEEP_ALIVE: 0,
  /** HTTP/1.0 keep-alive: persistence must be announced with `Connection: keep-alive`. */
  KEEP_ALIVE_10: 1,
  /** The connection closes after this response: `Connection: close`. */
  CLOSE: 2,
} as const;

/** @internal One of the values of {@link ConnectionMode}. */
export type ConnectionMode = (typeof ConnectionMode)[keyof typeof ConnectionMode];

const CONNECTION_LINES = ['', 'Connection: keep-alive\r\n', 'Connection: close\r\n'] as const;

// RFC 9110 §15 phrases. A status without one gets an empty reason-phrase, which the grammar allows.
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** @internal The reason phrase of `status`, or `''` when it has none we know. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? '';
}

// Header fields the writer owns; a handler that set them could break framing (two Content-Length lines) or
// contradict the keep-alive decision.
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'date', 'content-type']);
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// field-value: VCHAR, obs-text, SP and HTAB; CR, LF, NUL and other controls would allow response splitting.
const VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Checks a response status given by a handler: a final status the writer can frame with Content-Length.
 *
 * @internal
 * @param status the status code
 */
export function assertStatus(status: number): void {
  if (!Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 304) {
    throw new RxloopError(
      ErrorCode.INVALID_ARGUMENT,
      `expected a response status from 200 to 599 other than 204 and 304, got ${String(status)}`,
    );
  }
}

/**
 * Checks a header value given by a handler, so that no CR or LF reaches the wire (response splitting).
 *
 * @internal
 * @param name the header name, for the message
 * @param value the value to check
 */
export function assertHeaderValue(name: string, value: string): void {
  if (!VALUE_RE.test(value)) {
    throw new RxloopError(
      ErrorCode.INVALID_ARGUMENT,
      `expected the value of header ${JSON.stringify(name)} without control characters (CR, LF, NUL), ` +
        `got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * Validates handler-supplied headers and formats them as header lines.
 *
 * @internal
 * @param headers name/value pairs; names may repeat
 * @returns the lines, each ending in CRLF
 */
export function formatHeaderLines(headers: ReadonlyArray<readonly [string, string]>): string {
  let lines = '';
  for (const [name, value] of headers) {
    if (!TOKEN_RE.test(name)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a header name made of token characters, got ${JSON.stringify(name)}`);
    }
    if (RESERVED.has(name.toLowerCase())) {
      throw new RxloopError(
        ErrorCode.INVALID_ARGUMENT,
        `expected a header the writer does not set itself, got ${JSON.stringify(name)} (the writer owns ` +
          'Content-Length, Transfer-Encoding, Connection, Date and Content-Type)',
      );
    }
    assertHeaderValue(name, value);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/**
 * Formats a response head. Every response rxloop writes uses this one layout, so prepared and dynamic responses
 * are byte-identical: status line, Date, Connection (when needed), Content-Type, Content-Length, extra lines,
 * blank line. The Date value is always 29 characters (IMF-fixdate), which lets prepared responses restamp it in
 * place.
 *
 * @internal
 * @param status the status code
 * @param date the IMF-fixdate value
 * @param connection the connection mode
 * @param contentType the Content-Type value
 * @param contentLength the body length in bytes (also for HEAD)
 * @param extraLines preformatted header lines from {@link formatHeaderLines}
 * @returns the head, ending in the blank line; latin1 text
 */
export function formatHead(
  status: number,
  date: string,
  connection: ConnectionMode,
  contentType: string,
  contentLength: number,
  extraLines: string,
): string {
  return (
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${date}\r\n${CONNECTION_LINES[connection]}` +
    `Content-Type: ${contentType}\r\nContent-Length: ${contentLength}\r\n${extraLines}\r\n`
  );
}
