import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { certificateDir, writeCertificate } from '../support/certificateFiles.js';
import { httpGet } from '../support/httpGet.js';
import { until } from '../backends/node/until.js';

// `rxloop serve http --tls-cert ...` end to end: real curl and openssl s_client against the CLI, certificates made
// by the test, reloads by file change and by SIGHUP, and handshake failures counted on --admin's /metrics.

const cli = join(resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..'), 'bin', 'rxloop.js');
const cleanups: (() => void)[] = [];

test.after.each(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Serving {
  readonly child: ChildProcess;
  readonly port: number;
  readonly admin: number | undefined;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

function launch(args: readonly string[]): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, out, exited };
}

async function serveTls(args: readonly string[]): Promise<Serving> {
  const { child, out, exited } = launch(['http', '--port', '0', ...args]);
  const wantsAdmin = args.includes('--admin');
  await until(() => /listening on .*TLS\)/.test(out.stdout) && (!wantsAdmin || /admin on http/.test(out.stdout)) || child.exitCode !== null,
    'the server to listen', 15_000);
  if (child.exitCode !== null) assert.unreachable(`the CLI exited (${child.exitCode}): ${out.stderr}`);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out.stdout)![1]);
  const admin = wantsAdmin ? Number(/admin on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out.stdout)![1]) : undefined;
  return { child, port, admin, stdout: () => out.stdout, stderr: () => out.stderr, exited };
}

function runTool(file: string, args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        fail(new Error(`the TLS CLI tests need ${file} on PATH (apt-get install ${file})`));
        return;
      }
      done({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

/** A TLS client that trusts anything (the tests compare fingerprints), resolved once its handshake is done. */
function tlsClient(port: number, options: { servername?: string; ALPNProtocols?: string[] } = {}): Promise<TLSSocket> {
  return new Promise((done, fail) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => done(socket));
    socket.once('error', fail);
    cleanups.push(() => socket.destroy());
  });
}

/** One HTTP/1.1 request on a kept-alive TLS connection, resolved with the response once its body arrived. */
function request(socket: TLSSocket): Promise<string> {
  return new Promise((done, fail) => {
    let got = '';
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('latin1');
      const head = got.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(got);
      if (head >= 0 && length !== null && got.length >= head + 4 + Number(length[1])) {
        socket.off('data', onData);
        done(got);
      }
    };
    socket.on('data', onData).once('error', fail);
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

async function fingerprintOf(port: number, servername?: string): Promise<string> {
  const socket = await tlsClient(port, servername === undefined ? {} : { servername });
  const fingerprint = socket.getPeerCertificate().fingerprint256;
  socket.destroy();
  return fingerprint;
}

test('serve http --tls-cert/--tls-key answers curl --cacert, under the single and the pooled reactor', async () => {
  const { dir, remove } = certificateDir();
  cleanups.push(remove);
  const cert = writeCertificate(dir, 'server', ['localhost', '127.0.0.1']);
  for (const scheduler of ['single', 'pooled']) {
    const server = await serveTls(['--tls-cert', cert.cert, '--tls-key', cert.key, '--scheduler', scheduler, ...(scheduler === 'pooled' ? ['--workers', '1'] : [])]);
    const curl = await runTool('curl', ['-sS', '--cacert', cert.cert, '-w', '\n%{http_code} %{ssl_verify_result}', `https://127.0.0.1:${server.port}/`]);
    assert.is(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /\n200 0$/, `${scheduler}: verified and answered`);
    const byName = await runTool('curl', ['-sS', '--cacert', cert.cert, '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `localhost:${server.port}:127.0.0.1`, `https://localhost:${server.port}/`]);
    assert.is(byName.stdout, '200', byName.stderr);
    const plain = await runTool('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${server.port}/`]);
    assert.is.not(plain.code, 0, 'plain HTTP gets no answer from the TLS port');
    assert.match(server.stdout(), /rxloop: TLS default CN=localhost until .* sha256 [0-9A-F:]{95}/);
    server.child.kill('SIGTERM');
    assert.is(await server.exited, 0, server.stderr());
  }
});

test('--tls-sni: each name gets its certificate (openssl s_client -servername, node:tls), others the default; --alpn negotiated', async () => {
  const { dir, remove } = certificateDir();
  cleanups.push(remove);
  const fallback = writeCertificate(dir, 'default', ['localhost', '127.0.0.1']);
  const api = writeCertificate(dir, 'api', ['api.example.test']);
  const wild = writeCertificate(dir, 'wild', ['*.apps.example.test']);
  const server = await serveTls([
    '--tls-cert', fallback.cert, '--tls-key', fallback.key,
    '--tls-sni', `api.example.test=${api.cert},${api.key}`,
    '--tls-sni', `*.apps.example.test=${wild.cert},${wild.key}`,
    '--alpn', 'h2,http/1.1',
  ]);
  const sClient = async (servername: string): Promise<{ fingerprint: string; alpn: string }> => {
    const result = await runTool('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', servername, '-alpn', 'http/1.1'], 'Q\n');
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(result.stdout);
    assert.ok(pem !== null, `s_client printed the certificate: ${result.stderr}`);
    return { fingerprint: new X509Certificate(pem[0]).fingerprint256, alpn: /ALPN protocol: (\S+)/.exec(result.stdout)?.[1] ?? 'none' };
  };
  assert.equal(await sClient('api.example.test'), { fingerprint: api.fingerprint256, alpn: 'http/1.1' });
  assert.equal(await sClient('x.apps.example.test'), { fingerprint: wild.fingerprint256, alpn: 'http/1.1' });
  assert.is((await sClient('other.example.test')).fingerprint, fallback.fingerprint256);
  assert.is(await fingerprintOf(server.port, 'api.example.test'), api.fingerprint256);
  assert.is(await fingerprintOf(server.port), fallback.fingerprint256, 'no SNI: the default');
  const h2First = await tlsClient(server.port, { ALPNProtocols: ['h2', 'http/1.1'] });
  assert.is(h2First.alpnProtocol, 'h2');
  const http11 = await tlsClient(server.port, { servername: 'api.example.test', ALPNProtocols: ['http/1.1'] });
  assert.is(http11.alpnProtocol, 'http/1.1');
  assert.match(await request(http11), /^HTTP\/1\.1 200/);
});

test('reload on file change: a new connection sees the new certificate, one opened before still works', async () => {
  const { dir, remove } = certificateDir();
  cleanups.push(remove);
  const first = writeCertificate(dir, 'server', ['localhost']);
  const server = await serveTls(['--tls-cert', first.cert, '--tls-key', first.key]);
  const before = await tlsClient(server.port);
  assert.match(await request(before), /^HTTP\/1\.1 200/);
  const second = writeCertificate(dir, 'server', ['localhost']);
  await until(() => /TLS certificates reloaded/.test(server.stdout()), 'the reload message', 10_000);
  assert.ok(server.stdout().includes(second.fingerprint256), 'the new fingerprint is printed');
  assert.is(await fingerprintOf(server.port), second.fingerprint256);
  assert.match(await request(before), /^HTTP\/1\.1 200/, 'the connection opened before is untouched');
  assert.is(before.getPeerCertificate().fingerprint256, first.fingerprint256);
  // A broken file keeps the certificate in use (and says so).
  writeFileSync(second.key, 'not a key\n');
  await until(() => /TLS reload failed \(ERR_TLS_CERTIFICATE\), still serving the previous certificates/.test(server.stderr()), 'the failure message', 10_000);
  assert.is(await fingerprintOf(server.port), second.fingerprint256);
});

test('SIGHUP reloads (files changed behind a symlink, where no watch sees them); a bad file keeps the old certificate', async () => {
  const { dir, remove } = certificateDir();
  cleanups.push(remove);
  // certbot's layout: live/ holds symlinks into archive/. Changing archive/ in place changes nothing in live/.
  mkdirSync(join(dir, 'archive'));
  mkdirSync(join(dir, 'live'));
  const first = writeCertificate(join(dir, 'archive'), 'server', ['localhost']);
  symlinkSync(first.cert, join(dir, 'live', 'server.crt'));
  symlinkSync(first.key, join(dir, 'live', 'server.key'));
  const server = await serveTls(['--tls-cert', join(dir, 'live', 'server.crt'), '--tls-key', join(dir, 'live', 'server.key')]);
  assert.is(await fingerprintOf(server.port), first.fingerprint256);

  writeFileSync(first.cert, 'garbage\n');
  server.child.kill('SIGHUP');
  await until(() => /TLS reload failed \(ERR_TLS_CERTIFICATE\)/.test(server.stderr()), 'the failed reload', 10_000);
  assert.is(await fingerprintOf(server.port), first.fingerprint256, 'still the old certificate');

  const second = writeCertificate(join(dir, 'archive'), 'server', ['localhost']);
  server.child.kill('SIGHUP');
  await until(() => /TLS certificates reloaded/.test(server.stdout()), 'the reload', 10_000);
  assert.is(await fingerprintOf(server.port), second.fingerprint256);
  server.child.kill('SIGHUP');
  await until(() => /SIGHUP, TLS certificate files unchanged/.test(server.stdout()), 'the no-op reload', 10_000);
  assert.is(server.child.exitCode, null, 'SIGHUP does not end the server');
  server.child.kill('SIGTERM');
  assert.is(await server.exited, 0);
});

test('a stalled handshake is closed after --tls-handshake-timeout while a good client is served; failures are on /metrics', async () => {
  const { dir, remove } = certificateDir();
  cleanups.push(remove);
  const cert = writeCertificate(dir, 'server', ['localhost']);
  const server = await serveTls(['--tls-cert', cert.cert, '--tls-key', cert.key, '--tls-handshake-timeout', '300', '--admin', '127.0.0.1:0']);
  const raw = (): { socket: Socket; closed: () => boolean } => {
    const socket = netConnect({ host: '127.0.0.1', port: server.port });
    let closed = false;
    // Reading, so that the server's alert does not hold back the end of input behind it.
    socket.on('error', () => undefined).on('close', () => (closed = true)).resume();
    cleanups.push(() => socket.destroy());
    return { socket, closed: () => closed };
  };
  const stalled = raw();
  const garbage = raw();
  garbage.socket.write(Buffer.from('\x16\x03\x01\xff\xff not really TLS at all', 'latin1'));
  const good = await tlsClient(server.port);
  assert.match(await request(good), /^HTTP\/1\.1 200/, 'served while another client stalls');
  await until(stalled.closed, 'the stalled client to be closed', 5000);
  await until(garbage.closed, 'the garbage client to be closed', 10_000);
  assert.match(await request(good), /^HTTP\/1\.1 200/, 'and still served');
  const metrics = async (): Promise<string> => (await httpGet(server.admin!, '/metrics')).body;
  // The stats reach /metrics once a second; the guard only turns a hang into a failure.
  let text = '';
  const guard = Date.now() + 10_000;
  while (!(/reason="timeout"\} 1/.test(text) && /reason="protocol"\} 1/.test(text)) && Date.now() < guard) {
    text = await metrics();
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(text, /^rxloop_tls_handshake_failures_total\{reactor="main",error_type="ERR_TIMEOUT",reason="timeout"\} 1$/m);
  assert.match(text, /^rxloop_tls_handshake_failures_total\{reactor="main",error_type="ERR_TLS",reason="protocol"\} 1$/m);
  assert.match(text, /^rxloop_tls_handshakes_total\{reactor="main"\} 1$/m);
});

test('a missing or bad certificate file at start: exit status 1 and a message that names the file', async () => {
  const { dir, remove } = certificateDir();
  cleanups.push(remove);
  const cert = writeCertificate(dir, 'server', ['localhost']);
  const other = writeCertificate(dir, 'other', ['localhost']);
  for (const [certFile, keyFile, pattern] of [
    [join(dir, 'missing.crt'), cert.key, /missing\.crt, got ENOENT/],
    [cert.cert, other.key, /matching private key/],
  ] as const) {
    const { out, exited } = launch(['http', '--port', '0', '--tls-cert', certFile, '--tls-key', keyFile]);
    assert.is(await exited, 1);
    assert.match(out.stderr, pattern);
  }
});

test.run();
