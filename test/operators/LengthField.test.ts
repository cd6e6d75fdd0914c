import fc from 'fast-check';
import { of } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { encodeLengthPrefixed, lengthPrefixed, type LengthFieldOptions } from '../../operators/index.js';
import { LengthField } from '../../operators/LengthField.js';
import { collect, failure, texts } from '../support/collect.js';

const sizes = [1, 2, 4, 8] as const;

test('the defaults: a 4-byte big-endian field that counts the body alone', () => {
  const field = new LengthField({});
  assert.is(field.bytes, 4);
  assert.is(field.adjust, 0);
  assert.is(field.maxValue, 0xffff_ffff);
  const buffer = Buffer.alloc(4);
  field.write(buffer, 0, 0x01020304);
  assert.equal([...buffer], [1, 2, 3, 4], 'network order');
  assert.is(field.read(buffer, 0), 0x01020304);
});

test('every size and byte order writes the layout it names and reads back what it wrote, at any offset', () => {
  fc.assert(fc.property(
    fc.constantFrom(...sizes),
    fc.constantFrom('big' as const, 'little' as const),
    fc.nat(5),
    fc.double({ min: 0, max: 1, noNaN: true }),
    (lengthBytes, endian, offset, fraction) => {
      const field = new LengthField({ lengthBytes, endian });
      const value = Math.floor(fraction * field.maxValue);
      const buffer = Buffer.alloc(offset + lengthBytes + 2, 0xaa);
      field.write(buffer, offset, value);
      assert.is(field.read(buffer, offset), value);
      assert.is(field.describe(buffer, offset), String(value));
      const expected = lengthBytes === 8 ? BigInt(value) : value;
      const readers: Record<string, () => number | bigint> = {
        '1big': () => buffer.readUInt8(offset),
        '1little': () => buffer.readUInt8(offset),
        '2big': () => buffer.readUInt16BE(offset),
        '2little': () => buffer.readUInt16LE(offset),
        '4big': () => buffer.readUInt32BE(offset),
        '4little': () => buffer.readUInt32LE(offset),
        '8big': () => buffer.readBigUInt64BE(offset),
        '8little': () => buffer.readBigUInt64LE(offset),
      };
      assert.is(readers[`${lengthBytes}${endian}`]!(), expected, 'the bytes are the layout Node reads');
      assert.is(buffer[offset - 1] ?? 0xaa, 0xaa, 'nothing before the field is touched');
      assert.is(buffer[offset + lengthBytes], 0xaa, 'nothing after it either');
    },
  ), { numRuns: 300 });
});

test('maxValue is the largest value each size holds exactly; 8 bytes stop at Number.MAX_SAFE_INTEGER', () => {
  assert.equal(sizes.map((lengthBytes) => new LengthField({ lengthBytes }).maxValue), [0xff, 0xffff, 0xffff_ffff, Number.MAX_SAFE_INTEGER]);
  const field = new LengthField({ lengthBytes: 8, endian: 'little' });
  const buffer = Buffer.alloc(8);
  field.write(buffer, 0, Number.MAX_SAFE_INTEGER);
  assert.is(buffer.readBigUInt64LE(0), BigInt(Number.MAX_SAFE_INTEGER));
  assert.is(field.read(buffer, 0), Number.MAX_SAFE_INTEGER);
});

test('an 8-byte field above Number.MAX_SAFE_INTEGER reads as Infinity, and describe still gives it exactly', () => {
  for (const endian of ['big', 'little'] as const) {
    const field = new LengthField({ lengthBytes: 8, endian });
    const buffer = Buffer.alloc(8);
    const huge = 2n ** 53n;
    if (endian === 'big') buffer.writeBigUInt64BE(huge);
    else buffer.writeBigUInt64LE(huge);
    assert.is(field.read(buffer, 0), Infinity, endian);
    assert.is(field.describe(buffer, 0), '9007199254740992', endian);
    buffer.fill(0xff);
    assert.is(field.read(buffer, 0), Infinity);
    assert.is(field.describe(buffer, 0), '18446744073709551615');
  }
});

test('bad options throw ERR_INVALID_ARGUMENT, saying what was expected and what came', () => {
  const cases: [LengthFieldOptions, RegExp][] = [
    [{ lengthBytes: 3 as 4 }, /expected lengthBytes 1, 2, 4 or 8, got 3/],
    [{ lengthBytes: 0 as 4 }, /expected lengthBytes 1, 2, 4 or 8, got 0/],
    [{ lengthBytes: '4' as unknown as 4 }, /expected lengthBytes 1, 2, 4 or 8, got 4/],
    [{ endian: 'middle' as 'big' }, /expected endian 'big' or 'little', got middle/],
    [{ adjust: 1.5 }, /expected adjust to be a safe integer, got 1.5/],
    [{ adjust: Number.NaN }, /expected adjust to be a safe integer, got NaN/],
    [{ adjust: 2 ** 53 }, /expected adjust to be a safe integer, got 9007199254740992/],
  ];
  for (const [options, message] of cases) {
    const error = failure(() => new LengthField(options));
    assert.is(error.code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(options));
    assert.match(error.message, message);
  }
  assert.is(new LengthField({ adjust: -8 }).adjust, -8, 'a negative adjust is fine');
});

test('the TSDoc example: a 2-byte little-endian length that counts itself, encoded and decoded', () => {
  const field: LengthFieldOptions = { lengthBytes: 2, endian: 'little', adjust: -2 };
  const decode = lengthPrefixed(field);
  const encode = encodeLengthPrefixed(field);
  const wire = collect(of('hi', '', 'there').pipe(encode));
  assert.equal(wire.values.map((frame) => [...frame.subarray(0, 2)]), [[4, 0], [2, 0], [7, 0]], 'the field counts its own 2 bytes');
  const frames = collect(of(Buffer.concat(wire.values)).pipe(decode));
  assert.equal(texts(frames.values), ['hi', '', 'there']);
  assert.ok(frames.completed);
});

test.run();
