import { AssertionError } from 'node:assert';
import { NEVER, Observable, map, mergeMap, type OperatorFunction } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkDecoder } from '../../operators/checkDecoder.js';
import { encodeLine } from '../../operators/encodeLines.js';
import { lines } from '../../operators/lines.js';

const frames = ['PING', '', 'ECHO hello world', 'x'];
const encode = (frame: Buffer): Buffer => encodeLine(frame);

/** Runs a check that must fail; returns its message. */
function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, AssertionError);
    return (error as Error).message;
  }
  assert.unreachable('checkDecoder should have failed');
  return '';
}

/** Passes chunks through to `lines()`, recording their sizes. */
function recording(sizes: number[][]): () => OperatorFunction<Buffer, Buffer> {
  return () => {
    const run: number[] = [];
    sizes.push(run);
    return (source) =>
      lines()(
        source.pipe(
          map((chunk) => {
            run.push(chunk.length);
            return chunk;
          }),
        ),
      );
  };
}

test('a correct decoder passes and the report says what was tried', () => {
  const report = checkDecoder(() => lines(), frames, encode, { seed: 1, runs: 30 });
  assert.equal(report, { seed: 1, runs: 30, bytes: 25 });
  checkDecoder(() => lines({ batch: true }), frames, encode, { runs: 30 });
  checkDecoder(() => lines(), [], encode, { runs: 5 });
});

test('run 0 feeds one chunk, run 1 single bytes, later runs random cuts that cover the input', () => {
  const sizes: number[][] = [];
  checkDecoder(recording(sizes), frames, encode, { seed: 5, runs: 20 });
  assert.equal(sizes[0], [25]);
  assert.equal(sizes[1], new Array(25).fill(1));
  for (const run of sizes) assert.is(run.reduce((sum, size) => sum + size, 0), 25);
  const distinct = new Set(sizes.slice(2).map((run) => run.join(',')));
  assert.ok(distinct.size > 10, 'random fragmentations differ');
});

test('the same seed gives the same fragmentations', () => {
  const first: number[][] = [];
  const second: number[][] = [];
  checkDecoder(recording(first), frames, encode, { seed: 99, runs: 10 });
  checkDecoder(recording(second), frames, encode, { seed: 99, runs: 10 });
  assert.equal(first, second);
});

test('detects a decoder that ignores chunk boundaries, naming run, seed and chunks', () => {
  const split = (chunk: Buffer): Buffer[] =>
    chunk.toString('latin1').split('\n').slice(0, -1).map((line) => Buffer.from(line, 'latin1'));
  const naive = (): OperatorFunction<Buffer, Buffer> => (source) => source.pipe(mergeMap(split));
  const message = failure(() => checkDecoder(naive, frames, encode, { seed: 42, runs: 10 }));
  assert.match(message, /run 1 of 10 failed \(seed 42, 25 chunks of 25 bytes: \[1, 1, 1/);
  assert.match(message, /Replay with \{ seed: 42, runs: 2 \}/);
});

test('detects a decoder whose frames are views of reused input', () => {
  const message = failure(() => checkDecoder(() => lines({ copy: false }), frames, encode, { seed: 3 }));
  assert.match(message, /changed after its chunk was reused/);
  // One chunk, no later chunk to overwrite it: the reuse after the last next must still be simulated.
  const single = failure(() => checkDecoder(() => lines({ copy: false }), ['only'], encode, { runs: 1 }));
  assert.match(single, /changed after its chunk was reused/);
  checkDecoder(() => lines({ copy: false }), frames, encode, { seed: 3, ownedFrames: false });
});

test('detects a decoder that keeps views of its input between chunks', () => {
  // Holds the unfinished tail as a view instead of a copy: only leased, reused chunks expose it.
  const leaky = (): OperatorFunction<Buffer, Buffer> => (source) =>
    new Observable<Buffer>((subscriber) => {
      let held: Buffer[] = [];
      return source.subscribe({
        next: (chunk) => {
          let start = 0;
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, start)) {
            subscriber.next(Buffer.concat([...held, chunk.subarray(start, at)]));
            held = [];
            start = at + 1;
          }
          if (start < chunk.length) held.push(chunk.subarray(start));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
  const message = failure(() => checkDecoder(leaky, frames, encode, { seed: 8 }));
  assert.match(message, /frame \d+ differs/);
});

test('detects lost frames, extra frames, errors, missing completion and non-buffer values', () => {
  const dropsLast = (): OperatorFunction<Buffer, Buffer> => (source) =>
    new Observable<Buffer>((subscriber) => {
      let last: Buffer | undefined;
      return source.pipe(lines()).subscribe({
        next: (line) => {
          if (last !== undefined) subscriber.next(last);
          last = line;
        },
        complete: () => subscriber.complete(),
      });
    });
  assert.match(failure(() => checkDecoder(dropsLast, frames, encode, { runs: 1 })), /expected 4 frames, got 3/);
  assert.match(
    failure(() => checkDecoder(() => lines(), frames, (frame) => Buffer.concat([encode(frame), encode(frame)]))),
    /frame 1 differs|expected 4 frames, got 8/,
  );
  assert.match(
    failure(() => checkDecoder(() => lines({ maxLength: 4 }), frames, encode, { runs: 1 })),
    /failed with ERR_FRAME_TOO_LONG/,
  );
  assert.match(failure(() => checkDecoder(() => () => NEVER, frames, encode, { runs: 1 })), /did not complete/);
  const strings = (): OperatorFunction<Buffer, Buffer> => (source) =>
    source.pipe(lines(), map((line) => line.toString() as unknown as Buffer));
  assert.match(failure(() => checkDecoder(strings, frames, encode, { runs: 1 })), /where a Buffer was expected/);
});

test('a decoder factory that throws is reported, not propagated raw', () => {
  const message = failure(() =>
    checkDecoder(
      () => {
        throw new Error('no decoder');
      },
      frames,
      encode,
      { runs: 1 },
    ),
  );
  assert.match(message, /threw no decoder/);
});

test.run();
