import { of } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { encodeDelimited, encodeDelimitedFrame } from '../../operators/encodeDelimited.js';
import { codeOf, collect, texts } from '../support/collect.js';

test('appends the delimiter to strings, buffers and empty frames', () => {
  const out = collect(of('a=1', Buffer.from('b'), '').pipe(encodeDelimited('\r\n\r\n')));
  assert.equal(texts(out.values), ['a=1\r\n\r\n', 'b\r\n\r\n', '\r\n\r\n']);
  assert.ok(out.completed);
  assert.equal([...encodeDelimitedFrame(new Uint8Array([1]), new Uint8Array([0, 0]))], [1, 0, 0]);
});

test('a frame that would not decode whole is refused with ERR_INVALID_ARGUMENT', () => {
  for (const [frame, delimiter] of [
    ['a|b', '|'],
    ['ab', 'aba'], // 'ab' + 'aba' = 'ababa': the leftmost 'aba' starts at 0
    ['x\r\n', '\r\n\r\n'],
  ] as const) {
    try {
      encodeDelimitedFrame(frame, delimiter);
      assert.unreachable(`should have refused ${JSON.stringify(frame)}`);
    } catch (error) {
      assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
    }
  }
  const out = collect(of('ok', 'b|d').pipe(encodeDelimited('|')));
  assert.equal(texts(out.values), ['ok|']);
  assert.is(codeOf(out.error), ErrorCode.INVALID_ARGUMENT);
});

test('an empty delimiter throws ERR_INVALID_ARGUMENT at once', () => {
  try {
    encodeDelimited('');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
  }
});

test.run();
