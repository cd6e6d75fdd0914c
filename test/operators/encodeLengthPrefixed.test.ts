import { of } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { encodeLengthPrefixed, encodeLengthPrefixedFrame } from '../../operators/encodeLengthPrefixed.js';
import { codeOf, collect } from '../support/collect.js';

const hex = (buffer: Buffer): string => buffer.toString('hex');

test('writes every lengthBytes and endian', () => {
  assert.is(hex(encodeLengthPrefixedFrame('hi')), '000000026869');
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 1 })), '026869');
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 2, endian: 'little' })), '02006869');
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 4, endian: 'little' })), '020000006869');
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 8 })), '00000000000000026869');
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 8, endian: 'little' })), '02000000000000006869');
  assert.is(hex(encodeLengthPrefixedFrame(new Uint8Array(0), { lengthBytes: 2 })), '0000');
});

test('the field is the body length minus adjust', () => {
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 2, adjust: -2 })), '00046869');
  assert.is(hex(encodeLengthPrefixedFrame('hi', { lengthBytes: 1, adjust: 2 })), '006869');
});

test('the operator encodes each frame', () => {
  const out = collect(of('a', Buffer.from('bc')).pipe(encodeLengthPrefixed({ lengthBytes: 1 })));
  assert.equal(out.values.map(hex), ['0161', '026263']);
  assert.ok(out.completed);
});

test('a frame whose field does not fit fails with ERR_FRAME_TOO_LONG', () => {
  assert.is(hex(encodeLengthPrefixedFrame(Buffer.alloc(255), { lengthBytes: 1 }).subarray(0, 1)), 'ff');
  try {
    encodeLengthPrefixedFrame(Buffer.alloc(256), { lengthBytes: 1 });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is(codeOf(error), ErrorCode.FRAME_TOO_LONG);
  }
  const out = collect(of(Buffer.alloc(1), Buffer.alloc(70000)).pipe(encodeLengthPrefixed({ lengthBytes: 2 })));
  assert.is(out.values.length, 1);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
});

test('a negative field or bad options fail with ERR_INVALID_ARGUMENT', () => {
  for (const make of [
    () => encodeLengthPrefixedFrame('a', { adjust: 2 }),
    () => encodeLengthPrefixed({ lengthBytes: 3 as never }),
    () => encodeLengthPrefixed({ endian: 'BIG' as never }),
  ]) {
    try {
      make();
      assert.unreachable('should have thrown');
    } catch (error) {
      assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test.run();
