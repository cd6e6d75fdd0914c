import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpRequestParser } from '../../../examples/http/HttpRequestParser.js';
import type { HttpLimits } from '../../../examples/http/HttpRequestParser.js';
import { ErrorCode, RxloopError } from '../../../src/errors.js';

interface Parsed {
  method: string;
  target: string;
  path: string;
  query: string;
  versionMinor: number;
  keepAlive: boolean;
  headers: Array<[string, string]>;
  body: string;
}

interface Outcome {
  requests: Parsed[];
  status: number | undefined;
  code: string | undefined;
  continues: number;
}

function snapshot(parser: HttpRequestParser): Parsed | null {
  const request = parser.next();
  if (request === null) return null;
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < request.headerCount; i++) headers.push([request.headerName(i), request.headerValue(i)]);
  return {
    method: request.method,
    target: request.target,
    path: request.path,
    query: request.query,
    versionMinor: request.versionMinor,
    keepAlive: request.keepAlive,
    headers,
    body: request.body.toString('latin1'),
  };
}

/** Feeds the chunks through one reused read buffer, as a socket with a static onread buffer would. */
function parse(chunks: ReadonlyArray<string | Buffer>, limits?: Partial<HttpLimits>): Outcome {
  const parser = new HttpRequestParser(limits);
  const outcome: Outcome = { requests: [], status: undefined, code: undefined, continues: 0 };
  const readBuffer = Buffer.alloc(64 * 1024 + 16);
  for (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    const view = bytes.length <= readBuffer.length ? readBuffer.subarray(0, bytes.length) : Buffer.alloc(bytes.length);
    bytes.copy(view);
    parser.push(view);
    for (let parsed = snapshot(parser); parsed !== null; parsed = snapshot(parser)) outcome.requests.push(parsed);
    if (parser.takeContinue()) outcome.continues++;
    // Scribble over the read buffer: the parser must have copied whatever it still needs.
    view.fill(0x58);
  }
  if (parser.failure !== undefined) {
    outcome.status = parser.failure.status;
    outcome.code = parser.failure.code;
    assert.ok(parser.failure.error instanceof RxloopError);
    assert.is(parser.failure.error.code, parser.failure.code);
    assert.match(parser.failure.error.message, /^expected /);
  }
  return outcome;
}

function rejects(input: string | ReadonlyArray<string>, status: number, limits?: Partial<HttpLimits>): void {
  const outcome = parse(typeof input === 'string' ? [input] : input, limits);
  assert.is(outcome.status, status, `status for ${JSON.stringify(input)}`);
  assert.is(outcome.code, status === 413 || status === 431 ? ErrorCode.FRAME_TOO_LONG : ErrorCode.FRAME_CORRUPT);
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

test('parses a request line and headers', () => {
  const { requests, status } = parse(['GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\nX-Pad: \t a  b \t\r\n\r\n']);
  assert.is(status, undefined);
  assert.equal(requests, [
    {
      method: 'GET',
      target: '/a/b?x=1&y',
      path: '/a/b',
      query: 'x=1&y',
      versionMinor: 1,
      keepAlive: true,
      headers: [
        ['Host', 'example.com'],
        ['X-Empty', ''],
        ['X-Pad', 'a  b'],
      ],
      body: '',
    },
  ]);
});

test('header() is case-insensitive, returns the first match and undefined when absent', () => {
  const parser = new HttpRequestParser();
  parser.push(Buffer.from('GET / HTTP/1.1\r\nHOST: h\r\nx-a^b: 1\r\nX-Dup: first\r\nx-dup: second\r\n\r\n'));
  const request = parser.next()!;
  assert.is(request.header('host'), 'h');
  assert.is(request.header('X-DUP'), 'first');
  assert.is(request.header('x-a^b'), '1');
  assert.is(request.header('x-a~b'), undefined);
  assert.is(request.header('x-dupe'), undefined);
  assert.is(request.header('hosŧ'), undefined);
});

test('keeps obs-text bytes in values as latin1', () => {
  const { requests } = parse([Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nX: '), Buffer.from([0xe9, 0xff]), Buffer.from('\r\n\r\n')])]);
  assert.is(requests[0]!.headers[1]![1], '\u00e9\u00ff');
});

test('interns common methods and accepts any token method', () => {
  for (const method of ['GET', 'PUT', 'POST', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'M-SEARCH', 'X']) {
    const { requests } = parse([`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`]);
    assert.is(requests[0]!.method, method);
  }
});

test('skips empty lines (CRLF) before a request line', () => {
  const { requests } = parse([`\r\n\r\n${GET}\r\n${GET}`]);
  assert.is(requests.length, 2);
});

test('the path cache returns the right path when paths change', () => {
  const { requests } = parse([`GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /${'z'.repeat(100)} HTTP/1.1\r\nHost: x\r\n\r\n`]);
  assert.equal(
    requests.map((r) => r.path),
    ['/a', '/b', '/b', '/a', `/${'z'.repeat(100)}`],
  );
});

test('keep-alive rules: HTTP/1.1 open unless close, HTTP/1.0 closed unless keep-alive', () => {
  const cases: Array<[string, boolean]> = [
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', false],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n', false],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n', false],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n', true],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n', true],
    ['GET / HTTP/1.0\r\n\r\n', false],
    ['GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n', true],
    ['GET / HTTP/1.0\r\nConnection: ,keep-alive ,\r\n\r\n', true],
    ['GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n', false],
  ];
  for (const [input, keepAlive] of cases) assert.is(parse([input]).requests[0]!.keepAlive, keepAlive, input);
});

test('Content-Length bodies: whole, zero, and split across reads', () => {
  const input = 'POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloPOST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n';
  for (let cut = 0; cut <= input.length; cut++) {
    const { requests, status } = parse([input.slice(0, cut), input.slice(cut)]);
    assert.is(status, undefined);
    assert.equal(
      requests.map((r) => [r.body, r.headers.length, r.path]),
      [
        ['hello', 2, '/e'],
        ['', 2, '/e'],
      ],
    );
  }
});

test('a body view is zero-copy within one read and an owned buffer across reads', () => {
  const parser = new HttpRequestParser();
  const whole = Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab');
  parser.push(whole);
  const view = parser.next()!.body;
  whole[whole.length - 1] = 0x5a;
  assert.is(view.toString(), 'aZ');
  parser.push(Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\na'));
  assert.is(parser.next(), null);
  assert.is(parser.progress, 'body');
  parser.push(Buffer.from('b'));
  const body = parser.next()!.body;
  assert.is(body.toString(), 'ab');
  assert.is(parser.progress, 'idle');
});

test('chunked bodies with extensions and trailers, split at every position', () => {
  const input =
    'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n' +
    '5;name=value;q="a b"\r\nhello\r\n6 ; ext\r\n world\r\nA\r\n0123456789\r\n0;last\r\nX-Trailer: t\r\nY: \r\n\r\n' +
    GET;
  for (let a = 0; a <= input.length; a += 3) {
    for (let b = a; b <= input.length; b += 7) {
      const { requests, status } = parse([input.slice(0, a), input.slice(a, b), input.slice(b)]);
      assert.is(status, undefined, `cut at ${a}, ${b}`);
      assert.is(requests.length, 2);
      assert.is(requests[0]!.body, 'hello world0123456789');
      assert.is(requests[0]!.path, '/c');
      assert.equal(requests[0]!.headers[1], ['Transfer-Encoding', 'Chunked']);
    }
  }
});

test('large bodies arriving in many reads are assembled intact', () => {
  const data = Buffer.alloc(200_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  const text = data.toString('latin1');
  const pieces = (input: string, size: number): string[] => Array.from({ length: Math.ceil(input.length / size) }, (_, i) => input.slice(i * size, (i + 1) * size));
  const cl = `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${data.length}\r\n\r\n${text}`;
  assert.is(parse(pieces(cl, 1000)).requests[0]!.body, text);
  let chunked = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (let at = 0; at < text.length; at += 3000) chunked += `${Math.min(3000, text.length - at).toString(16)}\r\n${text.slice(at, at + 3000)}\r\n`;
  chunked += '0\r\n\r\n';
  assert.is(parse(pieces(chunked, 1500)).requests[0]!.body, text);
});

test('an empty chunked body', () => {
  const { requests } = parse(['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n']);
  assert.is(requests[0]!.body, '');
});

test('Expect: 100-continue asks for 100 Continue only while the body is missing, and only in HTTP/1.1', () => {
  const head = 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n';
  assert.is(parse([head, 'ab']).continues, 1);
  assert.is(parse([head + 'ab']).continues, 0);
  assert.is(parse([head + 'a', 'b']).continues, 1);
  const chunked = 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n';
  assert.is(parse([chunked, '1\r\na\r\n0\r\n\r\n']).continues, 1);
  assert.is(parse([chunked + '1\r\na\r\n0\r\n\r\n']).continues, 0);
  assert.is(parse(['POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n', 'ab']).continues, 0);
  assert.is(parse(['POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 2\r\n\r\n', 'ab']).continues, 0);
});

test('progress follows head, body and idle', () => {
  const parser = new HttpRequestParser();
  assert.is(parser.progress, 'idle');
  parser.push(Buffer.from('GET / HT'));
  assert.is(parser.next(), null);
  assert.is(parser.progress, 'head');
  parser.push(Buffer.from('TP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n'));
  assert.is(parser.next(), null);
  assert.is(parser.progress, 'body');
  parser.push(Buffer.from('abc'));
  assert.is(parser.next()!.body.toString(), 'abc');
  assert.is(parser.next(), null);
  assert.is(parser.progress, 'idle');
  parser.push(Buffer.from('\x00'));
  assert.is(parser.next(), null);
  assert.is(parser.progress, 'failed');
  parser.push(Buffer.from(GET));
  assert.is(parser.next(), null);
  assert.is(parser.failure!.status, 400);
});

test('a head and body that span reads survive the reuse of the read buffer', () => {
  const input = `POST /path?q HTTP/1.1\r\nHost: h\r\nX-Long: ${'v'.repeat(3000)}\r\nContent-Length: 4\r\n\r\nbody`;
  for (const cut of [5, 40, 3040, input.length - 2]) {
    const { requests } = parse([input.slice(0, cut), input.slice(cut)]);
    assert.is(requests[0]!.target, '/path?q');
    assert.is(requests[0]!.headers[1]![1], 'v'.repeat(3000));
    assert.is(requests[0]!.body, 'body');
  }
});

test('limits: head size (431), exactly at the limit accepted', () => {
  const limits = { maxHeadBytes: 64 };
  const exact = `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(64 - 32)}\r\n\r\n`;
  assert.is(exact.length, 64);
  assert.is(parse([exact], limits).requests.length, 1);
  assert.is(parse([exact.slice(0, 10), exact.slice(10, 50), exact.slice(50)], limits).requests.length, 1);
  const over = `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(64 - 31)}\r\n\r\n`;
  rejects(over, 431, limits);
  rejects([over.slice(0, 30), over.slice(30)], 431, limits);
  rejects([...over].map((c) => c), 431, limits);
  // The default is 16 KiB, and an endless header fails without waiting for its end.
  rejects(`GET / HTTP/1.1\r\nX: ${'a'.repeat(16 * 1024)}`, 431);
  rejects(['GET / HTTP/1.1\r\nX: ', 'a'.repeat(10000), 'a'.repeat(10000)], 431);
});

test('limits: header count (431)', () => {
  const headers = (count: number): string => `GET / HTTP/1.1\r\n${'H: v\r\n'.repeat(count - 1)}Host: x\r\n\r\n`;
  assert.is(parse([headers(100)]).requests[0]!.headers.length, 100);
  rejects(headers(101), 431);
  rejects(`GET / HTTP/1.1\r\n${'a:\r\n'.repeat(5000)}`, 431);
  assert.is(parse([headers(3)], { maxHeaders: 3 }).requests.length, 1);
  rejects(headers(4), 431, { maxHeaders: 3 });
});

test('limits: body size (413) fails as soon as Content-Length or a chunk size announces it', () => {
  const limits = { maxBodyBytes: 10 };
  assert.is(parse(['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789'], limits).requests[0]!.body, '0123456789');
  // No body byte was sent: the announcement alone fails.
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n', 413, limits);
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n', 413);
  rejects(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${'9'.repeat(400)}\r\n\r\n`, 413);
  rejects(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n`, 413);
  const chunked = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  assert.is(parse([chunked + '5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n'], limits).requests[0]!.body, '0123456789');
  rejects(chunked + '5\r\n01234\r\n6', 413, limits);
  rejects(chunked + 'b', 413, limits);
  rejects(chunked + 'fffffffffff', 413);
});

test('limits: chunk extensions (413) and trailers (431)', () => {
  const chunked = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  rejects(`${chunked}1;${'e'.repeat(70)}\r\n`, 413, { maxHeadBytes: 64 });
  rejects(`${chunked}1 ${' '.repeat(70)}`, 413, { maxHeadBytes: 64 });
  rejects([chunked, ...Array.from({ length: 20 }, () => '1;eeee\r\na\r\n')], 413, { maxHeadBytes: 64 });
  rejects(`${chunked}0\r\n${'T: v\r\n'.repeat(4)}`, 431, { maxHeaders: 3 });
  rejects(`${chunked}0\r\nT: ${'v'.repeat(100)}`, 431, { maxHeadBytes: 64 });
  rejects([`${chunked}0\r\nTrailer-Name`, 'x'.repeat(100)], 431, { maxHeadBytes: 64 });
});

test('invalid limits are refused', () => {
  for (const limits of [{ maxHeadBytes: 0 }, { maxHeaders: -1 }, { maxBodyBytes: 1.5 }, { maxBodyBytes: 2 ** 31 }]) {
    try {
      new HttpRequestParser(limits);
      assert.unreachable('expected a throw');
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test('malformed request lines are 400', () => {
  for (const line of [
    'GET  / HTTP/1.1',
    'GET /  HTTP/1.1',
    'GET\t/ HTTP/1.1',
    ' GET / HTTP/1.1',
    'GET / http/1.1',
    'GET / HTTP/1.1 ',
    'GET / HTTP/1.',
    'GET / HTTP/11.1',
    'GET / HTTP/1.1x',
    'GET / HTTP/a.1',
    'GET / HTTP/1.a',
    'GET /',
    'GET',
    'G(T / HTTP/1.1',
    'GET /\x7f HTTP/1.1',
    'GET /\u00e9 HTTP/1.1',
    'GET /a\r\nX: y HTTP/1.1',
  ]) {
    rejects(`${line}\r\nHost: x\r\n\r\n`, 400);
  }
});

test('versions other than 1.0 and 1.1 are 505', () => {
  for (const version of ['2.0', '0.9', '1.2', '3.1']) rejects(`GET / HTTP/${version}\r\nHost: x\r\n\r\n`, 505);
});

test('line endings: CRLF only; bare LF and bare CR are 400', () => {
  rejects('GET / HTTP/1.1\nHost: x\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: x\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: x\r\n\n', 400);
  rejects('GET / HTTP/1.1\rHost: x\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: x\r\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: x\r\n\rX', 400);
  rejects('\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', 400);
  rejects('\rGET / HTTP/1.1\r\nHost: x\r\n\r\n', 400);
});

test('malformed headers are 400: no colon, space before colon, obs-fold, control bytes, CRLF injection', () => {
  for (const header of [
    'NoColon',
    'Bad Name: v',
    'Name : v',
    ': v',
    'Na\x00me: v',
    'X: a\x00b',
    'X: a\x7fb',
    'X: a\x01b',
    'X: a\x1bb',
    'X: a\rInjected: b',
    'X: a\nInjected: b',
    'X: a\r\n Folded: b',
    'X: a\r\n\tfolded',
  ]) {
    rejects(`GET / HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\n`, 400);
  }
  rejects('GET / HTTP/1.1\r\n Host: x\r\n\r\n', 400);
});

test('Host is required once in HTTP/1.1, optional in HTTP/1.0', () => {
  rejects('GET / HTTP/1.1\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 400);
  assert.is(parse(['GET / HTTP/1.0\r\n\r\n']).requests.length, 1);
});

test('invalid Content-Length values are 400: negative, hex, signed, spaced, empty, listed, repeated', () => {
  for (const value of ['-1', '0x10', '+5', '1 2', '', '5, 5', '1e3', '5.0', '\u00b2']) {
    rejects(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${value}\r\n\r\n`, 400);
  }
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 400);
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400);
  assert.is(parse(['POST / HTTP/1.1\r\nHost: x\r\nContent-Length:  007 \r\n\r\n1234567']).requests[0]!.body, '1234567');
});

test('request smuggling patterns are 400 (or 501): CL.TE, TE.CL, TE.TE, obfuscated TE', () => {
  const both = (a: string, b: string): string => `POST / HTTP/1.1\r\nHost: x\r\n${a}\r\n${b}\r\n\r\n0\r\n\r\n`;
  rejects(both('Content-Length: 5', 'Transfer-Encoding: chunked'), 400);
  rejects(both('Transfer-Encoding: chunked', 'Content-Length: 5'), 400);
  rejects(both('Transfer-Encoding: chunked', 'Content-Length: 0'), 400);
  rejects(both('Transfer-Encoding: chunked', 'Transfer-encoding: x'), 400);
  rejects(both('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'), 400);
  rejects(both('Transfer-Encoding : chunked', 'X: y'), 400);
  rejects(both('Transfer-Encoding: xchunked', 'X: y'), 400);
  rejects(both('Transfer-Encoding: chunked, gzip', 'X: y'), 400);
  rejects(both('Transfer-Encoding: gzip', 'X: y'), 400);
  rejects(both('Transfer-Encoding:', 'X: y'), 400);
  rejects(both('Transfer-Encoding: \u00a0chunked', 'X: y'), 400);
  rejects(both('Transfer-Encoding: gzip, chunked', 'X: y'), 501);
  rejects(both('Transfer-Encoding: gzip,chunked', 'X: y'), 501);
  rejects('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400);
  assert.is(parse([both('Transfer-Encoding:\tchunked ', 'X: y')]).requests.length, 1);
});

test('invalid chunk framing is 400', () => {
  const chunked = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (const body of [
    '\r\n',
    'x\r\n',
    '-1\r\n',
    '0x5\r\nhello\r\n0\r\n\r\n',
    ' 5\r\nhello\r\n0\r\n\r\n',
    '5 \r\nhello\r\n0\r\n\r\n',
    '5 x\r\nhello\r\n0\r\n\r\n',
    '00000000000000005\r\nhello\r\n0\r\n\r\n',
    '5\nhello\r\n0\r\n\r\n',
    '5\rhello\r\n0\r\n\r\n',
    '5;a\x00\r\nhello\r\n0\r\n\r\n',
    '5;a\nhello\r\n0\r\n\r\n',
    '5\r\nhelloX\r\n0\r\n\r\n',
    '5\r\nhello\rX0\r\n\r\n',
    '5\r\nhello\n0\r\n\r\n',
    '0\r\nBad Trailer: v\r\n\r\n',
    '0\r\nT: a\x00\r\n\r\n',
    '0\r\n T: a\r\n\r\n',
    '0\r\nT: a\r\r\n\r\n',
    '0\r\n\rX',
  ]) {
    rejects(chunked + body, 400);
  }
  assert.is(parse([chunked + '0000000000000005\r\nhello\r\n0\r\n\r\n']).requests[0]!.body, 'hello');
});

test('after a failure nothing more is parsed', () => {
  const { requests, status } = parse([`${GET}GET / HTTP/9.9\r\nHost: x\r\n\r\n${GET}`, GET]);
  assert.is(requests.length, 1);
  assert.is(status, 505);
});

// --- Property tests -------------------------------------------------------------------------------------------

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&*+.^`|~');
const valueChar = fc.constantFrom(...'abc xyz019/;,="()\t', '\u00e9');
const headerArb = fc.tuple(
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }).filter((name) => !/^(host|content-length|transfer-encoding|connection|expect)$/i.test(name)),
  fc.string({ unit: valueChar, maxLength: 20 }).map((value) => value.trim()),
);
const bodyArb = fc.string({ unit: fc.constantFrom(...'ab\r\n0:\u00ff'), maxLength: 40 });

interface Wire {
  bytes: string;
  expected: { method: string; target: string; headers: Array<[string, string]>; body: string };
}

const requestArb: fc.Arbitrary<Wire> = fc.oneof(
  fc.record({ target: fc.constantFrom('/', '/json', '/a?b=c', '*'), headers: fc.array(headerArb, { maxLength: 5 }), lead: fc.boolean() }).map(
    ({ target, headers, lead }): Wire => ({
      bytes: `${lead ? '\r\n' : ''}GET ${target} HTTP/1.1\r\nHost: h\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`,
      expected: { method: 'GET', target, headers: [['Host', 'h'], ...headers], body: '' },
    }),
  ),
  bodyArb.map((body): Wire => ({
    bytes: `POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    expected: { method: 'POST', target: '/echo', headers: [['Host', 'h'], ['Content-Length', String(body.length)]], body },
  })),
  fc.tuple(fc.array(bodyArb.filter((part) => part.length > 0), { maxLength: 4 }), fc.boolean()).map(([parts, trailer]): Wire => ({
    bytes:
      'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' +
      parts.map((part, i) => `${part.length.toString(16)}${i % 2 ? ';e=1' : ''}\r\n${part}\r\n`).join('') +
      `0\r\n${trailer ? 'T: v\r\n' : ''}\r\n`,
    expected: {
      method: 'POST',
      target: '/echo',
      headers: [['Host', 'h'], ['Transfer-Encoding', 'chunked']],
      body: parts.join(''),
    },
  })),
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

test('property: every fragmentation of pipelined requests parses to the same requests', () => {
  fc.assert(
    fc.property(fc.array(requestArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (wires, cuts) => {
      const input = wires.map((wire) => wire.bytes).join('');
      const outcome = parse(splitAt(input, cuts));
      assert.is(outcome.status, undefined);
      assert.equal(
        outcome.requests.map(({ method, target, headers, body }) => ({ method, target, headers, body })),
        wires.map((wire) => wire.expected),
      );
    }),
    { numRuns: 300 },
  );
});

test('property: byte-at-a-time delivery parses like one read', () => {
  fc.assert(
    fc.property(fc.array(requestArb, { minLength: 1, maxLength: 3 }), (wires) => {
      const input = wires.map((wire) => wire.bytes).join('');
      assert.equal(parse([...input]).requests, parse([input]).requests);
    }),
    { numRuns: 100 },
  );
});

test('property: binary garbage never throws and either parses or fails with a status', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }), (chunks) => {
      const outcome = parse(chunks.map((chunk) => Buffer.from(chunk)));
      if (outcome.status !== undefined) assert.ok([400, 413, 431, 501, 505].includes(outcome.status));
    }),
    { numRuns: 500 },
  );
});

test('property: garbage after a valid prefix fails like the same garbage in one read', () => {
  fc.assert(
    fc.property(requestArb, fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (wire, garbage, cuts) => {
      const input = Buffer.concat([Buffer.from(wire.bytes, 'latin1'), Buffer.from(garbage)]).toString('latin1');
      const whole = parse([input]);
      const split = parse(splitAt(input, cuts));
      assert.equal(split.requests, whole.requests);
      assert.is(split.status, whole.status);
    }),
    { numRuns: 300 },
  );
});

test.run();
