import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, concatMap, delay, map, of, take, throwError, type OperatorFunction } from 'rxjs';
import { digestReplies } from '../../../examples/resp/digestReplies.js';
import type { DigestWork } from '../../../examples/resp/digestTask.js';
import type { RespOutput } from '../../../examples/resp/RespOutput.js';

const work = (value: string, rounds = 1): DigestWork => ({ value: Buffer.from(value), rounds });
/** A hash that answers `<value>` after `rounds` ms, in order (as offload does). */
const slowHash: OperatorFunction<DigestWork, Buffer> = concatMap((w) =>
  of(Buffer.from(`<${Buffer.from(w.value).toString()}>`)).pipe(delay(w.rounds)),
);

function collect(hash: OperatorFunction<DigestWork, Buffer>) {
  const source = new Subject<RespOutput>();
  const seen: string[] = [];
  let completed = false;
  let failed: unknown;
  source.pipe(digestReplies(hash)).subscribe({
    next: (reply) => seen.push(reply.toString()),
    complete: () => (completed = true),
    error: (error) => (failed = error),
  });
  return { source, seen, done: () => completed, failed: () => failed };
}

test('buffers pass straight through while no DIGEST waits', () => {
  const c = collect(slowHash);
  c.source.next(Buffer.from('a'));
  c.source.next(Buffer.from('b'));
  assert.equal(c.seen, ['a', 'b']);
  c.source.complete();
  assert.ok(c.done());
});

test('replies behind a DIGEST wait for it; every reply comes in order; completion waits for the last DIGEST', async () => {
  const c = collect(slowHash);
  c.source.next(Buffer.from('a'));
  c.source.next(work('x', 30));
  c.source.next(Buffer.from('b'));
  c.source.next(work('y', 1));
  c.source.next(Buffer.from('c'));
  c.source.complete();
  assert.equal(c.seen, ['a']);
  assert.not.ok(c.done());
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(c.seen, ['a', '<x>', 'b', '<y>', 'c']);
  assert.ok(c.done());
});

test('a synchronous hash keeps the stream synchronous', () => {
  const c = collect(map((w) => Buffer.from(`<${w.rounds}>`)));
  c.source.next(Buffer.from('a'));
  c.source.next(work('x', 7));
  c.source.next(Buffer.from('b'));
  assert.equal(c.seen, ['a', '<7>', 'b']);
});

test('a failing hash errors the stream', () => {
  const c = collect(concatMap(() => throwError(() => new Error('pool gone'))));
  c.source.next(work('x'));
  assert.is((c.failed() as Error).message, 'pool gone');
});

test('a held engine proceeds at once while nothing waits, and only once fewer than four DIGESTs are pending', () => {
  const answers = new Subject<Buffer>();
  const c = collect(concatMap(() => answers.pipe(take(1))));
  let proceeded = 0;
  const held = { proceed: () => proceeded++ };
  c.source.next(Buffer.from('+OK\r\n'));
  c.source.next(held);
  assert.is(proceeded, 1);
  for (let i = 0; i < 4; i++) c.source.next(work(`d${i}`));
  c.source.next(Buffer.from(':1\r\n'));
  c.source.next(held);
  assert.is(proceeded, 1, 'four DIGESTs pending: the engine waits');
  answers.next(Buffer.from('<d0>'));
  assert.is(proceeded, 2, 'one answered: it goes on');
  assert.equal(c.seen, ['+OK\r\n', '<d0>']);
  c.source.next(work('d4'));
  c.source.next(held);
  assert.is(proceeded, 2, 'four pending again');
  answers.next(Buffer.from('<d1>'));
  assert.is(proceeded, 3);
  assert.equal(c.seen, ['+OK\r\n', '<d0>', '<d1>']);
});

test.run();
