import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpRouter } from '../../../examples/http/HttpRouter.js';
import { HttpSession } from '../../../examples/http/HttpSession.js';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { DATE, fixedDate } from './fixedDate.js';

function router(): HttpRouter {
  return new HttpRouter()
    .on('GET', '/a', (request, response) => response.send(200, 'text/plain', `get ${request.target}`))
    .on('POST', '/a', (_request, response) => response.send(200, 'text/plain', 'post'))
    .on('HEAD', '/h', (_request, response) => response.send(200, 'text/plain', 'head handler'))
    .on('GET', '/h', (_request, response) => response.send(200, 'text/plain', 'get handler!'))
    .on('DELETE', '/d', (_request, response) => response.send(200, 'text/plain', 'deleted'));
}

function ask(request: string): string {
  const session = new HttpSession(router().handle, { date: fixedDate() });
  return session.receive(Buffer.from(request))?.toString('latin1') ?? '';
}

const ok = (length: number, body: string): string =>
  `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n${body}`;

test('routes by exact path and method; the query does not take part', () => {
  assert.is(ask('GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\n'), ok(10, 'get /a?x=1'));
  assert.is(ask('POST /a HTTP/1.1\r\nHost: x\r\n\r\n'), ok(4, 'post'));
  assert.is(ask('GET /a/ HTTP/1.1\r\nHost: x\r\n\r\n').split('\r\n')[0], 'HTTP/1.1 404 Not Found');
  assert.is(ask('GET /A HTTP/1.1\r\nHost: x\r\n\r\n').split('\r\n')[0], 'HTTP/1.1 404 Not Found');
  assert.is(ask('get /a HTTP/1.1\r\nHost: x\r\n\r\n').split('\r\n')[0], 'HTTP/1.1 405 Method Not Allowed');
});

test('404 and 405 (with Allow) are exact and keep the connection', () => {
  assert.is(ask('GET /nope HTTP/1.1\r\nHost: x\r\n\r\n'), `HTTP/1.1 404 Not Found\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found`);
  assert.is(
    ask('PUT /a HTTP/1.1\r\nHost: x\r\n\r\n'),
    `HTTP/1.1 405 Method Not Allowed\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nAllow: GET, POST, HEAD\r\n\r\nMethod Not Allowed`,
  );
  assert.match(ask('GET /d HTTP/1.1\r\nHost: x\r\n\r\n'), 'Allow: DELETE\r\n');
  assert.match(ask('POST /h HTTP/1.0\r\n\r\n'), 'Connection: close\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nAllow: HEAD, GET\r\n');
});

test('HEAD falls back to GET without a body; a HEAD route wins', () => {
  assert.is(ask('HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n'), ok(6, ''));
  assert.is(ask('HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n'), ok(12, ''));
  assert.is(ask('HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n'), `HTTP/1.1 404 Not Found\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n`);
  assert.match(ask('HEAD /d HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 405 .*\r\n\r\n$/s);
});

test('refuses bad methods, bad paths and duplicate routes', () => {
  const attempts: Array<() => unknown> = [
    () => new HttpRouter().on('G T', '/', () => undefined),
    () => new HttpRouter().on('', '/', () => undefined),
    () => new HttpRouter().on('GET', 'a', () => undefined),
    () => new HttpRouter().on('GET', '/a?b', () => undefined),
    () => new HttpRouter().on('GET', '/a b', () => undefined),
    () => router().on('GET', '/a', () => undefined),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
      assert.unreachable('expected a throw');
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test.run();
