import fc from 'fast-check';
import { Observable, Subject, of } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { decodeUtf8 } from '../../operators/decodeUtf8.js';
import { codeOf, collect } from '../support/collect.js';

/** Cuts `bytes` at the given offsets (sorted, deduplicated), into fresh buffers. */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  return chunks;
}

test('empty input completes with no text', () => {
  const out = collect(of<Buffer>().pipe(decodeUtf8()));
  assert.equal(out.values, []);
  assert.ok(out.completed);
});

test('characters split over chunks are never split in the output', () => {
  const text = 'a€😀é\u{10ffff}z';
  const bytes = Buffer.from(text);
  const oneByte = [...bytes].map((byte) => Buffer.from([byte]));
  for (const fatal of [false, true]) {
    const out = collect(of(...oneByte).pipe(decodeUtf8({ fatal })));
    assert.is(out.values.join(''), text);
    for (const piece of out.values) {
      assert.ok(piece.length > 0, 'no empty strings');
      assert.not.ok(piece.includes('\ufffd'));
      assert.not.ok(/[\ud800-\udbff]$/.test(piece), 'no dangling high surrogate');
    }
    assert.ok(out.completed);
  }
});

test('a byte order mark is kept', () => {
  const out = collect(of(Buffer.from([0xef, 0xbb, 0xbf, 0x61])).pipe(decodeUtf8()));
  assert.is(out.values.join(''), '\ufeffa');
});

test('invalid bytes become U+FFFD by default', () => {
  const out = collect(of(Buffer.from([0x61, 0xff, 0x62])).pipe(decodeUtf8()));
  assert.is(out.values.join(''), 'a\ufffdb');
  assert.ok(out.completed);
});

test('fatal: invalid bytes fail with ERR_INVALID_ENCODING, also when the bad sequence spans chunks', () => {
  const out = collect(of(Buffer.from('ok'), Buffer.from([0xff])).pipe(decodeUtf8({ fatal: true })));
  assert.equal(out.values, ['ok']);
  assert.is(codeOf(out.error), ErrorCode.INVALID_ENCODING);
  assert.match((out.error as Error).message, /input bytes 2 to 2/);
  const spanning = collect(of(Buffer.from([0xe2, 0x82]), Buffer.from([0x41])).pipe(decodeUtf8({ fatal: true })));
  assert.is(codeOf(spanning.error), ErrorCode.INVALID_ENCODING);
});

test('a character left unfinished at completion: U+FFFD by default, ERR_FRAME_TRUNCATED when fatal', () => {
  const partial = Buffer.from('😀').subarray(0, 3);
  const lenient = collect(of(Buffer.from('a'), partial).pipe(decodeUtf8()));
  assert.is(lenient.values.join(''), 'a\ufffd');
  assert.ok(lenient.completed);
  const oneByte = [...partial].map((byte) => Buffer.from([byte]));
  const strict = collect(of(Buffer.from('a'), ...oneByte).pipe(decodeUtf8({ fatal: true })));
  assert.equal(strict.values, ['a']);
  assert.is(codeOf(strict.error), ErrorCode.FRAME_TRUNCATED);
  assert.match((strict.error as Error).message, /3 bytes/);
  const two = collect(of(Buffer.from('€').subarray(0, 2)).pipe(decodeUtf8({ fatal: true })));
  assert.match((two.error as Error).message, /2 bytes/);
  const one = collect(of(Buffer.from([0x61, 0x62, 0xe2])).pipe(decodeUtf8({ fatal: true })));
  assert.match((one.error as Error).message, /with 1 byte of one/);
  const pieces = of(Buffer.from('abc'), Buffer.from([0xe2]), Buffer.from([0x82]));
  const split = collect(pieces.pipe(decodeUtf8({ fatal: true })));
  assert.match((split.error as Error).message, /with 2 bytes/);
});

test('a reused input chunk does not disturb a pending character', () => {
  const euro = Buffer.from('€');
  const chunk = Buffer.alloc(2);
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(decodeUtf8({ fatal: true })));
  euro.copy(chunk, 0, 0, 2);
  input.next(chunk);
  chunk.fill(0x41);
  input.next(euro.subarray(2));
  input.complete();
  assert.equal(out.values, ['€']);
  assert.ok(out.completed);
});

test('a source error passes through; unsubscribing tears down', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(decodeUtf8()));
  const boom = new Error('boom');
  input.next(Buffer.from('hi'));
  input.error(boom);
  assert.equal(out.values, ['hi']);
  assert.is(out.error, boom);
  let torn = false;
  const source = new Observable<Buffer>(() => () => {
    torn = true;
  });
  collect(source.pipe(decodeUtf8())).subscription.unsubscribe();
  assert.ok(torn);
});

test('property: any text in any fragmentation decodes to itself', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.boolean(),
      (text, offsets, fatal) => {
        const out = collect(of(...cut(Buffer.from(text), offsets)).pipe(decodeUtf8({ fatal })));
        assert.is(out.values.join(''), text);
        assert.ok(out.completed);
      },
    ),
  );
});

test('hostile input: random bytes never throw; fatal mode fails with a code or round-trips', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, offsets) => {
      const buffer = Buffer.from(bytes);
      const lenient = collect(of(...cut(buffer, offsets)).pipe(decodeUtf8()));
      assert.is(lenient.values.join(''), new TextDecoder('utf-8', { ignoreBOM: true }).decode(buffer));
      const strict = collect(of(...cut(buffer, offsets)).pipe(decodeUtf8({ fatal: true })));
      if (strict.failed) {
        const codes: unknown[] = [ErrorCode.INVALID_ENCODING, ErrorCode.FRAME_TRUNCATED];
        assert.ok(codes.includes(codeOf(strict.error)));
      } else {
        assert.ok(Buffer.from(strict.values.join('')).equals(buffer));
      }
    }),
  );
});

test.run();
