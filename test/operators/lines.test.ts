import fc from 'fast-check';
import { Observable, Subject, of, take } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { checkDecoder } from '../../operators/checkDecoder.js';
import { encodeLine } from '../../operators/encodeLines.js';
import { lines } from '../../operators/lines.js';
import { codeOf, collect, texts } from '../support/collect.js';
import { OWNED_SLAB_SIZE } from '../../src/backends/shared/allocOwned.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

test('empty input completes with no lines', () => {
  const none = collect(of<Buffer>().pipe(lines()));
  assert.equal(none.values, []);
  assert.ok(none.completed);
  const emptyChunk = collect(of(Buffer.alloc(0)).pipe(lines()));
  assert.equal(emptyChunk.values, []);
  assert.ok(emptyChunk.completed);
});

test('one line', () => {
  const out = collect(of(b('hello\n')).pipe(lines()));
  assert.equal(texts(out.values), ['hello']);
  assert.ok(out.completed);
});

test('many lines across chunks, CRLF and LF, empty lines', () => {
  const out = collect(of(b('a\r\nbb'), b('b\n\n'), b('\r'), b('\nc\rd\n')).pipe(lines()));
  assert.equal(texts(out.values), ['a', 'bbb', '', '', 'c\rd']);
  assert.ok(out.completed);
});

test('crlf: false keeps the CR', () => {
  const out = collect(of(b('a\r\nb\n')).pipe(lines({ crlf: false })));
  assert.equal(texts(out.values), ['a\r', 'b']);
});

test('a CR split from its LF by a chunk boundary is still stripped', () => {
  const out = collect(of(b('abc\r'), b('\n')).pipe(lines()));
  assert.equal(texts(out.values), ['abc']);
});

test('a source error passes through after the lines before it', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lines()));
  const boom = new Error('boom');
  input.next(b('a\nb'));
  input.error(boom);
  assert.equal(texts(out.values), ['a']);
  assert.is(out.error, boom);
});

test('unsubscribing runs the source teardown', () => {
  let torn = false;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(b('a\n'));
    return () => {
      torn = true;
    };
  });
  const out = collect(source.pipe(lines()));
  assert.equal(texts(out.values), ['a']);
  out.subscription.unsubscribe();
  assert.ok(torn);
});

test('take(1) stops in the middle of a chunk and tears down', () => {
  let torn = false;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(b('a\nb\nc\n'));
    subscriber.next(b('d\n'));
    return () => {
      torn = true;
    };
  });
  const out = collect(source.pipe(lines(), take(1)));
  assert.equal(texts(out.values), ['a']);
  assert.ok(out.completed);
  assert.ok(torn);
});

test('a line of exactly maxLength passes, with LF or CRLF', () => {
  const out = collect(of(b('12345678\n'), b('abcdefgh\r\n')).pipe(lines({ maxLength: 8 })));
  assert.equal(texts(out.values), ['12345678', 'abcdefgh']);
  assert.ok(out.completed);
});

test('maxLength + 1 fails with ERR_FRAME_TOO_LONG before the LF arrives', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lines({ maxLength: 8, crlf: false })));
  input.next(b('12345678'));
  assert.not.ok(out.failed);
  input.next(b('9'));
  assert.ok(out.error instanceof RxloopError);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
  assert.match((out.error as Error).message, /at most 8 bytes/);
});

test('with crlf a held CR may still end the line, anything else after maxLength fails at once', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lines({ maxLength: 8 })));
  input.next(b('12345678\r'));
  assert.not.ok(out.failed);
  input.next(b('\n12345678'));
  assert.equal(texts(out.values), ['12345678']);
  input.next(b('x'));
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
});

test('a too-long line inside one chunk fails after the lines before it', () => {
  const out = collect(of(b('ok\n123456789\nnever\n')).pipe(lines({ maxLength: 8 })));
  assert.equal(texts(out.values), ['ok']);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
});

test('the default maxLength is 64 KiB', () => {
  const line = Buffer.alloc(65536, 0x61);
  const ok = collect(of(line, b('\n')).pipe(lines()));
  assert.is(ok.values[0]!.length, 65536);
  const tooLong = collect(of(line, b('a')).pipe(lines()));
  assert.is(codeOf(tooLong.error), ErrorCode.FRAME_TOO_LONG);
});

test('a partial line at completion fails with ERR_FRAME_TRUNCATED stating the pending bytes', () => {
  const out = collect(of(b('a\nxyz')).pipe(lines()));
  assert.equal(texts(out.values), ['a']);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TRUNCATED);
  assert.match((out.error as Error).message, /3 bytes/);
});

test('batch mode emits the lines of each chunk together and nothing for a chunk without one', () => {
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lines({ batch: true })));
  input.next(b('a\nb\nc'));
  input.next(b('cc'));
  input.next(b('\nd\n'));
  input.complete();
  assert.equal(out.values.map(texts), [['a', 'b'], ['ccc', 'd']]);
  assert.ok(out.completed);
});

test('batch mode delivers the lines before a failure, then the error', () => {
  const out = collect(of(b('ab\nabc\nx\n')).pipe(lines({ batch: true, maxLength: 2 })));
  assert.equal(out.values.map(texts), [['ab']]);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TOO_LONG);
});

test('by default lines survive reuse of the input chunk', () => {
  const chunk = b('one\ntwo\nthr');
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(lines()));
  input.next(chunk);
  chunk.fill(0x21);
  input.next(b('ee\n'));
  chunk.fill(0x22);
  assert.equal(texts(out.values), ['one', 'two', 'three']);
});

test('copy: false emits views of the chunk and fresh buffers for lines spanning chunks', () => {
  const first = Buffer.alloc(6); // unpooled, so only a view of it shares its ArrayBuffer
  first.write('one\ntw', 'latin1');
  const out = collect(of(first, b('o\n')).pipe(lines({ copy: false })));
  assert.equal(texts(out.values), ['one', 'two']);
  assert.is(out.values[0]!.buffer, first.buffer);
  assert.is(out.values[0]!.byteOffset, first.byteOffset);
  assert.is.not(out.values[1]!.buffer, first.buffer);
});

test('a kept line does not pin the unfinished rest of its chunk', () => {
  const chunk = Buffer.concat([b('a\n'), Buffer.alloc(60000, 0x61)]);
  const out = collect(of(chunk).pipe(lines()));
  assert.equal(texts(out.values), ['a']);
  const kept = out.values[0]!;
  // The line's memory is not the chunk's, and what keeping it pins is one small slab (Node's own pool slab is
  // 64 KiB from Node 24.18, so its size says nothing about the chunk).
  assert.ok(kept.buffer !== chunk.buffer, 'the line does not share the chunk\'s memory');
  assert.ok(kept.buffer.byteLength <= OWNED_SLAB_SIZE, `the copy covers complete lines only`);
  chunk.fill(0x7a);
  assert.is(kept.toString(), 'a', 'overwriting the chunk leaves the kept line as it was');
});

test('invalid options throw ERR_INVALID_ARGUMENT at once', () => {
  for (const maxLength of [-1, 1.5, Number.NaN]) {
    try {
      lines({ maxLength });
      assert.unreachable('should have thrown');
    } catch (error) {
      assert.is(codeOf(error), ErrorCode.INVALID_ARGUMENT);
    }
  }
});

const lineBytes = fc.array(fc.constantFrom(0x61, 0x20, 0x0d, 0x00, 0xff, 0xc3), { maxLength: 12 });

test('property: any lines in any fragmentation (crlf stripped)', () => {
  const line = lineBytes.filter((bytes) => bytes[bytes.length - 1] !== 0x0d).map((bytes) => Buffer.from(bytes));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.integer(), (frames, crlf, seed) => {
      checkDecoder(() => lines(), frames, (frame) => encodeLine(frame, { crlf }), { seed, runs: 12 });
    }),
  );
});

test('property: crlf false, batch and zero-copy modes', () => {
  const line = lineBytes.map((bytes) => Buffer.from(bytes));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.integer(), (frames, seed) => {
      const encode = (frame: Buffer): Buffer => encodeLine(frame);
      checkDecoder(() => lines({ crlf: false, batch: true }), frames, encode, { seed, runs: 8 });
      checkDecoder(() => lines({ crlf: false, copy: false }), frames, encode, { seed, runs: 8, ownedFrames: false });
    }),
  );
});

test('hostile input: binary garbage gives lines within maxLength or ERR_FRAME_TOO_LONG, never a throw', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const out = collect(of(...chunks.map((chunk) => Buffer.from(chunk))).pipe(lines({ maxLength: 16 })));
      for (const line of out.values) assert.ok(line.length <= 16);
      if (out.failed) {
        assert.ok([ErrorCode.FRAME_TOO_LONG, ErrorCode.FRAME_TRUNCATED].includes(codeOf(out.error) as never));
      } else {
        assert.ok(out.completed);
      }
    }),
  );
});

test.run();
