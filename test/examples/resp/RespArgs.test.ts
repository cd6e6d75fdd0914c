import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RespArgs } from '../../../examples/resp/RespArgs.js';

/** Args over one buffer: each [start, end) range is an argument. */
function argsOf(source: Buffer, ranges: [number, number][]): RespArgs {
  const args = new RespArgs();
  ranges.forEach(([start, end], i) => {
    args.sources[i] = source;
    args.starts[i] = start;
    args.ends[i] = end;
  });
  args.count = ranges.length;
  return args;
}

test('reads ranges as lengths, latin1 keys, views and integers', () => {
  const source = Buffer.from('xxSETxk\xffxx-42x9007199254740993', 'latin1');
  const args = argsOf(source, [[2, 5], [6, 8], [10, 13], [14, 30]]);
  assert.is(args.length(0), 3);
  assert.is(args.latin1(1), 'k\xff');
  assert.is(args.buffer(0).toString(), 'SET');
  assert.is(args.integer(2), -42);
  assert.ok(Number.isNaN(args.integer(0)));
  assert.is(args.bigint(3), 9007199254740993n);
  assert.equal(args.toArray().map((arg) => arg.toString('latin1')), ['SET', 'k\xff', '-42', '9007199254740993']);
});

test('copy owns its bytes, short or long', () => {
  const long = 'L'.repeat(100);
  const source = Buffer.from(`abc${long}`);
  const args = argsOf(source, [[0, 3], [3, 103], [0, 0]]);
  const short = args.copy(0);
  const big = args.copy(1);
  const empty = args.copy(2);
  source.fill(0x21);
  assert.is(short.toString(), 'abc');
  assert.is(big.toString(), long);
  assert.is(empty.length, 0);
});

test('is compares with a lowercase word in any letter case', () => {
  const args = argsOf(Buffer.from('KeepTTL keepttl  ex E\x18'), [[0, 7], [8, 16], [17, 19], [20, 22]]);
  assert.ok(args.is(0, 'keepttl'));
  assert.not.ok(args.is(1, 'keepttl'));
  assert.ok(args.is(2, 'ex'));
  assert.not.ok(args.is(2, 'px'));
  assert.not.ok(args.is(3, 'ex'));
});

test.run();
