import fc from 'fast-check';
import { Observable, Subject, of, take } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { checkDecoder } from '../../operators/checkDecoder.js';
import { delimited } from '../../operators/delimited.js';
import { encodeDelimitedFrame } from '../../operators/encodeDelimited.js';
import { codeOf, collect, texts } from '../support/collect.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

test('empty input completes with no frames', () => {
  const out = collect(of<Buffer>().pipe(delimited('\r\n')));
  assert.equal(out.values, []);
  assert.ok(out.completed);
});

test('one frame', () => {
  const out = collect(of(b('hello\r\n')).pipe(delimited('\r\n')));
  assert.equal(texts(out.values), ['hello']);
  assert.ok(out.completed);
});

test('many frames, including empty ones and a delimiter split over three chunks', () => {
  const out = collect(of(b('ab\r'), b('\n'), b('\r'), b('\ncd\r\n\r\n\r\n\r\nx\r\n\r\n')).pipe(delimited('\r\n\r\n')));
  assert.equal(texts(out.values), ['ab', 'cd', '', 'x']);
  assert.ok(out.completed);
});

test('the leftmost match wins for self-overlapping delimiters', () => {
  assert.equal(texts(collect(of(b('xa'), b('a'), b('ab')).pipe(delimited('aab'))).values), ['xa']);
  assert.equal(texts(collect(of(b('zab'), b('abab')).pipe(delimited('abab'))).values), ['z']);
  const out = collect(of(b('aaaa')).pipe(delimited('aa')));
  assert.equal(texts(out.values), ['', '']);
  assert.ok(out.completed);
});

test('binary delimiters given as Uint8Array are copied', () => {
  const delimiter = new Uint8Array([0, 0xff]);
  const operator = delimited(delimiter);
  delimiter[0] = 1;
  const out = collect(of(Buffer.from([1, 0, 0xff, 2, 0]), Buffer.from([0xff])).pipe(operator));
  assert.equal(out.values.map((frame) => [...frame]), [[1], [2]]);
});

test('keepDelimiter emits each frame with its delimiter', () => {
  const out = collect(of(b('a;;b;'), b(';')).pipe(delimited(';;', { keepDelimiter: true })));
  assert.equal(texts(out.values), ['a;;', 'b;;']);
});

test('a source error passes through after the frames before it', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(delimited('|')));
  const boom = new Error('boom');
  input.next(b('a|b'));
  input.error(boom);
  assert.equal(texts(out.values), ['a']);
  assert.is(out.error, boom);
});

test('unsubscribing runs the source teardown; take(1) stops mid-chunk', () => {
  let torn = 0;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(b('a||b||c||'));
    return () => {
      torn++;
    };
  });
  const first = collect(source.pipe(delimited('||'), take(1)));
  assert.equal(texts(first.values), ['a']);
  assert.is(torn, 1);
  const all = collect(source.pipe(delimited('||')));
  all.subscription.unsubscribe();
  assert.is(torn, 2);
});

test('a frame of exactly maxLength passes, also with keepDelimiter', () => {
  const out = collect(of(b('12345678\r\n\r'), b('\n')).pipe(delimited('\r\n\r\n', { maxLength: 8 })));
  assert.equal(texts(out.values), ['12345678']);
  const kept = collect(of(b('1234;;')).pipe(delimited(';;', { maxLength: 4, keepDelimiter: true })));
  assert.equal(texts(kept.values), ['1234;;']);
});

test('maxLength + 1 fails with ERR_FRAME_TOO_LONG before the delimiter arrives', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(delimited('\r\n\r\n', { maxLength: 8 })));
  input.next(b('12345678\r\n\r'));
  assert.not.ok(out.failed, 'a delimiter prefix after maxLength bytes may still end the frame');
  input.next(b('\n12345678'));
  assert.equal(texts(out.values), ['12345678']);
  input.next(b('9'));
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
  assert.match((out.error as Error).message, /at most 8 bytes/);
});

test('a frame that grows past maxLength inside one chunk fails', () => {
  const out = collect(of(b('ok|123456789|')).pipe(delimited('|', { maxLength: 8 })));
  assert.equal(texts(out.values), ['ok']);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
  const across = collect(of(b('12345'), b('6789|')).pipe(delimited('|', { maxLength: 8 })));
  assert.is(codeOf(across.error), ErrorCode.FRAME_TOO_LONG);
});

test('a partial frame (or partial delimiter) at completion fails with ERR_FRAME_TRUNCATED', () => {
  const out = collect(of(b('a\r\n\r\nabc\r\n\r')).pipe(delimited('\r\n\r\n')));
  assert.equal(texts(out.values), ['a']);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TRUNCATED);
  assert.match((out.error as Error).message, /6 bytes/);
});

test('batch mode emits the frames of each chunk together', () => {
  const out = collect(of(b('a|b|c'), b('c'), b('|')).pipe(delimited('|', { batch: true })));
  assert.equal(out.values.map(texts), [['a', 'b'], ['cc']]);
  assert.ok(out.completed);
});

test('copy: false emits views of the chunk; the default does not', () => {
  const chunk = Buffer.alloc(8);
  chunk.write('ab||cd||', 'latin1');
  const views = collect(of(chunk).pipe(delimited('||', { copy: false })));
  assert.is(views.values[1]!.buffer, chunk.buffer);
  const copies = collect(of(chunk).pipe(delimited('||')));
  assert.is.not(copies.values[1]!.buffer, chunk.buffer);
  assert.equal(texts(copies.values), ['ab', 'cd']);
});

test('an empty delimiter or a bad maxLength throws ERR_INVALID_ARGUMENT at once', () => {
  const makers = [() => delimited(''), () => delimited(new Uint8Array(0)), () => delimited('|', { maxLength: -3 })];
  for (const make of makers) {
    try {
      make();
      assert.unreachable('should have thrown');
    } catch (error) {
      assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
    }
  }
});

// A two-letter alphabet makes partial and overlapping delimiter matches common.
const delimiterArb = fc.constantFrom('a', 'ab', 'aa', 'aab', 'aba', 'abab', 'bbab');
const bytesArb = fc.array(fc.constantFrom(0x61, 0x62), { maxLength: 10 }).map((bytes) => Buffer.from(bytes));
const framesFor = (delimiter: string): fc.Arbitrary<Buffer[]> =>
  fc.array(
    bytesArb.filter((frame) => Buffer.concat([frame, b(delimiter)]).indexOf(delimiter) === frame.length),
    { maxLength: 10 },
  );

test('property: any frames, any delimiter, any fragmentation', () => {
  fc.assert(
    fc.property(
      delimiterArb.chain((delimiter) => fc.tuple(fc.constant(delimiter), framesFor(delimiter))),
      fc.integer(),
      ([delimiter, frames], seed) => {
        const encode = (frame: Buffer): Buffer => encodeDelimitedFrame(frame, delimiter);
        checkDecoder(() => delimited(delimiter), frames, encode, { seed, runs: 10 });
        checkDecoder(() => delimited(delimiter, { batch: true }), frames, encode, { seed, runs: 5 });
        checkDecoder(() => delimited(delimiter, { copy: false }), frames, encode, {
          seed,
          runs: 5,
          ownedFrames: false,
        });
      },
    ),
  );
});

test('property: keepDelimiter returns the wire bytes frame by frame', () => {
  fc.assert(
    fc.property(
      delimiterArb.chain((delimiter) => fc.tuple(fc.constant(delimiter), framesFor(delimiter))),
      fc.integer(),
      ([delimiter, frames], seed) => {
        const wireFrames = frames.map((frame) => encodeDelimitedFrame(frame, delimiter));
        checkDecoder(() => delimited(delimiter, { keepDelimiter: true }), wireFrames, (frame) => frame, {
          seed,
          runs: 10,
        });
      },
    ),
  );
});

test('hostile input: binary garbage gives frames within maxLength or a frame error, never a throw', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const out = collect(of(...chunks.map((chunk) => Buffer.from(chunk))).pipe(delimited('\r\n', { maxLength: 16 })));
      for (const frame of out.values) assert.ok(frame.length <= 16);
      if (out.failed) {
        assert.ok([ErrorCode.FRAME_TOO_LONG, ErrorCode.FRAME_TRUNCATED].includes(codeOf(out.error) as never));
      } else {
        assert.ok(out.completed);
      }
    }),
  );
});

test.run();
