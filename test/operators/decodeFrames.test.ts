import { Observable, Subject, of, take } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { FrameDecoder } from '../../operators/FrameDecoder.js';
import { decodeFrames } from '../../operators/decodeFrames.js';
import { codeOf, collect, texts } from '../support/collect.js';

/** Emits every byte of its input as a one-byte frame; a '!' byte is refused; records what happened to it. */
class ByteDecoder extends FrameDecoder {
  pushed = 0;
  disposed = 0;
  ended = 0;
  pending = false;

  push(chunk: Buffer, emit: (frame: Buffer) => void): void {
    for (let i = 0; i < chunk.length; i++) {
      this.pushed++;
      if (chunk[i] === 0x21) throw new RxloopError(ErrorCode.FRAME_CORRUPT, 'expected no "!", got one');
      if (chunk[i] === 0x3f) {
        this.pending = true;
        continue;
      }
      emit(this.frame(chunk, i, i + 1));
      if (this.stopped) return;
    }
  }

  end(): void {
    this.ended++;
    if (this.pending) throw FrameDecoder.truncated('a frame after "?"', 1);
  }

  protected release(): void {
    this.disposed++;
  }
}

test('one decoder per subscription, frames one by one', () => {
  const made: ByteDecoder[] = [];
  const operator = decodeFrames(() => {
    made.push(new ByteDecoder(true));
    return made[made.length - 1]!;
  }, false);
  const source = of(Buffer.from('ab'), Buffer.from('c'));
  assert.equal(texts(collect(source.pipe(operator)).values as Buffer[]), ['a', 'b', 'c']);
  collect(source.pipe(operator));
  assert.is(made.length, 2);
  assert.is(made[0]!.ended, 1);
});

test('batch mode: one array per chunk, none for a chunk without frames', () => {
  const chunks = of(Buffer.from('ab'), Buffer.from('?'), Buffer.from('c'));
  const out = collect(chunks.pipe(decodeFrames(() => new ByteDecoder(true), true)));
  assert.equal((out.values as Buffer[][]).map(texts), [['a', 'b'], ['c']]);
  assert.is(codeOf(out.error), ErrorCode.FRAME_TRUNCATED, 'end() failures become errors');
});

test('a decoder failure delivers the frames before it (also batched), then the error', () => {
  for (const batch of [false, true]) {
    const out = collect(of(Buffer.from('ab!c')).pipe(decodeFrames(() => new ByteDecoder(true), batch)));
    const frames = batch ? (out.values as Buffer[][]).flat() : (out.values as Buffer[]);
    assert.equal(texts(frames), ['a', 'b']);
    assert.is(codeOf(out.error), ErrorCode.FRAME_CORRUPT);
  }
});

test('unsubscribing from inside next stops the chunk and disposes the decoder', () => {
  const decoder = new ByteDecoder(true);
  let torn = false;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(Buffer.from('abcdef'));
    subscriber.next(Buffer.from('ghi'));
    return () => {
      torn = true;
    };
  });
  const out = collect(source.pipe(decodeFrames(() => decoder, false), take(2)));
  assert.equal(texts(out.values as Buffer[]), ['a', 'b']);
  assert.is(decoder.pushed, 2, 'no byte decoded after the consumer left');
  assert.is(decoder.disposed, 1);
  assert.ok(torn);
});

test('a source error passes through untouched and disposes the decoder', () => {
  const decoder = new ByteDecoder(true);
  const input = new Subject<Buffer>();
  const out = collect(input.pipe(decodeFrames(() => decoder, false)));
  const boom = new Error('boom');
  input.error(boom);
  assert.is(out.error, boom);
  assert.is(decoder.ended, 0);
  assert.is(decoder.disposed, 1);
});

test('copy mode never hands out a view of the chunk, even outside an announced span', () => {
  const chunk = Buffer.alloc(2);
  chunk.write('ab');
  const copies = collect(of(chunk).pipe(decodeFrames(() => new ByteDecoder(true), false)));
  for (const frame of copies.values as Buffer[]) assert.is.not(frame.buffer, chunk.buffer);
  const views = collect(of(chunk).pipe(decodeFrames(() => new ByteDecoder(false), false)));
  for (const frame of views.values as Buffer[]) assert.is(frame.buffer, chunk.buffer);
});

test.run();
