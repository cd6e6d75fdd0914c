import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { firstValueFrom, filter, type Subscription } from 'rxjs';
import {
  ErrorCode,
  certificateStore,
  handshakeFailureReason,
  listen,
  type CertificateStore,
  type CertificateStoreEvent,
  type DiagnosticsMessages,
  type RxloopError,
} from '../../src/index.js';
import { matchServerName, serverNameProblem } from '../../src/tls/matchServerName.js';
import { certificateDir, writeCertificate } from '../support/certificateFiles.js';
import { until } from '../backends/node/until.js';

/** An echo server over the store's TLS options, on 127.0.0.1 port 0. */
function echoServer(store: CertificateStore): Promise<{ port: number; stop(): void }> {
  return new Promise((resolve, reject) => {
    const subscription: Subscription = listen({
      host: '127.0.0.1', port: 0, tls: store.tlsOptions(),
      onListening: (server) => resolve({ port: server.port!, stop: () => subscription.unsubscribe() }),
    }).subscribe({
      next: (connection) => connection.data$.subscribe({
        next: (chunk) => connection.write(chunk),
        // Answers a while after the client ended its side (a half-closed connection still takes writes); a client
        // that went away (a reset) has nobody to say goodbye to.
        complete: () => void setTimeout(() => {
          if (connection.isOpen && !connection.isOutputEnded) connection.write('bye');
          connection.close();
        }, 20),
        error: () => undefined,
      }),
      error: reject,
    });
  });
}

/** A TLS client that trusts anything (the test compares fingerprints itself), once its handshake is done. */
function client(port: number, options: { servername?: string; ALPNProtocols?: string[] } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function fingerprint(socket: TLSSocket): string {
  return socket.getPeerCertificate().fingerprint256;
}

/** Writes `text` and resolves with the echo. */
function echo(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (chunk: Buffer): void => {
      got += chunk.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData).once('error', reject);
    socket.write(text);
  });
}

async function fingerprintOf(port: number, servername?: string): Promise<string> {
  const socket = await client(port, servername === undefined ? {} : { servername });
  const seen = fingerprint(socket);
  socket.destroy();
  return seen;
}

test('SNI: exact names, wildcards for one label, and the default for no name or an unknown one; ALPN negotiated', async () => {
  const { dir, remove } = certificateDir();
  const fallback = writeCertificate(dir, 'default', ['localhost', '127.0.0.1']);
  const api = writeCertificate(dir, 'api', ['api.example.test']);
  const wildcard = writeCertificate(dir, 'wildcard', ['*.example.test']);
  const store = await certificateStore({
    cert: fallback.cert, key: fallback.key, watch: false, alpn: ['h2', 'http/1.1'],
    sni: [{ name: '*.example.test', ...wildcard }, { name: 'API.example.test', ...api }],
  });
  const server = await echoServer(store);
  try {
    assert.is(await fingerprintOf(server.port, 'api.example.test'), api.fingerprint256, 'exact name');
    assert.is(await fingerprintOf(server.port, 'Api.Example.Test'), api.fingerprint256, 'case-insensitive');
    assert.is(await fingerprintOf(server.port, 'www.example.test'), wildcard.fingerprint256, 'wildcard');
    assert.is(await fingerprintOf(server.port, 'a.b.example.test'), fallback.fingerprint256, 'a wildcard covers one label');
    assert.is(await fingerprintOf(server.port, 'example.test'), fallback.fingerprint256, 'nor the bare domain');
    assert.is(await fingerprintOf(server.port, 'unknown.invalid'), fallback.fingerprint256, 'unknown name: default');
    assert.is(await fingerprintOf(server.port), fallback.fingerprint256, 'no name (an IP address): default');
    const h1 = await client(server.port, { servername: 'www.example.test', ALPNProtocols: ['http/1.1'] });
    assert.is(h1.alpnProtocol, 'http/1.1');
    assert.is(await echo(h1, 'ping'), 'ping');
    h1.destroy();
    const h2 = await client(server.port, { ALPNProtocols: ['h2', 'http/1.1'] });
    assert.is(h2.alpnProtocol, 'h2', "the client's first choice that the server offers");
    h2.destroy();
    assert.equal(store.certificates.map((c) => c.name), [undefined, '*.example.test', 'api.example.test']);
    assert.is(store.certificates[2]!.subject, 'CN=api.example.test');
  } finally {
    server.stop();
    store.close();
    remove();
  }
});

test('reload on file change: new handshakes get the new certificate, an open connection keeps working', async () => {
  const { dir, remove } = certificateDir();
  const first = writeCertificate(dir, 'server', ['localhost']);
  const named = writeCertificate(dir, 'named', ['named.example.test']);
  const store = await certificateStore({ cert: first.cert, key: first.key, debounce: 20, sni: [{ name: 'named.example.test', ...named }] });
  const server = await echoServer(store);
  const events: CertificateStoreEvent[] = [];
  store.events$.subscribe((event) => events.push(event));
  try {
    const before = await client(server.port);
    assert.is(fingerprint(before), first.fingerprint256);
    const beforeNamed = await client(server.port, { servername: 'named.example.test' });

    const second = writeCertificate(dir, 'server', ['localhost']); // both files replaced by renames
    const namedAgain = writeCertificate(dir, 'named', ['named.example.test']);
    await until(() => events.length >= 1 && store.certificates[1]!.fingerprint256 === namedAgain.fingerprint256, 'the watcher to reload both');
    assert.is(events[0]!.type, 'reloaded');
    assert.is(await fingerprintOf(server.port), second.fingerprint256, 'no SNI: the server default was swapped');
    assert.is(await fingerprintOf(server.port, 'named.example.test'), namedAgain.fingerprint256, 'SNI name: its new certificate');
    assert.is(await echo(before, 'still here'), 'still here', 'a connection opened before is untouched');
    assert.is(fingerprint(before), first.fingerprint256);
    assert.is(await echo(beforeNamed, 'me too'), 'me too');
    before.destroy();
    beforeNamed.destroy();
  } finally {
    server.stop();
    store.close();
    remove();
  }
});

test('a bad new file keeps the certificate in use and is reported as ERR_TLS_CERTIFICATE; a good one is taken again', async () => {
  const { dir, remove } = certificateDir();
  const good = writeCertificate(dir, 'server', ['localhost']);
  const other = writeCertificate(dir, 'other', ['localhost']);
  const store = await certificateStore({ cert: good.cert, key: good.key, debounce: 20 });
  const server = await echoServer(store);
  try {
    const failed = firstValueFrom(store.events$.pipe(filter((e) => e.type === 'reload-failed')));
    writeFileSync(`${good.cert}.tmp`, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    renameSync(`${good.cert}.tmp`, good.cert);
    const event = await failed;
    assert.is(event.type === 'reload-failed' && event.error.code, ErrorCode.TLS_CERTIFICATE);
    assert.is(await fingerprintOf(server.port), good.fingerprint256, 'still the old certificate');

    // A certificate whose key is another's: the pair is refused as a whole.
    copyFileSync(other.cert, good.cert);
    const mismatch = await store.reload().then(() => undefined, (error: RxloopError) => error);
    assert.is(mismatch?.code, ErrorCode.TLS_CERTIFICATE);
    assert.match(mismatch!.message, /matching private key/);
    assert.is(await fingerprintOf(server.port), good.fingerprint256);

    copyFileSync(other.key, good.key);
    assert.is(await store.reload(), true, 'cert and key of one pair again');
    assert.is(await fingerprintOf(server.port), other.fingerprint256);
    assert.is(await store.reload(), false, 'unchanged files: nothing to do');
  } finally {
    server.stop();
    store.close();
    remove();
  }
});

test('reloads asked for while one runs are coalesced and see the latest files', async () => {
  const { dir, remove } = certificateDir();
  const first = writeCertificate(dir, 'server', ['localhost']);
  const store = await certificateStore({ cert: first.cert, key: first.key, watch: false });
  try {
    const latest = writeCertificate(dir, 'server', ['localhost']);
    const results = await Promise.all([store.reload(), store.reload(), store.reload()]);
    assert.is(results[0], true);
    assert.is(results[1], results[2], 'the second and third share one run');
    assert.is(store.certificates[0]!.fingerprint256, latest.fingerprint256);
  } finally {
    store.close();
    remove();
  }
});

test('certificateStore refuses missing files (ERR_TLS_CERTIFICATE) and malformed options (ERR_INVALID_ARGUMENT)', async () => {
  const { dir, remove } = certificateDir();
  const good = writeCertificate(dir, 'server', ['localhost']);
  try {
    const missing = await certificateStore({ cert: join(dir, 'nope.crt'), key: good.key }).catch((error: RxloopError) => error);
    assert.is((missing as RxloopError).code, ErrorCode.TLS_CERTIFICATE);
    assert.is((missing as RxloopError).errno, 'ENOENT');
    assert.match((missing as RxloopError).message, /nope\.crt/);
    for (const sni of [[{ name: 'bad name', ...good }], [{ name: '*.test', ...good }], [{ name: 'a.test', ...good }, { name: 'A.test', ...good }]]) {
      const error = await certificateStore({ ...good, sni }).catch((e: RxloopError) => e);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(sni[0]!.name));
    }
    const alpn = await certificateStore({ ...good, alpn: [''] }).catch((e: RxloopError) => e);
    assert.is((alpn as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    const timeout = await certificateStore({ ...good, handshakeTimeout: 0 }).catch((e: RxloopError) => e);
    assert.is((timeout as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  } finally {
    remove();
  }
});

test('a stalled client and one sending garbage each cost their own connection, reported with a reason; others are served', async () => {
  const { dir, remove } = certificateDir();
  const good = writeCertificate(dir, 'server', ['localhost']);
  const store = await certificateStore({ ...good, watch: false, handshakeTimeout: 200 });
  const server = await echoServer(store);
  const failures: DiagnosticsMessages['rxloop:tls:handshake-error'][] = [];
  let handshakes = 0;
  const onFailure = (message: unknown): void => void failures.push(message as DiagnosticsMessages['rxloop:tls:handshake-error']);
  const onHandshake = (): void => void handshakes++;
  subscribe('rxloop:tls:handshake-error', onFailure);
  subscribe('rxloop:tls:handshake', onHandshake);
  try {
    const stalled = netConnect({ host: '127.0.0.1', port: server.port });
    let stalledClosed = false;
    stalled.on('error', () => undefined).on('close', () => (stalledClosed = true));
    const garbage = netConnect({ host: '127.0.0.1', port: server.port }, () => garbage.write(Buffer.alloc(64, 0xee)));
    let garbageClosed = false;
    garbage.on('error', () => undefined).on('close', () => (garbageClosed = true));
    const plain = netConnect({ host: '127.0.0.1', port: server.port }, () => plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    plain.on('error', () => undefined);

    const good1 = await client(server.port);
    assert.is(await echo(good1, 'served while others stall'), 'served while others stall');
    await until(() => garbageClosed, 'the garbage client to be closed');
    await until(() => stalledClosed, 'the stalled client to be closed after the handshake timeout');
    assert.is(await echo(good1, 'still served'), 'still served');
    good1.destroy();
    await until(() => failures.length >= 3, 'three handshake failures');
    const reasons = failures.map((f) => handshakeFailureReason(f.error)).sort();
    assert.equal(reasons, ['plaintext', 'protocol', 'timeout']);
    assert.ok(failures.every((f) => f.remoteAddress?.kind === 'inet'), 'with the client address');
    const timeout = failures.find((f) => f.error.code === ErrorCode.TIMEOUT);
    assert.ok(timeout !== undefined, 'the stall is ERR_TIMEOUT');
    assert.is(handshakes, 1);
    plain.destroy();
  } finally {
    unsubscribe('rxloop:tls:handshake-error', onFailure);
    unsubscribe('rxloop:tls:handshake', onHandshake);
    server.stop();
    store.close();
    remove();
  }
});

test('half-close: a client that ends its side before its handshake is closed at once; after it, the server may still answer', async () => {
  const { dir, remove } = certificateDir();
  const good = writeCertificate(dir, 'server', ['localhost']);
  // A timeout far beyond the wait below: only the early close can pass.
  const store = await certificateStore({ ...good, watch: false, handshakeTimeout: 600_000 });
  const server = await echoServer(store);
  const failures: RxloopError[] = [];
  const onFailure = (message: unknown): void => void failures.push((message as DiagnosticsMessages['rxloop:tls:handshake-error']).error);
  subscribe('rxloop:tls:handshake-error', onFailure);
  try {
    const probe = netConnect({ host: '127.0.0.1', port: server.port }, () => probe.end());
    let probeClosed = false;
    probe.on('error', () => undefined).on('close', () => (probeClosed = true)).resume();
    await until(() => probeClosed, 'a TCP probe that never starts a handshake to be closed');
    await until(() => failures.length === 1, 'its failure to be reported');
    assert.is(handshakeFailureReason(failures[0]!), 'reset');

    const socket = await client(server.port);
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    const closed = new Promise((done) => socket.on('close', done));
    socket.end('last words');
    await closed;
    assert.is(got, 'last wordsbye', 'the answer written after the client ended its side arrives');
  } finally {
    unsubscribe('rxloop:tls:handshake-error', onFailure);
    server.stop();
    store.close();
    remove();
  }
});

test('matchServerName and serverNameProblem', () => {
  const names = new Map([['*.example.com', 'wild'], ['api.example.com', 'api']]);
  assert.is(matchServerName(names, 'api.example.com.'), 'api', 'a trailing dot is the same name');
  assert.is(matchServerName(names, 'x.example.com'), 'wild');
  assert.is(matchServerName(names, '.example.com'), undefined);
  assert.is(matchServerName(new Map(), 'x.example.com'), undefined);
  assert.is(serverNameProblem('api.example.com'), undefined);
  assert.is(serverNameProblem('*.example.com'), undefined);
  for (const bad of ['*', '*.com', 'a.*.com', '-a.com', '', 'a..b', 42]) assert.type(serverNameProblem(bad), 'string', String(bad));
});

test.run();
