import fc from 'fast-check';
import { Observable, Subject, of, take } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/errors.js';
import { checkDecoder } from '../../operators/checkDecoder.js';
import { encodeLengthPrefixedFrame } from '../../operators/encodeLengthPrefixed.js';
import { lengthPrefixed } from '../../operators/lengthPrefixed.js';
import { codeOf, collect, texts } from '../support/collect.js';
import { OWNED_SLAB_SIZE } from '../../src/backends/shared/allocOwned.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const bytes = (...values: number[]): Buffer => Buffer.from(values);
const layouts = [1, 2, 4, 8].flatMap((lengthBytes) =>
  (['big', 'little'] as const).map((endian) => ({ lengthBytes: lengthBytes as 1 | 2 | 4 | 8, endian })),
);

test('empty input completes with no frames', () => {
  const out = collect(of<Buffer>().pipe(lengthPrefixed()));
  assert.equal(out.values, []);
  assert.ok(out.completed);
});

test('one frame, then many with empty bodies, split anywhere', () => {
  const one = collect(of(bytes(0, 0, 0, 2, 0x68, 0x69)).pipe(lengthPrefixed()));
  assert.equal(texts(one.values), ['hi']);
  assert.ok(one.completed);
  const wire = Buffer.concat([bytes(0, 0, 0, 0, 0, 0, 0, 3), b('abc'), bytes(0, 0, 0, 0, 0, 0, 0, 1), b('z')]);
  const many = collect(of(wire.subarray(0, 2), wire.subarray(2, 9), wire.subarray(9)).pipe(lengthPrefixed()));
  assert.equal(texts(many.values), ['', 'abc', '', 'z']);
  assert.ok(many.completed);
});

test('every lengthBytes and endian reads the documented layout', () => {
  const expected: Record<string, number[]> = {
    '1big': [3],
    '1little': [3],
    '2big': [0, 3],
    '2little': [3, 0],
    '4big': [0, 0, 0, 3],
    '4little': [3, 0, 0, 0],
    '8big': [0, 0, 0, 0, 0, 0, 0, 3],
    '8little': [3, 0, 0, 0, 0, 0, 0, 0],
  };
  for (const layout of layouts) {
    const header = expected[`${layout.lengthBytes}${layout.endian}`]!;
    const out = collect(of(Buffer.concat([bytes(...header), b('abc')])).pipe(lengthPrefixed(layout)));
    assert.equal(texts(out.values), ['abc'], `${layout.lengthBytes} ${layout.endian}`);
    assert.equal([...encodeLengthPrefixedFrame('abc', layout).subarray(0, layout.lengthBytes)], header);
  }
});

test('8-byte lengths use the high word', () => {
  const header = bytes(0, 0, 0, 1, 0, 0, 0, 0); // 2^32
  const out = collect(of(header).pipe(lengthPrefixed({ lengthBytes: 8, maxLength: 16 })));
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
  assert.match((out.error as Error).message, /announced 4294967296/);
});

test('adjust: a field that counts its own header, and one that undercounts', () => {
  const counted = collect(of(bytes(0, 4, 0x68, 0x69, 0, 2)).pipe(lengthPrefixed({ lengthBytes: 2, adjust: -2 })));
  assert.equal(texts(counted.values), ['hi', '']);
  const under = collect(of(bytes(0, 0x68, 0x69)).pipe(lengthPrefixed({ lengthBytes: 1, adjust: 2 })));
  assert.equal(texts(under.values), ['hi']);
});

test('a body negative after adjust fails with ERR_FRAME_CORRUPT', () => {
  const out = collect(of(bytes(0, 1)).pipe(lengthPrefixed({ lengthBytes: 2, adjust: -2 })));
  assert.is(codeOf(out.error), ErrorCode.FRAME_CORRUPT);
  assert.match((out.error as Error).message, /at least 2/);
});

test('an 8-byte length above Number.MAX_SAFE_INTEGER fails with ERR_FRAME_CORRUPT, either endianness', () => {
  const big = collect(of(bytes(0, 0x20, 0, 0, 0, 0, 0, 0)).pipe(lengthPrefixed({ lengthBytes: 8 })));
  assert.is(codeOf(big.error), ErrorCode.FRAME_CORRUPT);
  assert.match((big.error as Error).message, /9007199254740992/);
  const all = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  const little = collect(of(all).pipe(lengthPrefixed({ lengthBytes: 8, endian: 'little' })));
  assert.is(codeOf(little.error), ErrorCode.FRAME_CORRUPT);
  assert.match((little.error as Error).message, /18446744073709551615/);
  const safe = collect(of(bytes(0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).pipe(lengthPrefixed({ lengthBytes: 8 })));
  assert.is(codeOf(safe.error), ErrorCode.FRAME_TOO_LONG, 'MAX_SAFE_INTEGER itself is exact, only too long');
});

test('strip: false emits header and body', () => {
  const out = collect(of(bytes(2, 0x68), bytes(0x69, 0)).pipe(lengthPrefixed({ lengthBytes: 1, strip: false })));
  assert.equal(out.values.map((frame) => [...frame]), [[2, 0x68, 0x69], [0]]);
  assert.ok(out.completed);
});

test('a body of exactly maxLength passes', () => {
  const out = collect(of(bytes(0, 0, 0, 4), b('abcd')).pipe(lengthPrefixed({ maxLength: 4 })));
  assert.equal(texts(out.values), ['abcd']);
  const big = Buffer.alloc(1024 * 1024, 0x61);
  const defaults = collect(of(encodeLengthPrefixedFrame(big)).pipe(lengthPrefixed()));
  assert.is(defaults.values[0]!.length, 1024 * 1024, 'the default maxLength is 1 MiB');
});

test('maxLength + 1 fails with ERR_FRAME_TOO_LONG as soon as the header is read', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lengthPrefixed({ maxLength: 4 })));
  input.next(bytes(0, 0, 0));
  assert.not.ok(out.failed);
  input.next(bytes(5));
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
  assert.match((out.error as Error).message, /at most 4 bytes, the header announced 5/);
  const defaults = collect(of(bytes(0, 0x10, 0, 1)).pipe(lengthPrefixed()));
  assert.is(codeOf(defaults.error), ErrorCode.FRAME_TOO_LONG, '1 MiB + 1 is refused by default');
});

test('absurd lengths fail at the header without allocating', () => {
  const out = collect(of(bytes(0xff, 0xff, 0xff, 0xff)).pipe(lengthPrefixed()));
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
});

test('input ending inside a header or a body fails with ERR_FRAME_TRUNCATED stating the pending bytes', () => {
  const header = collect(of(bytes(0, 0, 0, 1, 0x61, 0, 0)).pipe(lengthPrefixed()));
  assert.equal(texts(header.values), ['a']);
  assert.is(codeOf(header.error), ErrorCode.FRAME_TRUNCATED);
  assert.match((header.error as Error).message, /4-byte length header.*2 bytes/);
  const body = collect(of(bytes(0, 0, 0, 9, 1, 2), bytes(3)).pipe(lengthPrefixed()));
  assert.is(codeOf(body.error), ErrorCode.FRAME_TRUNCATED);
  assert.match((body.error as Error).message, /13 bytes.*7 bytes/);
});

test('a source error passes through; unsubscribing tears down', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lengthPrefixed({ lengthBytes: 1 })));
  const boom = new Error('boom');
  input.next(bytes(1, 0x61, 1));
  input.error(boom);
  assert.equal(texts(out.values), ['a']);
  assert.is(out.error, boom);

  let torn = false;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(bytes(1, 0x61, 1, 0x62, 1, 0x63));
    return () => {
      torn = true;
    };
  });
  const first = collect(source.pipe(lengthPrefixed({ lengthBytes: 1 }), take(1)));
  assert.equal(texts(first.values), ['a']);
  assert.ok(torn);
});

test('batch mode emits the frames of each chunk, then the error after the good ones', () => {
  const operator = lengthPrefixed({ lengthBytes: 1, batch: true, maxLength: 4 });
  const out = collect(of(bytes(1, 0x61, 1, 0x62, 1), bytes(0x63, 9)).pipe(operator));
  assert.equal(out.values.map(texts), [['a', 'b'], ['c']]);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
});

test('copy: false emits views of the chunk; the default emits owned frames', () => {
  const chunk = Buffer.alloc(6);
  chunk.set([1, 0x61, 1, 0x62, 1, 0x63]);
  const views = collect(of(chunk).pipe(lengthPrefixed({ lengthBytes: 1, copy: false })));
  assert.is(views.values[0]!.buffer, chunk.buffer);
  const owned = collect(of(chunk).pipe(lengthPrefixed({ lengthBytes: 1 })));
  chunk.fill(0);
  assert.equal(texts(owned.values), ['a', 'b', 'c']);
});

test('a kept frame does not pin the unfinished rest of its chunk', () => {
  const chunk = Buffer.concat([bytes(0, 0, 0, 1, 0x61), bytes(0, 1, 0, 0), Buffer.alloc(60000)]);
  const out = collect(of(chunk).pipe(lengthPrefixed()));
  assert.equal(texts(out.values), ['a']);
  const kept = out.values[0]!;
  // The frame's memory is not the chunk's, and what keeping it pins is one small slab (Node's own pool slab is
  // 64 KiB from Node 24.18, so its size says nothing about the chunk).
  assert.ok(kept.buffer !== chunk.buffer, 'the frame does not share the chunk\'s memory');
  assert.ok(kept.buffer.byteLength <= OWNED_SLAB_SIZE, `the copy covers complete frames only`);
  chunk.fill(0x7a);
  assert.is(kept.toString(), 'a', 'overwriting the chunk leaves the kept frame as it was');
});

test('bad options throw ERR_INVALID_ARGUMENT at once', () => {
  const bad = [
    { lengthBytes: 3 as never },
    { endian: 'middle' as never },
    { adjust: 0.5 },
    { maxLength: -1 },
  ];
  for (const options of bad) {
    try {
      lengthPrefixed(options);
      assert.unreachable(`should have thrown for ${JSON.stringify(options)}`);
    } catch (error) {
      assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT, JSON.stringify(options));
    }
  }
});

const framesArb = fc.array(fc.uint8Array({ maxLength: 40 }).map((frame) => Buffer.from(frame)), { maxLength: 10 });

test('property: every lengthBytes and endian, with adjust, in any fragmentation', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...layouts),
      fc.integer({ min: -8, max: 0 }),
      framesArb,
      fc.integer(),
      (layout, adjust, frames, seed) => {
        const options = { ...layout, adjust };
        const encode = (frame: Buffer): Buffer => encodeLengthPrefixedFrame(frame, options);
        checkDecoder(() => lengthPrefixed(options), frames, encode, { seed, runs: 8 });
        checkDecoder(() => lengthPrefixed({ ...options, batch: true }), frames, encode, { seed, runs: 4 });
        checkDecoder(() => lengthPrefixed({ ...options, copy: false }), frames, encode, {
          seed,
          runs: 4,
          ownedFrames: false,
        });
      },
    ),
  );
});

test('property: strip false returns the wire bytes frame by frame', () => {
  fc.assert(
    fc.property(fc.constantFrom(...layouts), framesArb, fc.integer(), (layout, frames, seed) => {
      const wireFrames = frames.map((frame) => encodeLengthPrefixedFrame(frame, layout));
      checkDecoder(() => lengthPrefixed({ ...layout, strip: false }), wireFrames, (frame) => frame, {
        seed,
        runs: 8,
      });
    }),
  );
});

test('hostile input: binary garbage gives bounded frames or a frame error, never a throw', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...layouts),
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
      (layout, chunks) => {
        const operator = lengthPrefixed({ ...layout, maxLength: 32, adjust: -1 });
        const out = collect(of(...chunks.map((chunk) => Buffer.from(chunk))).pipe(operator));
        for (const frame of out.values) assert.ok(frame.length <= 32);
        if (out.failed) {
          const codes: unknown[] = [ErrorCode.FRAME_TOO_LONG, ErrorCode.FRAME_CORRUPT, ErrorCode.FRAME_TRUNCATED];
          assert.ok(codes.includes(codeOf(out.error)), String(out.error));
        } else {
          assert.ok(out.completed);
        }
      },
    ),
  );
});

test.run();
