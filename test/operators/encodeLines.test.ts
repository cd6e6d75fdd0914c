import { of } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { encodeLine, encodeLines } from '../../operators/encodeLines.js';
import { codeOf, collect, texts } from '../support/collect.js';

test('appends LF by default and CRLF with crlf: true, to strings, buffers and Uint8Arrays', () => {
  const lf = collect(of('a', Buffer.from('b'), new Uint8Array([0x63]), '').pipe(encodeLines()));
  assert.equal(texts(lf.values), ['a\n', 'b\n', 'c\n', '\n']);
  assert.ok(lf.completed);
  const crlf = collect(of('é').pipe(encodeLines({ crlf: true })));
  assert.equal([...crlf.values[0]!], [0xc3, 0xa9, 0x0d, 0x0a]);
});

test('the function form matches the operator', () => {
  assert.equal(encodeLine('PING', { crlf: true }).toString(), 'PING\r\n');
  assert.equal(encodeLine(new Uint8Array([0x0d])).toString(), '\r\n');
});

test('a line containing LF is refused with ERR_INVALID_ARGUMENT, also inside the operator', () => {
  try {
    encodeLine('a\nb');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
    assert.match((error as Error).message, /byte 1/);
  }
  const out = collect(of('ok', 'bad\n', 'never').pipe(encodeLines()));
  assert.equal(texts(out.values), ['ok\n']);
  assert.is(codeOf(out.error), ErrorCode.INVALID_ARGUMENT);
});

test.run();
