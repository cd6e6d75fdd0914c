import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { RespParser, type RespParserOptions } from '../../../examples/resp/RespParser.js';

interface Outcome {
  commands: string[][];
  error: string | undefined;
  code: string | undefined;
}

/**
 * Feeds `input` cut at `cuts` through one reused read buffer, the way a reader with a static buffer would: each
 * fragment is copied into the same memory, and that memory is scribbled over once the parser is drained. Any
 * argument still viewing an old chunk would then show the scribble.
 */
function parse(input: Buffer, cuts: number[] = [], options: RespParserOptions = {}): Outcome {
  const parser = new RespParser(options);
  const readBuffer = Buffer.alloc(Math.max(1, input.length));
  const commands: string[][] = [];
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < input.length))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, input.length]) {
    input.copy(readBuffer, 0, from, to);
    parser.push(readBuffer.subarray(0, to - from));
    for (let args = parser.next(); args !== undefined; args = parser.next()) {
      const command: string[] = [];
      for (let i = 0; i < args.count; i++) command.push(args.latin1(i));
      commands.push(command);
    }
    readBuffer.fill(0xee);
    from = to;
  }
  return { commands, error: parser.error?.message, code: parser.error?.code };
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const bulk = (arg: string): string => `$${arg.length}\r\n${arg}\r\n`;
const multibulk = (args: string[]): string => `*${args.length}\r\n${args.map(bulk).join('')}`;

// Arguments of any bytes, and inline lines whose tokens need no quoting.
const anyArg = fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('latin1'));
const word = fc.stringMatching(/^[A-Za-z0-9:_.-]{1,8}$/);
const frame = fc.oneof(
  fc.array(anyArg, { minLength: 1, maxLength: 5 }).map((args) => ({ text: multibulk(args), args: [args] })),
  fc
    .tuple(
      fc.array(word, { minLength: 1, maxLength: 4 }),
      fc.constantFrom(' ', '\t', '  '),
      fc.constantFrom('\r\n', '\n'),
    )
    .map(([words, gap, end]) => ({ text: `${words.join(gap)}${end}`, args: [words] })),
  fc.constantFrom('*0\r\n', '*-1\r\n', '\r\n', '\n', '  \t\r\n').map((text) => ({ text, args: [] as string[][] })),
);
const cutsFor = (length: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 12 });

test('every fragmentation of a pipeline yields the same commands, argument bytes intact', () => {
  fc.assert(
    fc.property(
      fc.array(frame, { minLength: 1, maxLength: 8 }).chain((frames) => {
        const text = frames.map((f) => f.text).join('');
        return fc.tuple(fc.constant(frames), fc.constant(text), cutsFor(text.length));
      }),
      ([frames, text, cuts]) => {
        const outcome = parse(latin1(text), cuts);
        assert.equal(outcome.commands, frames.flatMap((f) => f.args));
        assert.is(outcome.error, undefined);
      },
    ),
    { numRuns: 400 },
  );
});

test('every single-byte fragmentation of a pipeline', () => {
  const text = multibulk(['SET', 'key', 'v\r\nalue']) + 'GET key\r\n' + multibulk(['MGET', 'a', '', 'c']) + 'PING\n';
  const cuts = Array.from({ length: text.length }, (_, i) => i);
  const expected = [['SET', 'key', 'v\r\nalue'], ['GET', 'key'], ['MGET', 'a', '', 'c'], ['PING']];
  assert.equal(parse(latin1(text), cuts).commands, expected);
});

test("a NUL before the line end hides it even behind an unbalanced quote, in one read or two (fast-check's counterexample)", () => {
  const options = { maxInlineLength: 4096, maxBulkLength: 40, maxMultibulkLength: 6 };
  const text = latin1("''\u000e\u0000*1\r\n$0\r\n\r\n");
  const whole = parse(text, [], options);
  assert.equal(whole, { commands: [], error: undefined, code: undefined });
  assert.equal(parse(text, [1], options), whole);
});

test('any bytes, any fragmentation: the same commands and the same error as in one read', () => {
  // Lines within the line limit: past it, the outcome depends on where reads end, for Redis too (tested below).
  const options = { maxInlineLength: 4096, maxBulkLength: 40, maxMultibulkLength: 6 };
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc.constantFrom('*', '*2\r\n', '$', '$3\r\n', '\r\n', '\r', '\n', '"', "'", '\\', ' ', '\0', '*-1\r\n', '$-1\r\n'),
    fc.array(anyArg, { minLength: 1, maxLength: 3 }).map(multibulk),
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 10 }).chain((pieces) => {
        const text = pieces.join('');
        return fc.tuple(fc.constant(text), cutsFor(text.length));
      }),
      ([text, cuts]) => {
        const whole = parse(latin1(text), [], options);
        assert.equal(parse(latin1(text), cuts, options), whole);
      },
    ),
    { numRuns: 600 },
  );
});

// A bad frame, the error it must raise, and its code; each is preceded by valid commands in the tests below.
const badFrames: [string, string, string][] = [
  ['*abc\r\n', 'Protocol error: invalid multibulk length', ErrorCode.FRAME_CORRUPT],
  ['*2147483648\r\n', 'Protocol error: invalid multibulk length', ErrorCode.FRAME_TOO_LONG],
  ['*99999999999999999999\r\n', 'Protocol error: invalid multibulk length', ErrorCode.FRAME_CORRUPT],
  ['*01\r\n', 'Protocol error: invalid multibulk length', ErrorCode.FRAME_CORRUPT],
  ['* 1\r\n', 'Protocol error: invalid multibulk length', ErrorCode.FRAME_CORRUPT],
  ['*1\r\n$-1\r\n', 'Protocol error: invalid bulk length', ErrorCode.FRAME_CORRUPT],
  ['*1\r\n$-0\r\n', 'Protocol error: invalid bulk length', ErrorCode.FRAME_CORRUPT],
  ['*1\r\n$x\r\n', 'Protocol error: invalid bulk length', ErrorCode.FRAME_CORRUPT],
  ['*1\r\n$\r\n', 'Protocol error: invalid bulk length', ErrorCode.FRAME_CORRUPT],
  ['*1\r\n$536870913\r\n', 'Protocol error: invalid bulk length', ErrorCode.FRAME_TOO_LONG],
  ['*1\r\n$9223372036854775808\r\n', 'Protocol error: invalid bulk length', ErrorCode.FRAME_CORRUPT],
  ['*2\r\n$3\r\nGET\r\n*1\r\n$1\r\nk\r\n', "Protocol error: expected '$', got '*'", ErrorCode.FRAME_CORRUPT],
  ['*1\r\nx\r\n', "Protocol error: expected '$', got 'x'", ErrorCode.FRAME_CORRUPT],
  ['*1\r\n\r\n', "Protocol error: expected '$', got ' '", ErrorCode.FRAME_CORRUPT],
  ['*1\r\n\xff\r\n', "Protocol error: expected '$', got '\xff'", ErrorCode.FRAME_CORRUPT],
  ['GET "abc\r\n', 'Protocol error: unbalanced quotes in request', ErrorCode.FRAME_CORRUPT],
  ["GET 'a'b\r\n", 'Protocol error: unbalanced quotes in request', ErrorCode.FRAME_CORRUPT],
  ['GET a"b c"d\r\n', 'Protocol error: unbalanced quotes in request', ErrorCode.FRAME_CORRUPT],
];

test('each protocol error: Redis text and code, after the commands before it, for any fragmentation', () => {
  const before = 'PING\r\n' + multibulk(['GET', 'k']);
  for (const [bad, message, code] of badFrames) {
    const input = latin1(before + bad + multibulk(['PING']));
    fc.assert(
      fc.property(cutsFor(input.length), (cuts) => {
        const outcome = parse(input, cuts);
        assert.equal(outcome.commands, [['PING'], ['GET', 'k']], bad.slice(0, 20));
        assert.is(outcome.error, message);
        assert.is(outcome.code, code);
      }),
      { numRuns: bad.length > 1000 ? 5 : 40 },
    );
  }
});

test('a line whose end has come is judged by its content, however long; without its end, 64 KiB pending fails', () => {
  // What redis-server 7.0 answers when each arrives at once (test/examples/resp/oracle.test.ts asks it).
  assert.is(parse(latin1(`*${'1'.repeat(70_000)}\r\n`)).error, 'Protocol error: invalid multibulk length');
  assert.is(parse(latin1(`*${'1'.repeat(70_000)}\r\n`), [65_536]).error, 'Protocol error: invalid multibulk length');
  const long = 'a'.repeat(70_000);
  assert.equal(parse(latin1(`ECHO ${long}\r\n`), [65_536]).commands, [['ECHO', long]]);
  // A read that ends with more than 64 KiB pending and no line end fails, whatever comes next.
  assert.is(parse(latin1(`*${'1'.repeat(65_535)}`)).error, undefined);
  assert.is(parse(latin1(`*${'1'.repeat(65_536)}`)).error, 'Protocol error: too big mbulk count string');
  assert.is(parse(latin1(`*${'1'.repeat(200_000)}\r\n`), [131_072]).error, 'Protocol error: too big mbulk count string');
  assert.is(parse(latin1(`*1\r\n$${'1'.repeat(65_537)}`)).error, 'Protocol error: too big bulk count string');
  assert.is(parse(latin1('A'.repeat(65_537))).error, 'Protocol error: too big inline request');
  assert.is(parse(latin1(`${'A'.repeat(65_537)}\r\n`), [65_537]).error, 'Protocol error: too big inline request');
  // A header line whose CR has come waits for the byte after it, however long.
  assert.is(parse(latin1(`*${'1'.repeat(70_000)}\r`)).error, undefined);
});

test('a NUL hides the end of an inline or header line, as strchr does for Redis: nothing more runs', () => {
  for (const [stuck, message] of [
    ['SET k a\0b\r\nPING\r\n', 'Protocol error: too big inline request'],
    ['GET "a\0b"\r\n', 'Protocol error: too big inline request'],
    ['*1\0\r\n$4\r\nPING\r\n', 'Protocol error: too big mbulk count string'],
    ['*1\r\n\0\r\n', 'Protocol error: too big bulk count string'],
    ['*1\r\n$4\0\r\nPING\r\n', 'Protocol error: too big bulk count string'],
  ] as const) {
    const input = `PING\r\n${stuck}`;
    for (const cuts of [[], [7], [8, 9, 10], [input.length - 1]]) {
      const outcome = parse(latin1(input), cuts);
      assert.equal(outcome.commands, [['PING']], JSON.stringify(stuck));
      assert.is(outcome.error, undefined);
      // Whatever follows only adds to what is pending: past 64 KiB the line is too big.
      const more = parse(latin1(input + 'PING\r\n'.repeat(11_000)), [...cuts, input.length]);
      assert.equal(more.commands, [['PING']]);
      assert.is(more.error, message, JSON.stringify(stuck));
    }
  }
});

test('the limits are options', () => {
  const options = { maxInlineLength: 8, maxBulkLength: 3, maxMultibulkLength: 2 };
  // The limit counts every byte pending without a line end, at the end of a read.
  assert.equal(parse(latin1('GET abcd\r\n'), [], options).commands, [['GET', 'abcd']]);
  assert.is(parse(latin1('GET abcde'), [], options).error, 'Protocol error: too big inline request');
  assert.is(parse(latin1('GET abcd\r\n'), [9], options).error, 'Protocol error: too big inline request');
  assert.equal(parse(latin1(multibulk(['GET', 'abc'])), [], options).commands, [['GET', 'abc']]);
  assert.is(parse(latin1(multibulk(['GET', 'abcd'])), [], options).error, 'Protocol error: invalid bulk length');
  assert.is(parse(latin1(multibulk(['A', 'B', 'C'])), [], options).error, 'Protocol error: invalid multibulk length');
  assert.is(parse(latin1('*123456789'), [], options).error, 'Protocol error: too big mbulk count string');
  assert.is(parse(latin1('*1\r\n$123456789'), [], options).error, 'Protocol error: too big bulk count string');
  assert.is(parse(latin1('*1\r\n$1234567\r'), [], options).error, undefined);
  assert.is(parse(latin1('*1\r\n$1234567\r'), [2, 8], options).error, undefined);
  assert.is(parse(latin1('*1\r\n$12345678'), [2, 8], options).error, 'Protocol error: too big bulk count string');
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    try {
      new RespParser({ maxBulkLength: bad });
      assert.unreachable(`accepted ${bad}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test('a command over maxQueryBuffer fails without a reply; under it, any number of arguments', () => {
  const parser = new RespParser({ maxQueryBuffer: 1000 });
  parser.push(latin1('*100\r\n' + '$1\r\nx\r\n'.repeat(40)));
  assert.is(parser.next(), undefined);
  assert.is(parser.error, undefined);
  parser.push(latin1('$1\r\nx\r\n'.repeat(30)));
  assert.is(parser.next(), undefined);
  assert.is(parser.error?.code, ErrorCode.FRAME_TOO_LONG);
  assert.is(parser.replyToError, false);
  assert.is(parser.buffered, 0);
  const accepted = parse(latin1(multibulk(['MSET', ...Array.from({ length: 1048577 }, () => 'v')])), [5, 100_000, 3_000_000]);
  assert.is(accepted.error, undefined);
  assert.is(accepted.commands[0]!.length, 1048578);
});

test('empty and negative multibulk counts run nothing; a zero-length bulk is an empty argument', () => {
  assert.equal(parse(latin1('*0\r\n*-1\r\n*-5\r\nPING\r\n*1\r\n$0\r\n\r\n')).commands, [['PING'], ['']]);
});

test('like Redis, the two bytes after a bulk are skipped unchecked and CR need not precede LF', () => {
  assert.equal(parse(latin1('*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n')).commands, [['PING'], ['PING']]);
  assert.equal(parse(latin1('*1\rX$4\r\nPING\r\n')).commands, [['PING']]);
  assert.equal(parse(latin1('PING\nPING\r\r\n')).commands, [['PING'], ['PING']]);
});

test('inline commands: quoting, escapes, blanks, CRLF injection', () => {
  const cases: [string, string[][]][] = [
    ['SET k "a\\r\\nb"\r\n', [['SET', 'k', 'a\r\nb']]],
    ['ECHO "\\x41\\x4g\\n\\q"\r\n', [['ECHO', 'Ax4g\nq']]],
    ["ECHO 'it\\'s' \"\"\r\n", [['ECHO', "it's", '']]],
    ['ECHO a"b c" d\r\n', [['ECHO', 'ab c', 'd']]],
    ['ECHO a\rb\r\n', [['ECHO', 'a', 'b']]],
    ['\x0bECHO a\x0bb\r\n', [['ECHO', 'a\x0bb']]],
    ['SET a b\r\nDEL a\r\n', [['SET', 'a', 'b'], ['DEL', 'a']]],
    ['$3\r\n', [['$3']]],
    ['  \t \r\n\r\n\n', []],
    ['ECHO "a" \'b\' "" \'\'\r\n', [['ECHO', 'a', 'b', '', '']]],
    ['ECHO "\\"" \'\\"\'\r\n', [['ECHO', '"', '\\"']]],
    ['ECHO "a\\\\b"\r\n', [['ECHO', 'a\\b']]],
    ['ECHO "\\xZZ\\x4"\r\n', [['ECHO', 'xZZx4']]],
  ];
  for (const [line, commands] of cases) assert.equal(parse(latin1(line)).commands, commands, JSON.stringify(line));
});

test('an argument of 32 KiB or more is filled in place across reads', () => {
  const big = 'x'.repeat(40_000) + 'END';
  const text = multibulk(['SET', 'k', big]) + 'PING\r\n' + multibulk(['ECHO', 'y'.repeat(70_000)]);
  const input = latin1(text);
  const expected = [['SET', 'k', big], ['PING'], ['ECHO', 'y'.repeat(70_000)]];
  for (const cuts of [[], [20], [20, 30, 40_016, 40_017], [20, 40_020], [40_019], [1000, 2000, 3000, 50_000, 60_000]]) {
    assert.equal(parse(input, cuts).commands, expected, String(cuts));
  }
  fc.assert(
    fc.property(cutsFor(input.length), (cuts) => {
      assert.equal(parse(input, cuts).commands, expected);
    }),
    { numRuns: 30 },
  );
});

test('buffered counts what an unfinished command holds', () => {
  const parser = new RespParser();
  parser.push(latin1('*2\r\n$3\r\nGET\r\n$5\r\nab'));
  assert.is(parser.next(), undefined);
  // GET, kept in the arena, and the stashed start of the argument.
  assert.is(parser.buffered, 5);
  parser.push(latin1('c'));
  assert.is(parser.next(), undefined);
  assert.is(parser.buffered, 6);
  parser.push(latin1(`de\r\n*1\r\n$40000\r\n${'z'.repeat(100)}`));
  assert.equal(parser.next()?.toArray().map(String), ['GET', 'abcde']);
  assert.is(parser.next(), undefined);
  assert.is(parser.buffered, 100);
});

test('an empty read changes nothing, wherever it falls', () => {
  const text = '*1\r\n$4\r\nPING\r\nECHO x\r\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const parser = new RespParser();
    const seen: string[] = [];
    for (const chunk of [text.slice(0, cut), '', text.slice(cut)]) {
      parser.push(latin1(chunk));
      for (let args = parser.next(); args !== undefined; args = parser.next()) seen.push(args.latin1(0));
    }
    assert.equal(seen, ['PING', 'ECHO'], String(cut));
  }
});

test('push before draining is refused; after an error, input is ignored', () => {
  const parser = new RespParser();
  parser.push(latin1('PING\r\nPING\r\n'));
  assert.ok(parser.next());
  try {
    parser.push(latin1('PING\r\n'));
    assert.unreachable('push accepted');
  } catch (error) {
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  }
  const failed = new RespParser();
  failed.push(latin1('*x\r\n'));
  assert.is(failed.next(), undefined);
  failed.push(latin1('PING\r\n'));
  assert.is(failed.next(), undefined);
  assert.is(failed.error?.message, 'Protocol error: invalid multibulk length');
  assert.is(failed.buffered, 0);
});

test('a million-argument header alone reserves no million slots', () => {
  const parser = new RespParser();
  parser.push(latin1('*1048576\r\n'));
  assert.is(parser.next(), undefined);
  assert.is(parser.error, undefined);
  assert.is(parser.buffered, 0);
});

test('many arguments, more than the initial argument array', () => {
  const args = Array.from({ length: 3000 }, (_, i) => String(i));
  const outcome = parse(latin1(multibulk(['MSET', ...args])), [5, 500, 9000]);
  assert.equal(outcome.commands, [['MSET', ...args]]);
});

test.run();
