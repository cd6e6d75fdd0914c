import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appRouter } from '../../../examples/http/appRouter.js';
import type { HttpHandler } from '../../../examples/http/HttpHandler.js';
import { HttpSession } from '../../../examples/http/HttpSession.js';
import type { HttpSessionOptions } from '../../../examples/http/HttpSession.js';
import { ErrorCode } from '../../../src/errors.js';
import { DATE, fixedDate } from './fixedDate.js';

function session(handler: HttpHandler = appRouter().handle, options: HttpSessionOptions = {}): HttpSession {
  return new HttpSession(handler, { date: fixedDate(), ...options });
}

/** Feeds the pieces through one reused read buffer and returns everything written. */
function exchange(target: HttpSession, pieces: ReadonlyArray<string>): string {
  const readBuffer = Buffer.alloc(64 * 1024);
  let written = '';
  for (const piece of pieces) {
    const view = readBuffer.subarray(0, readBuffer.write(piece, 'latin1'));
    const out = target.receive(view);
    view.fill(0x58);
    if (out !== null) written += out.toString('latin1');
  }
  return written;
}

const response = (status: string, connection: string, type: string, body: string, isHead = false): string =>
  `HTTP/1.1 ${status}\r\nDate: ${DATE}\r\n${connection}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${isHead ? '' : body}`;
const HELLO = response('200 OK', '', 'text/plain', 'hello');
const JSON_BODY = '{"message":"Hello, World!"}';
const CLOSE = 'Connection: close\r\n';
const errorResponse = (status: number, reason: string, body = reason): string => response(`${status} ${reason}`, CLOSE, 'text/plain', body);

test('one read with many pipelined requests gives all responses in order, in one buffer', () => {
  const s = session();
  const out = exchange(s, [
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n' +
      'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /json HTTP/1.1\r\nHost: x\r\n\r\n' +
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' +
      'DELETE / HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /missing HTTP/1.1\r\nHost: x\r\n\r\n',
  ]);
  assert.is(
    out,
    HELLO +
      response('200 OK', '', 'text/plain', 'hello', true) +
      response('200 OK', '', 'application/json', JSON_BODY) +
      response('200 OK', '', 'application/octet-stream', 'abc') +
      `HTTP/1.1 405 Method Not Allowed\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nAllow: GET, HEAD\r\n\r\nMethod Not Allowed` +
      response('404 Not Found', '', 'text/plain', 'Not Found'),
  );
  assert.not.ok(s.closing);
  assert.is(s.progress, 'idle');
});

test('keep-alive rules: HTTP/1.1 default open, HTTP/1.0 default closed', () => {
  const cases: Array<[string, string, boolean]> = [
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '', false],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', CLOSE, true],
    ['GET / HTTP/1.0\r\n\r\n', CLOSE, true],
    ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', 'Connection: keep-alive\r\n', false],
    ['GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n', CLOSE, true],
  ];
  for (const [request, connection, closing] of cases) {
    const s = session();
    assert.is(exchange(s, [request]), response('200 OK', connection, 'text/plain', 'hello'), request);
    assert.is(s.closing, closing, request);
    assert.is(s.progress, closing ? 'closed' : 'idle');
  }
  const head = session();
  assert.is(exchange(head, ['HEAD /json HTTP/1.0\r\n\r\n']), response('200 OK', CLOSE, 'application/json', JSON_BODY, true));
});

test('nothing after a closing request is answered', () => {
  const s = session();
  const out = exchange(s, [`GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n`]);
  assert.is(out, response('200 OK', CLOSE, 'text/plain', 'hello'));
  assert.ok(s.closing);
  assert.is(s.receive(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), null);
  assert.is(s.error, undefined);
});

test('rejected input gets the error response with Connection: close, after the answers before it', () => {
  const cases: Array<[string, number, string, string]> = [
    ['GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n', 400, 'Bad Request', ErrorCode.FRAME_CORRUPT],
    ['GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'HTTP Version Not Supported', ErrorCode.FRAME_CORRUPT],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n\r\n', 413, 'Content Too Large', ErrorCode.FRAME_TOO_LONG],
    [`GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(101)}`, 431, 'Request Header Fields Too Large', ErrorCode.FRAME_TOO_LONG],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501, 'Not Implemented', ErrorCode.FRAME_CORRUPT],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'Bad Request', ErrorCode.FRAME_CORRUPT],
  ];
  for (const [bad, status, reason, code] of cases) {
    const s = session();
    const out = exchange(s, [`GET / HTTP/1.1\r\nHost: x\r\n\r\n${bad}GET / HTTP/1.1\r\nHost: x\r\n\r\n`]);
    assert.is(out, HELLO + errorResponse(status, reason), bad);
    assert.ok(s.closing);
    assert.is(s.progress, 'closed');
    assert.is(s.error?.code, code);
    assert.is(s.receive(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), null);
  }
});

test('limits are configurable per session', () => {
  const s = session(appRouter().handle, { limits: { maxBodyBytes: 4 } });
  assert.is(
    exchange(s, ['POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcdPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n']),
    response('200 OK', '', 'application/octet-stream', 'abcd') + errorResponse(413, 'Content Too Large'),
  );
});

test('a handler that throws, answers twice or not at all gets a 500 that replaces what it wrote', () => {
  const handlers: HttpHandler[] = [
    () => {
      throw new Error('boom');
    },
    (_request, response) => {
      response.send(200, 'text/plain', 'partial');
      throw new Error('late boom');
    },
    (_request, response) => {
      response.send(200, 'text/plain', 'one');
      response.send(200, 'text/plain', 'two');
    },
    () => undefined,
  ];
  for (const handler of handlers) {
    let calls = 0;
    const s = session((request, response) => {
      if (calls++ === 0) response.send(200, 'text/plain', 'hello');
      else handler(request, response);
    });
    const out = exchange(s, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3)]);
    assert.is(out, HELLO + errorResponse(500, 'Internal Server Error'));
    assert.is(calls, 2);
    assert.ok(s.closing);
    assert.is(s.error?.code, ErrorCode.TASK_FAILED);
  }
  const head = session(() => {
    throw new Error('boom');
  });
  assert.is(exchange(head, ['HEAD / HTTP/1.1\r\nHost: x\r\n\r\n']), response('500 Internal Server Error', CLOSE, 'text/plain', 'Internal Server Error', true));
  assert.instance(head.error?.cause, Error);
});

test('Expect: 100-continue gets 100 Continue before the body, then the response', () => {
  const s = session();
  const head = 'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n';
  assert.is(exchange(s, [head]), 'HTTP/1.1 100 Continue\r\n\r\n');
  assert.is(s.progress, 'body');
  assert.is(exchange(s, ['o']), '');
  assert.is(exchange(s, ['k']), response('200 OK', '', 'application/octet-stream', 'ok'));
  assert.is(exchange(s, [`GET / HTTP/1.1\r\nHost: x\r\n\r\n${head}ok`]), HELLO + response('200 OK', '', 'application/octet-stream', 'ok'));
});

test('progress shows a partial head (the slowloris state) and timeout() answers 408', () => {
  const s = session();
  assert.is(s.progress, 'idle');
  assert.is(exchange(s, ['GET / HTTP/1.1\r\nHo']), '');
  assert.is(s.progress, 'head');
  assert.is(exchange(s, ['st: x\r\n']), '');
  assert.is(s.progress, 'head');
  assert.is(s.timeout()?.toString('latin1'), errorResponse(408, 'Request Timeout'));
  assert.ok(s.closing);
  assert.is(s.error?.code, ErrorCode.TIMEOUT);
  assert.is(s.timeout(), null);

  const body = session();
  exchange(body, ['POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc']);
  assert.is(body.progress, 'body');
  assert.is(body.timeout()?.toString('latin1'), errorResponse(408, 'Request Timeout'));

  const idle = session();
  exchange(idle, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
  assert.is(idle.timeout(), null);
  assert.ok(idle.closing);
  assert.is(idle.error, undefined);
});

test('returned buffers belong to the caller: later reads never change them', () => {
  const s = session();
  const kept: Array<[Buffer, string]> = [];
  for (let i = 0; i < 400; i++) {
    const out = s.receive(Buffer.from(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${String(i).length}\r\n\r\n${i}GET / HTTP/1.1\r\nHost: x\r\n\r\n`))!;
    kept.push([out, out.toString('latin1')]);
  }
  kept.forEach(([out, text], i) => {
    assert.is(out.toString('latin1'), text);
    assert.ok(text.startsWith(response('200 OK', '', 'application/octet-stream', String(i))));
  });
});

// --- Property: every fragmentation of a pipelined conversation gives the same bytes -----------------------------

interface Exchange {
  request: string;
  response: string;
  closes: boolean;
}

const bodyArb = fc.string({ unit: fc.constantFrom(...'xy\r\n\u00e90'), maxLength: 30 });
const exchangeArb: fc.Arbitrary<Exchange> = fc.oneof(
  fc.constant({ request: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', response: HELLO, closes: false }),
  fc.constant({ request: 'HEAD / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n', response: response('200 OK', '', 'text/plain', 'hello', true), closes: false }),
  fc.constant({ request: 'GET /json?x HTTP/1.1\r\nHost: x\r\n\r\n', response: response('200 OK', '', 'application/json', JSON_BODY), closes: false }),
  fc.constant({ request: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', response: response('200 OK', 'Connection: keep-alive\r\n', 'text/plain', 'hello'), closes: false }),
  fc.constant({ request: 'PATCH /nowhere HTTP/1.1\r\nHost: x\r\n\r\n', response: response('404 Not Found', '', 'text/plain', 'Not Found'), closes: false }),
  bodyArb.map((body) => ({
    request: `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    response: response('200 OK', '', 'application/octet-stream', body),
    closes: false,
  })),
  fc.array(bodyArb.filter((part) => part.length > 0), { maxLength: 3 }).map((parts) => ({
    request: `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${parts.map((p) => `${p.length.toString(16)};x=y\r\n${p}\r\n`).join('')}0\r\nT: 1\r\n\r\n`,
    response: response('200 OK', '', 'application/octet-stream', parts.join('')),
    closes: false,
  })),
);
const lastArb: fc.Arbitrary<Exchange> = fc.constantFrom(
  { request: 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n', response: response('200 OK', CLOSE, 'text/plain', 'hello'), closes: true },
  { request: 'GET /json HTTP/1.0\r\n\r\nignored', response: response('200 OK', CLOSE, 'application/json', JSON_BODY), closes: true },
  { request: 'GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n', response: errorResponse(400, 'Bad Request'), closes: true },
  { request: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', response: HELLO, closes: false },
);

function splitAt(input: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let last = 0;
  for (const point of points) {
    pieces.push(input.slice(last, point));
    last = point;
  }
  pieces.push(input.slice(last));
  return pieces;
}

test('property: every fragmentation of pipelined requests gives the exact expected bytes', () => {
  fc.assert(
    fc.property(fc.array(exchangeArb, { maxLength: 6 }), lastArb, fc.array(fc.nat(), { maxLength: 10 }), (exchanges, last, cuts) => {
      const all = [...exchanges, last];
      const input = all.map((e) => e.request).join('');
      const s = session();
      assert.is(exchange(s, splitAt(input, cuts)), all.map((e) => e.response).join(''));
      assert.is(s.closing, last.closes);
    }),
    { numRuns: 300 },
  );
});

test.run();
