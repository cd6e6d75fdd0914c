import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseServeArgs } from '../../bin/parseServeArgs.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';

test('defaults: host 127.0.0.1, the example\'s port, the single reactor, a 5 s deadline', () => {
  const ports = { resp: 6380, http: 8080, echo: 7000 } as const;
  for (const [example, port] of Object.entries(ports)) {
    assert.equal(parseServeArgs([example], {}), {
      help: false,
      example,
      module: undefined,
      host: '127.0.0.1',
      port,
      scheduler: 'single',
      workers: undefined,
      reactors: undefined,
      accept: undefined,
      threads: false,
      target: undefined,
      sendProxy: false,
      wiretap: false,
      deadline: 5000,
      proxyProtocol: false,
      proxyTrusted: undefined,
      admin: undefined,
      drainDelay: 0,
      backend: 'auto',
      tls: undefined,
    });
  }
  const proxy = parseServeArgs(['proxy', '--target', '10.0.0.1:6380'], {});
  assert.is(!proxy.help && proxy.port, 7001);
  assert.is(!proxy.help && proxy.target, '10.0.0.1:6380');
  assert.is(!proxy.help && proxy.sendProxy, false);
  const sending = parseServeArgs(['proxy', '--target', '10.0.0.1:6380', '--send-proxy-v2'], {});
  assert.is(!sending.help && sending.sendProxy, true);
});

test('a path is the user\'s own handler module, resolved against the working directory, port 7000 by default', () => {
  const command = parseServeArgs(['./dist/handler.js', '--scheduler', 'multi'], {});
  assert.ok(!command.help);
  assert.is(command.example, 'module');
  assert.is(command.module, pathToFileURL(resolve('dist/handler.js')).href);
  assert.is(command.port, 7000);
  const absolute = parseServeArgs(['/srv/app/handler.mjs', '--port', '9000'], {});
  assert.is(!absolute.help && absolute.module, 'file:///srv/app/handler.mjs');
  assert.throws(() => parseServeArgs(['handler'], {}), /unknown example "handler".*handler module path/);
});

test('every flag is read, in any order, with --flag value and --flag=value', () => {
  assert.equal(
    parseServeArgs(['--scheduler=multi', 'echo', '--host', '::1', '--port=0', '--reactors', '3', '--accept', 'shared', '--threads', '--wiretap', '--deadline', '250'], {}),
    {
      help: false,
      example: 'echo',
      module: undefined,
      host: '::1',
      port: 0,
      scheduler: 'multi',
      workers: undefined,
      reactors: 3,
      accept: 'shared',
      threads: true,
      target: undefined,
      sendProxy: false,
      wiretap: true,
      deadline: 250,
      proxyProtocol: false,
      proxyTrusted: undefined,
      admin: undefined,
      drainDelay: 0,
      backend: 'auto',
      tls: undefined,
    },
  );
  const pooled = parseServeArgs(['http', '--scheduler', 'pooled', '--workers', '2'], {});
  assert.is(!pooled.help && pooled.workers, 2);
});

test('production flags: PROXY protocol, admin endpoint, drain delay, TLS with SNI and ALPN', () => {
  const behind = parseServeArgs(['resp', '--proxy-protocol', '--proxy-trusted', '10.0.0.0/8, ::1', '--admin', '[::1]:9090', '--drain-delay', '1500'], {});
  assert.is(!behind.help && behind.proxyProtocol, true);
  assert.equal(!behind.help && behind.proxyTrusted, ['10.0.0.0/8', '::1']);
  assert.equal(!behind.help && behind.admin, { host: '::1', port: 9090 });
  assert.is(!behind.help && behind.drainDelay, 1500);
  const secure = parseServeArgs(['http', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-sni', 'a.test=a.pem,a.key',
    '--tls-sni', '*.b.test=b.pem,b.key', '--alpn', 'http/1.1', '--tls-handshake-timeout', '3000'], {});
  assert.equal(!secure.help && secure.tls, {
    cert: 'c.pem',
    key: 'k.pem',
    sni: [{ name: 'a.test', cert: 'a.pem', key: 'a.key' }, { name: '*.b.test', cert: 'b.pem', key: 'b.key' }],
    alpn: ['http/1.1'],
    handshakeTimeout: 3000,
  });
  const plain = parseServeArgs(['http', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {});
  assert.equal(!plain.help && plain.tls, { cert: 'c.pem', key: 'k.pem', sni: [], alpn: undefined, handshakeTimeout: 10_000 });
});

test('--help wins over everything else, even a missing example', () => {
  assert.equal(parseServeArgs(['--help'], {}), { help: true });
  assert.equal(parseServeArgs(['-h', 'gopher', '--port', 'x'], {}), { help: true });
});

test('the proxy target comes from --target, else RXLOOP_PROXY_TARGET', () => {
  const fromEnv = parseServeArgs(['proxy'], { RXLOOP_PROXY_TARGET: '127.0.0.1:7000' });
  assert.is(!fromEnv.help && fromEnv.target, '127.0.0.1:7000');
  const flagWins = parseServeArgs(['proxy', '--target', '[::1]:9'], { RXLOOP_PROXY_TARGET: '127.0.0.1:7000' });
  assert.is(!flagWins.help && flagWins.target, '[::1]:9');
});

test('every mistake is ERR_INVALID_ARGUMENT with a message naming the flag or word', () => {
  const cases: [string[], RegExp, NodeJS.ProcessEnv?][] = [
    [['echo', '--bogus'], /^unknown flag --bogus$/],
    [['echo', '-x'], /^unknown flag -x$/],
    [['echo', '--port', 'http'], /^--port expected an integer from 0 to 65535, got "http"$/],
    [['echo', '--port', '65536'], /^--port expected/],
    [['echo', '--port', '-1'], /^--port expected/],
    [['echo', '--port'], /^--port expected a value$/],
    [['echo', '--host='], /^--host expected an address/],
    [['echo', '--scheduler', 'fast'], /^--scheduler expected single, pooled, multi, got "fast"$/],
    [['echo', '--workers', '2'], /^--workers goes with --scheduler pooled$/],
    [['echo', '--scheduler', 'pooled', '--workers', '0'], /^--workers expected an integer from 1/],
    [['echo', '--scheduler', 'multi', '--reactors', 'two'], /^--reactors expected/],
    [['echo', '--reactors', '2'], /^--reactors goes with --scheduler multi$/],
    [['echo', '--accept', 'shared'], /^--accept goes with --scheduler multi$/],
    [['echo', '--threads'], /^--threads goes with --scheduler multi$/],
    [['echo', '--scheduler', 'multi', '--threads=yes'], /^--threads takes no value$/],
    [['echo', '--scheduler', 'multi', '--accept', 'kernel'], /^--accept expected acceptor, shared, got "kernel"$/],
    [['echo', '--wiretap=yes'], /^--wiretap takes no value$/],
    [['echo', '--deadline', 'soon'], /^--deadline expected/],
    [['echo', '--target', '127.0.0.1:1'], /^--target goes with the proxy example$/],
    [['resp', '--send-proxy-v2'], /^--send-proxy-v2 goes with the proxy example$/],
    [['proxy', '--target', '127.0.0.1:1', '--send-proxy-v2=yes'], /^--send-proxy-v2 takes no value$/],
    [['proxy'], /expected --target HOST:PORT \(or RXLOOP_PROXY_TARGET\)$/],
    [['proxy'], /expected --target/, { RXLOOP_PROXY_TARGET: '' }],
    [['proxy', '--target', 'nowhere'], /^--target expected HOST:PORT .* got "nowhere"$/],
    [['proxy'], /^--target expected HOST:PORT .* got "bad"$/, { RXLOOP_PROXY_TARGET: 'bad' }],
    [['gopher'], /^unknown example "gopher": expected resp, http, echo or proxy, or a handler module path$/],
    [['toString'], /^unknown example "toString"/],
    [['echo', 'extra'], /^unexpected argument "extra"$/],
    [[], /^expected an example to serve/],
    [['echo', '--proxy-trusted', '10.0.0.1'], /^--proxy-trusted goes with --proxy-protocol$/],
    [['echo', '--proxy-protocol', '--proxy-trusted', '10.0.0.1/99'], /^--proxy-trusted expected addresses or CIDR ranges/],
    [['echo', '--admin', '9090'], /^--admin expected HOST:PORT/],
    [['echo', '--admin', 'localhost:99999'], /^--admin expected HOST:PORT/],
    [['echo', '--drain-delay', '-5'], /^--drain-delay expected/],
    [['echo', '--tls-key', 'k.pem'], /^--tls-key goes with --tls-cert$/],
    [['echo', '--tls-cert', 'c.pem'], /^--tls-cert expected --tls-key/],
    [['echo', '--alpn', 'h2'], /^--alpn goes with --tls-cert$/],
    [['echo', '--tls-sni', 'a=b,c'], /^--tls-sni goes with --tls-cert/],
    [['echo', '--tls-handshake-timeout', '5'], /^--tls-handshake-timeout goes with --tls-cert$/],
    [['echo', '--tls-cert', 'c', '--tls-key', 'k', '--tls-sni', 'nameonly'], /^--tls-sni expected NAME=CERT_FILE,KEY_FILE/],
    [['echo', '--tls-cert', 'c', '--tls-key', 'k', '--alpn', 'h2,,http/1.1'], /^--alpn expected protocol names/],
    [['echo', '--tls-cert', 'c', '--tls-key', 'k', '--tls-handshake-timeout', '0'], /^--tls-handshake-timeout expected/],
    [['echo', '--tls-cert', 'c', '--tls-key', 'k', '--scheduler', 'multi'], /^--tls-cert goes with --scheduler single or pooled/],
    [['echo', '--tls-cert', 'c', '--tls-key', 'k', '--proxy-protocol'], /do not go together/],
  ];
  for (const [args, message, env] of cases) {
    try {
      parseServeArgs(args, env ?? {});
      assert.unreachable(`accepted ${args.join(' ')}`);
    } catch (error) {
      assert.instance(error, RxloopError, args.join(' '));
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
      assert.match((error as Error).message, message, `${args.join(' ')}: ${(error as Error).message}`);
    }
  }
});

test.run();
