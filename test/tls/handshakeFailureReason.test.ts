import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tlsConnect, type ConnectionOptions, type TlsOptions } from 'node:tls';
import {
  ErrorCode,
  RxloopError,
  handshakeFailureReason,
  listen,
  type DiagnosticsMessages,
  type HandshakeFailureReason,
  type SocketAddress,
} from '../../src/index.js';
import { handshakeFailureCode } from '../../src/tls/handshakeFailureReason.js';
import { selfSignedCertificate } from '../support/tlsCertificate.js';
import { within } from '../support/spawned.js';

const tls = (errno: string, message = `TLS handshake failed: ${errno}`): RxloopError => new RxloopError(ErrorCode.TLS, message, { errno });

test('the TSDoc example: plain HTTP on the TLS port is plaintext', () => {
  const error = new RxloopError(ErrorCode.TLS, 'TLS handshake failed: http request', { errno: 'ERR_SSL_HTTP_REQUEST' });
  assert.is(handshakeFailureReason(error), 'plaintext');
});

test('each OpenSSL error name sorts into its reason; the code decides first for timeouts and resets', () => {
  const cases: [RxloopError, HandshakeFailureReason][] = [
    [new RxloopError(ErrorCode.TIMEOUT, 'TLS handshake: not done within 10000 ms', { errno: 'ERR_SSL_HTTP_REQUEST' }), 'timeout'],
    [new RxloopError(ErrorCode.CONNECTION_RESET, 'TLS handshake failed: read ECONNRESET', { errno: 'ECONNRESET' }), 'reset'],
    [new RxloopError(ErrorCode.TLS, 'Client network socket disconnected: socket hang up'), 'reset'],
    [tls('ERR_SSL_HTTPS_PROXY_REQUEST'), 'plaintext'],
    [tls('ERR_SSL_WRONG_VERSION_NUMBER'), 'protocol'],
    [tls('ERR_SSL_UNKNOWN_PROTOCOL'), 'protocol'],
    [tls('ERR_SSL_PACKET_LENGTH_TOO_LONG'), 'protocol'],
    [tls('ERR_SSL_UNEXPECTED_MESSAGE'), 'protocol'],
    [tls('ERR_SSL_NO_SHARED_CIPHER'), 'negotiation'],
    [tls('ERR_SSL_UNSUPPORTED_PROTOCOL'), 'negotiation'],
    [tls('ERR_SSL_NO_APPLICATION_PROTOCOL'), 'negotiation'],
    [tls('ERR_SSL_VERSION_TOO_LOW'), 'protocol'],
    // An alert the client sent names its own reason, before the generic version and record rules.
    [tls('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'certificate'],
    [tls('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), 'certificate'],
    [tls('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'), 'certificate'],
    [tls('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), 'negotiation'],
    [tls('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL'), 'negotiation'],
    [tls('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), 'negotiation'],
    [tls('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR'), 'other'],
    [tls('ERR_SSL_SOMETHING_NEW'), 'other'],
    [tls('EPROTO'), 'other'],
    [new RxloopError(ErrorCode.TLS, 'no errno at all'), 'other'],
  ];
  for (const [error, reason] of cases) assert.is(handshakeFailureReason(error), reason, `${error.code} ${error.errno ?? '-'}`);
});

test('handshakeFailureCode: the error_type label each reason is counted under', () => {
  const reasons: HandshakeFailureReason[] = ['timeout', 'plaintext', 'protocol', 'negotiation', 'certificate', 'reset', 'other'];
  assert.equal(reasons.map(handshakeFailureCode), [
    ErrorCode.TIMEOUT, ErrorCode.TLS, ErrorCode.TLS, ErrorCode.TLS, ErrorCode.TLS, ErrorCode.CONNECTION_RESET, ErrorCode.TLS,
  ]);
});

/** A client that fails its handshake: Node's TLS client with these options, or `openssl s_client` with these arguments. */
type FailingClient = { readonly node: ConnectionOptions } | { readonly openssl: readonly string[] };

/** Starts a TLS listener on loopback, has one client fail its handshake, and resolves with what was reported. */
async function reasonFor(server: TlsOptions, client: FailingClient): Promise<{
  reason: HandshakeFailureReason;
  error: RxloopError;
  remoteAddress: SocketAddress | undefined;
}> {
  const failures: DiagnosticsMessages['rxloop:tls:handshake-error'][] = [];
  let heard!: () => void;
  const reported = new Promise<void>((resolve) => (heard = resolve));
  const onFailure = (message: unknown): void => {
    failures.push(message as DiagnosticsMessages['rxloop:tls:handshake-error']);
    heard();
  };
  subscribe('rxloop:tls:handshake-error', onFailure);
  let stop = (): void => undefined;
  let child: ChildProcess | undefined;
  try {
    const port = await within(5000, 'the TLS listener', new Promise<number>((resolve, reject) => {
      const subscription = listen({ host: '127.0.0.1', port: 0, tls: server, onListening: (info) => resolve(info.port!) })
        .subscribe({ next: () => assert.unreachable('a handshake completed'), error: reject });
      stop = () => subscription.unsubscribe();
    }));
    if ('node' in client) {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...client.node });
      socket.once('error', () => undefined);
      socket.once('secureConnect', () => socket.destroy());
    } else {
      child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...client.openssl], { stdio: 'pipe' });
      child.once('error', (error) => assert.unreachable(`openssl s_client: ${error.message}`));
    }
    await within(5000, 'the handshake error on the diagnostics channel', reported);
    assert.is(failures.length, 1);
    const { error, remoteAddress } = failures[0]!;
    return { reason: handshakeFailureReason(error), error, remoteAddress };
  } finally {
    unsubscribe('rxloop:tls:handshake-error', onFailure);
    child?.kill();
    stop();
  }
}

const certificate = selfSignedCertificate();
const fromLoopback = (address: SocketAddress | undefined): boolean => address?.kind === 'inet' && address.address === '127.0.0.1';

test('a real client that refuses the server certificate with an alert (unknown CA): certificate', async () => {
  // openssl checks the chain against its default CAs, so the self-signed certificate is an unknown CA.
  const { reason, error, remoteAddress } = await reasonFor(certificate, { openssl: ['-verify_return_error'] });
  assert.is(error.code, ErrorCode.TLS);
  assert.is(error.errno, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  assert.is(reason, 'certificate', `${error.errno}: ${error.message}`);
  assert.ok(fromLoopback(remoteAddress), `with the client address, got ${JSON.stringify(remoteAddress)}`);
});

test('real clients with no ALPN protocol or no TLS version in common: negotiation', async () => {
  const clients: [string, TlsOptions, FailingClient][] = [
    ['ALPN', { ...certificate, ALPNProtocols: ['h2'] }, { node: { ALPNProtocols: ['resp3'], rejectUnauthorized: false } }],
    ['version', { ...certificate, minVersion: 'TLSv1.3' }, { node: { maxVersion: 'TLSv1.2', rejectUnauthorized: false } }],
  ];
  for (const [what, server, client] of clients) {
    const { reason, error, remoteAddress } = await reasonFor(server, client);
    assert.is(error.code, ErrorCode.TLS, what);
    assert.is(reason, 'negotiation', `${what}: ${error.errno}: ${error.message}`);
    assert.ok(fromLoopback(remoteAddress), `${what}: with the client address, got ${JSON.stringify(remoteAddress)}`);
  }
});

test.run();
