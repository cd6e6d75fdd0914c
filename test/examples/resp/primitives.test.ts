// Small pure helpers of the RESP example: integers, glob, digest, C-string formatting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cString } from '../../../examples/resp/commandErrors.js';
import { digest } from '../../../examples/resp/digest.js';
import { globMatch } from '../../../examples/resp/globMatch.js';
import { integerValue } from '../../../examples/resp/integerValue.js';
import { LLONG_MAX, LLONG_MIN, parseInteger } from '../../../examples/resp/parseInteger.js';
import { integerLength, writeInteger } from '../../../examples/resp/writeInteger.js';
import { createHash } from 'node:crypto';

const int = (text: string): number => parseInteger(Buffer.from(text, 'latin1'), 0, text.length);

test('parseInteger accepts what string2ll accepts', () => {
  const good: [string, number][] = [
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['42', 42],
    ['9007199254740991', 9007199254740991],
    ['9223372036854775807', 9223372036854775807],
    ['-9223372036854775808', -9223372036854775808],
  ];
  for (const [text, value] of good) assert.is(int(text), value, text);
  const bad = ['', '-', '+1', '-0', '00', '01', ' 1', '1 ', '1.0', '1e3', 'abc', '0x10', '9223372036854775808',
    '-9223372036854775809', '10000000000000000000', '99999999999999999999', '123456789012345678901', '1\0'];
  for (const text of bad) assert.ok(Number.isNaN(int(text)), JSON.stringify(text));
  assert.is(parseInteger(Buffer.from('*123\r\n'), 1, 4), 123);
});

test('integerLength and writeInteger', () => {
  const values = [0, 7, 9, 10, 99, 100, -1, -10, 123456789, -987654321];
  values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
  for (const value of values) {
    const buf = Buffer.alloc(24, 0x20);
    const end = writeInteger(buf, 2, value);
    assert.is(buf.toString('latin1', 2, end), String(value));
    assert.is(integerLength(value), String(value).length);
    assert.is(buf[1], 0x20);
    assert.is(buf[end], 0x20);
  }
});

test('integerValue shares the buffers of small integers', () => {
  assert.is(integerValue(0).toString(), '0');
  assert.is(integerValue(9999), integerValue(9999));
  assert.is(integerValue(42).toString(), '42');
  assert.is.not(integerValue(10_000), integerValue(10_000));
  assert.is(integerValue(10_000).toString(), '10000');
  assert.is(integerValue(-1).toString(), '-1');
  assert.is.not(integerValue(-1), integerValue(-1));
});

test('globMatch follows Redis stringmatch, ignoring case', () => {
  const yes: [string, string][] = [
    ['*', 'save'], ['save', 'SAVE'], ['s*', 'save'], ['*e', 'save'], ['s?ve', 'save'], ['s[a-c]ve', 'save'],
    ['s[c-a]ve', 'save'], ['s[^x]ve', 'save'], ['s[xa]ve', 'save'], ['s\\ave', 'save'], ['**a**', 'save'],
    ['s[\\a]ve', 'save'], ['sav*', 'sav'], ['a*b*c', 'aXXbYYc'],
  ];
  const no: [string, string][] = [
    ['s', 'save'], ['s?', 'save'], ['s[^a]ve', 'save'], ['s[xy]ve', 'save'], ['a*b*c', 'aXXbYY'], ['save\\', 'save'],
    ['*x', 'save'], ['', 'save'], ['save?', 'save'], ['[', '['], ['ab[', 'ab['],
  ];
  for (const [pattern, subject] of yes) assert.ok(globMatch(pattern, subject), `${pattern} ~ ${subject}`);
  for (const [pattern, subject] of no) assert.not.ok(globMatch(pattern, subject), `${pattern} !~ ${subject}`);
});

test('digest: SHA-256, iterated over the raw digest', () => {
  const once = createHash('sha256').update('v').digest();
  const twice = createHash('sha256').update(once).digest();
  assert.is(digest(Buffer.from('v'), 1), once.toString('hex'));
  assert.is(digest(Buffer.from('v'), 2), twice.toString('hex'));
  assert.is(digest(Buffer.alloc(0), 1), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('cString cuts at NUL or at the precision', () => {
  assert.is(cString(Buffer.from('ab\0cd'), 10), 'ab');
  assert.is(cString(Buffer.from('abcdef'), 3), 'abc');
  assert.is(LLONG_MAX, 2n ** 63n - 1n);
  assert.is(LLONG_MIN, -(2n ** 63n));
});

test.run();
