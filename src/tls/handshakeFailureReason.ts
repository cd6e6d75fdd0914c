import { ErrorCode, type RxloopError } from '../errors.js';

/**
 * Why a TLS handshake with a client failed, in a few words a dashboard can group by (a bounded set, fit for a
 * metric label):
 *
 * - `timeout`: the client did not finish in time (it stalled, or sent nothing);
 * - `plaintext`: it spoke plain HTTP to the TLS port;
 * - `protocol`: what it sent was not TLS, or a TLS version or record the server refuses;
 * - `negotiation`: no protocol version, cipher, group or ALPN protocol in common;
 * - `certificate`: the client refused the server's certificate (unknown CA, expired, wrong name);
 * - `reset`: the client went away in the middle;
 * - `other`: anything else.
 *
 * ## Example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { handshakeFailureReason, type DiagnosticsMessages } from 'rxloop';
 *
 * subscribe('rxloop:tls:handshake-error', (message) => {
 *   const { error } = message as DiagnosticsMessages['rxloop:tls:handshake-error'];
 *   console.warn('TLS handshake failed:', handshakeFailureReason(error)); // 'timeout', 'plaintext', ...
 * });
 * ```
 */
export type HandshakeFailureReason = 'timeout' | 'plaintext' | 'protocol' | 'negotiation' | 'certificate' | 'reset' | 'other';

const negotiation = /NO_SHARED_CIPHER|NO_APPLICATION_PROTOCOL|NO_PROTOCOLS_AVAILABLE|NO_SHARED_GROUP|NO_SUITABLE|PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|INAPPROPRIATE_FALLBACK|HANDSHAKE_FAILURE|INSUFFICIENT_SECURITY/;
const certificate = /UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_|CERT_|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|DECRYPT_ERROR/;

/**
 * Sorts a failed handshake into a {@link HandshakeFailureReason}, from the error's code and Node's (OpenSSL's)
 * error name in `errno`.
 *
 * ## Example
 * ```ts
 * import { ErrorCode, RxloopError, handshakeFailureReason } from 'rxloop';
 *
 * const error = new RxloopError(ErrorCode.TLS, 'TLS handshake failed: http request', { errno: 'ERR_SSL_HTTP_REQUEST' });
 * console.log(handshakeFailureReason(error)); // 'plaintext'
 * ```
 *
 * @param error the error of a `rxloop:tls:handshake-error` message
 * @returns the reason
 */
export function handshakeFailureReason(error: RxloopError): HandshakeFailureReason {
  if (error.code === ErrorCode.TIMEOUT) return 'timeout';
  if (error.code === ErrorCode.CONNECTION_RESET) return 'reset';
  const name = error.errno ?? '';
  if (!name.startsWith('ERR_SSL_')) return /socket hang up/i.test(error.message) ? 'reset' : 'other';
  if (/HTTP_REQUEST|HTTPS_PROXY_REQUEST/.test(name)) return 'plaintext';
  // An alert the client sent names its reason; test these before the generic version and record errors below.
  if (name.includes('ALERT')) {
    if (certificate.test(name)) return 'certificate';
    if (negotiation.test(name)) return 'negotiation';
    return 'other';
  }
  if (negotiation.test(name)) return 'negotiation';
  if (/WRONG_VERSION|UNKNOWN_PROTOCOL|VERSION_TOO_LOW|RECORD|PACKET_LENGTH|LENGTH_MISMATCH|UNEXPECTED_MESSAGE|BAD_PACKET|UNEXPECTED_RECORD|DECODE_ERROR|BAD_EXTENSION|PARSE|TOO_LONG/.test(name)) return 'protocol';
  return 'other';
}

/**
 * The error code a {@link HandshakeFailureReason} is reported under (the `error_type` label of
 * `rxloop_tls_handshake_failures_total`).
 *
 * @internal
 */
export function handshakeFailureCode(reason: HandshakeFailureReason): ErrorCode {
  if (reason === 'timeout') return ErrorCode.TIMEOUT;
  if (reason === 'reset') return ErrorCode.CONNECTION_RESET;
  return ErrorCode.TLS;
}
