import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpDate } from '../../../examples/http/HttpDate.js';
import { ConnectionMode } from '../../../examples/http/httpHead.js';
import { HttpPreparedResponse } from '../../../examples/http/HttpPreparedResponse.js';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { DATE, fixedDate } from './fixedDate.js';

const head = (connection: string): string =>
  `HTTP/1.1 201 Created\r\nDate: ${DATE}\r\n${connection}Content-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\nX-A: 1\r\nX-A: 2\r\n\r\n`;

test('holds exact bytes for each connection mode, with and without body', () => {
  const response = new HttpPreparedResponse(201, 'text/plain; charset=utf-8', 'h\u00e9y', [
    ['X-A', '1'],
    ['X-A', '2'],
  ]);
  const date = fixedDate();
  const text = (mode: ConnectionMode, isHead: boolean): string => response.bytes(mode, isHead, date).toString('latin1');
  const body = Buffer.from('h\u00e9y').toString('latin1');
  assert.is(text(ConnectionMode.KEEP_ALIVE, false), head('') + body);
  assert.is(text(ConnectionMode.KEEP_ALIVE_10, false), head('Connection: keep-alive\r\n') + body);
  assert.is(text(ConnectionMode.CLOSE, false), head('Connection: close\r\n') + body);
  assert.is(text(ConnectionMode.KEEP_ALIVE, true), head(''));
  assert.is(text(ConnectionMode.CLOSE, true), head('Connection: close\r\n'));
});

test('restamps the date when the date source changes', () => {
  const response = new HttpPreparedResponse(200, 'text/plain', new Uint8Array([104, 105]));
  assert.match(response.bytes(ConnectionMode.KEEP_ALIVE, false, fixedDate()).toString('latin1'), `Date: ${DATE}\r\n`);
  const other = new HttpDate(() => Date.UTC(2030, 5, 6, 7, 8, 9), () => undefined);
  const bytes = response.bytes(ConnectionMode.CLOSE, true, other).toString('latin1');
  assert.is(bytes, 'HTTP/1.1 200 OK\r\nDate: Thu, 06 Jun 2030 07:08:09 GMT\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n');
});

test('a new date goes into new bytes: bytes handed out before never change', () => {
  const response = new HttpPreparedResponse(200, 'text/plain', 'hi');
  const first = fixedDate();
  const full = response.bytes(ConnectionMode.KEEP_ALIVE, false, first);
  const head = response.bytes(ConnectionMode.KEEP_ALIVE, true, first);
  const [fullText, headText] = [full.toString('latin1'), head.toString('latin1')];
  assert.is(response.bytes(ConnectionMode.KEEP_ALIVE, false, first), full);
  const other = new HttpDate(() => Date.UTC(2030, 5, 6, 7, 8, 9), () => undefined);
  const newer = response.bytes(ConnectionMode.KEEP_ALIVE, false, other);
  assert.is.not(newer, full);
  assert.match(newer.toString('latin1'), 'Date: Thu, 06 Jun 2030 07:08:09 GMT\r\n');
  assert.is(full.toString('latin1'), fullText);
  assert.is(head.toString('latin1'), headText);
  assert.match(fullText, `Date: ${DATE}\r\n`);
});

test('refuses statuses it cannot frame and unsafe headers', () => {
  const cases: Array<() => unknown> = [
    () => new HttpPreparedResponse(204, 'text/plain', ''),
    () => new HttpPreparedResponse(304, 'text/plain', ''),
    () => new HttpPreparedResponse(100, 'text/plain', ''),
    () => new HttpPreparedResponse(600, 'text/plain', ''),
    () => new HttpPreparedResponse(200.5, 'text/plain', ''),
    () => new HttpPreparedResponse(200, 'text/plain\r\nX: y', ''),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['X', 'a\r\nSet-Cookie: b']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['X', 'a\nb']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['X', 'a\u0000b']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['X Y', 'v']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['', 'v']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['Content-Length', '1']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['connection', 'close']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['Transfer-Encoding', 'chunked']]),
    () => new HttpPreparedResponse(200, 'text/plain', '', [['Date', 'x']]),
  ];
  for (const make of cases) {
    try {
      make();
      assert.unreachable(`expected a throw from ${make.toString()}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
      assert.match((error as RxloopError).message, /^expected /);
    }
  }
});

test.run();
