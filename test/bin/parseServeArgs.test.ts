import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseServeArgs } from '../../bin/parseServeArgs.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';

test('defaults: host 127.0.0.1, the example\'s port, the single reactor, a 5 s deadline', () => {
  const ports = { resp: 6380, http: 8080, echo: 7000 } as const;
  for (const [example, port] of Object.entries(ports)) {
    assert.equal(parseServeArgs([example], {}), {
      help: false,
      example,
      host: '127.0.0.1',
      port,
      scheduler: 'single',
      workers: undefined,
      reactors: undefined,
      accept: undefined,
      target: undefined,
      wiretap: false,
      deadline: 5000,
    });
  }
  const proxy = parseServeArgs(['proxy', '--target', '10.0.0.1:6380'], {});
  assert.is(!proxy.help && proxy.port, 7001);
  assert.is(!proxy.help && proxy.target, '10.0.0.1:6380');
});

test('every flag is read, in any order, with --flag value and --flag=value', () => {
  assert.equal(
    parseServeArgs(['--scheduler=multi', 'echo', '--host', '::1', '--port=0', '--reactors', '3', '--accept', 'shared', '--wiretap', '--deadline', '250'], {}),
    {
      help: false,
      example: 'echo',
      host: '::1',
      port: 0,
      scheduler: 'multi',
      workers: undefined,
      reactors: 3,
      accept: 'shared',
      target: undefined,
      wiretap: true,
      deadline: 250,
    },
  );
  const pooled = parseServeArgs(['http', '--scheduler', 'pooled', '--workers', '2'], {});
  assert.is(!pooled.help && pooled.workers, 2);
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
    [['echo', '--scheduler', 'multi', '--accept', 'kernel'], /^--accept expected acceptor, shared, got "kernel"$/],
    [['echo', '--wiretap=yes'], /^--wiretap takes no value$/],
    [['echo', '--deadline', 'soon'], /^--deadline expected/],
    [['echo', '--target', '127.0.0.1:1'], /^--target goes with the proxy example$/],
    [['proxy'], /expected --target HOST:PORT \(or RXLOOP_PROXY_TARGET\)$/],
    [['proxy'], /expected --target/, { RXLOOP_PROXY_TARGET: '' }],
    [['proxy', '--target', 'nowhere'], /^--target expected HOST:PORT .* got "nowhere"$/],
    [['proxy'], /^--target expected HOST:PORT .* got "bad"$/, { RXLOOP_PROXY_TARGET: 'bad' }],
    [['gopher'], /^unknown example "gopher": expected resp, http, echo or proxy$/],
    [['toString'], /^unknown example "toString"/],
    [['echo', 'extra'], /^unexpected argument "extra"$/],
    [[], /^expected an example to serve/],
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
