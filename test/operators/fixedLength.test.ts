import fc from 'fast-check';
import { Observable, Subject, of, take } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { checkDecoder } from '../../operators/checkDecoder.js';
import { fixedLength } from '../../operators/fixedLength.js';
import { codeOf, collect, texts } from '../support/collect.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

test('empty input completes with no frames', () => {
  const out = collect(of<Buffer>().pipe(fixedLength(4)));
  assert.equal(out.values, []);
  assert.ok(out.completed);
});

test('one frame, then many across chunks', () => {
  assert.equal(texts(collect(of(b('abc')).pipe(fixedLength(3))).values), ['abc']);
  const out = collect(of(b('ab'), b('cdefg'), b('h'), b(''), b('i')).pipe(fixedLength(3)));
  assert.equal(texts(out.values), ['abc', 'def', 'ghi']);
  assert.ok(out.completed);
});

test('a partial frame at completion fails with ERR_FRAME_TRUNCATED stating the pending bytes', () => {
  const out = collect(of(b('abcde')).pipe(fixedLength(3)));
  assert.equal(texts(out.values), ['abc']);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TRUNCATED);
  assert.match((out.error as Error).message, /3 bytes.*2 bytes/);
});

test('a source error passes through; take(1) stops mid-chunk and tears down', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(fixedLength(2)));
  const boom = new Error('boom');
  input.next(b('abc'));
  input.error(boom);
  assert.equal(texts(out.values), ['ab']);
  assert.is(out.error, boom);

  let torn = false;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(b('aabbcc'));
    return () => {
      torn = true;
    };
  });
  const first = collect(source.pipe(fixedLength(2), take(1)));
  assert.equal(texts(first.values), ['aa']);
  assert.ok(torn);
});

test('batch mode emits the frames of each chunk together', () => {
  const out = collect(of(b('aabbc'), b('c'), b('d')).pipe(fixedLength(2, { batch: true })));
  assert.equal(out.values.map(texts), [['aa', 'bb'], ['cc']]);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TRUNCATED);
});

test('copy: false emits views of the chunk; the default emits owned frames', () => {
  const chunk = Buffer.alloc(4);
  chunk.write('aabb', 'latin1');
  const views = collect(of(chunk).pipe(fixedLength(2, { copy: false })));
  assert.is(views.values[1]!.buffer, chunk.buffer);
  const owned = collect(of(chunk).pipe(fixedLength(2)));
  chunk.fill(0);
  assert.equal(texts(owned.values), ['aa', 'bb']);
});

test('a size that is not a positive integer throws ERR_INVALID_ARGUMENT at once', () => {
  for (const size of [0, -1, 1.5, Number.NaN, undefined as unknown as number]) {
    try {
      fixedLength(size);
      assert.unreachable(`should have thrown for ${size}`);
    } catch (error) {
      assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test('property: any frames of the size in any fragmentation', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }).chain((size) =>
        fc.tuple(fc.constant(size), fc.array(fc.uint8Array({ minLength: size, maxLength: size }), { maxLength: 12 })),
      ),
      fc.integer(),
      ([size, frames], seed) => {
        const encode = (frame: Buffer): Buffer => frame;
        checkDecoder(() => fixedLength(size), frames, encode, { seed, runs: 10 });
        checkDecoder(() => fixedLength(size, { batch: true }), frames, encode, { seed, runs: 5 });
        checkDecoder(() => fixedLength(size, { copy: false }), frames, encode, { seed, runs: 5, ownedFrames: false });
      },
    ),
  );
});

test.run();
