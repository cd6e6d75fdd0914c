import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { channel } from 'node:diagnostics_channel';
import { ErrorCode, RxloopError, type Connection } from '../../src/index.js';
import { ProcessMetrics } from '../../src/diagnostics/ProcessMetrics.js';
import { DurationHistogram } from '../../src/diagnostics/DurationHistogram.js';

test('counts what the rxloop:* channels report, per reactor where a reactor is named', async () => {
  const metrics = new ProcessMetrics();
  const connection = { demand: { readers: 1, reading: false }, isInputEnded: false, isOpen: true, writableLength: 10 };
  const fake = connection as unknown as Connection;
  channel('rxloop:handler:start').publish({ reactor: 'r1', connection: fake });
  channel('rxloop:handler:error').publish({ reactor: 'r1', connection: fake, code: 'ERR_TIMEOUT', message: 'slow' });
  channel('rxloop:handler:error').publish({ reactor: 'r1', connection: fake, code: 'ERR_TIMEOUT', message: 'slow' });
  await new Promise((resolve) => setTimeout(resolve, 5));
  channel('rxloop:connection:close').publish({ connection: fake, error: undefined });
  channel('rxloop:connection:close').publish({ connection: fake, error: undefined }); // once only
  channel('rxloop:server:reject').publish({ reason: 'draining' });
  channel('rxloop:server:accept-error').publish({ error: new RxloopError(ErrorCode.TOO_MANY_OPEN_FILES, 'EMFILE') });
  channel('rxloop:tls:handshake-error').publish({ error: new RxloopError(ErrorCode.TIMEOUT, 'slow'), remoteAddress: undefined });
  channel('rxloop:tls:handshake-error').publish({ error: { code: 'SOMETHING_ELSE' }, remoteAddress: undefined });
  channel('rxloop:tls:handshake-error').publish({ error: new RxloopError(ErrorCode.TLS, 'http request', { errno: 'ERR_SSL_HTTP_REQUEST' }), remoteAddress: undefined });
  channel('rxloop:tls:handshake').publish({ remoteAddress: undefined });
  channel('rxloop:proxy:header').publish({ connection: fake, version: 2, command: 'local' });
  channel('rxloop:proxy:reject').publish({ connection: fake, error: new RxloopError(ErrorCode.PROXY_PROTOCOL, 'no') });
  const r1 = metrics.reactor('r1', [fake]);
  assert.equal(r1.handlerErrors, { ERR_TIMEOUT: 2 });
  assert.is(r1.connectionDuration.count, 1);
  assert.ok(r1.connectionDuration.sum > 0);
  assert.is(r1.pausedConnections, 1);
  assert.is(r1.writeBacklogBytes, 10);
  assert.ok(r1.rejectedConnections >= 1 && r1.acceptErrors >= 1);
  assert.ok((r1.tlsHandshakeFailures['ERR_TIMEOUT'] ?? 0) >= 1 && (r1.tlsHandshakeFailures['ERR_TLS'] ?? 0) >= 1, 'unknown codes fold into ERR_TLS');
  assert.ok((r1.tlsHandshakeFailureReasons.timeout ?? 0) >= 1 && (r1.tlsHandshakeFailureReasons.plaintext ?? 0) >= 1, 'by reason too');
  assert.ok((r1.tlsHandshakeFailureReasons.other ?? 0) >= 1, 'what is not recognised is other');
  assert.ok(r1.tlsHandshakes >= 1);
  assert.ok(r1.proxyHeaders.local >= 1 && r1.proxyHeaders.rejected >= 1);
  assert.ok(r1.eventLoop.utilization >= 0 && r1.eventLoop.utilization <= 1);
  assert.equal(metrics.reactor('r2', []).handlerErrors, {}, 'another reactor has its own counts');
});

test('DurationHistogram: values land in the first bucket whose bound holds them', () => {
  const h = new DurationHistogram([1, 2]);
  for (const value of [0.5, 1, 1.5, 3, 99]) h.record(value);
  assert.equal(h.snapshot(), { bounds: [1, 2], counts: [2, 1, 2], sum: 105, count: 5 });
});

test.run();
