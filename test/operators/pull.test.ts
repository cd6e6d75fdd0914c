import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { concatMap, firstValueFrom, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { ErrorCode, type Connection, type RxloopError } from '../../src/index.js';
import { pull } from '../../operators/pull.js';
import { sendTo } from '../../operators/sendTo.js';
import { withDemand } from '../../operators/demandContext.js';
import { backendCases } from '../support/backendCases.js';
import { dial, nextAccepted, startServer } from '../support/sockets.js';
import { turns, until } from '../backends/node/until.js';

const CHUNK = 64 * 1024;

/** 512 x 64 KiB (32 MiB), each chunk filled with its index; counts what was taken from it. */
function blocks(count = 512) {
  const state = { taken: 0, closed: false };
  function* generate(): Generator<Buffer> {
    try {
      for (let i = 0; i < count; i++) {
        state.taken++;
        yield Buffer.alloc(CHUNK, i % 251);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, chunks: generate() };
}

/** Reads everything `client` receives, checking each byte is where the chunk pattern says, once resumed. */
function receiver(client: Connection) {
  const got = { bytes: 0, wrong: 0, done: false };
  let reading: { unsubscribe(): void } | undefined;
  return {
    got,
    start() {
      reading = client.data$.subscribe({
        next: (chunk) => {
          for (let i = 0; i < chunk.length; i += 4096) if (chunk[i] !== Math.floor((got.bytes + i) / CHUNK) % 251) got.wrong++;
          got.bytes += chunk.length;
        },
        complete: () => (got.done = true),
      });
    },
    stop: () => reading?.unsubscribe(),
  };
}

/** Turns until `value()` has not changed for `quiet` turns in a row: the producer has stalled. */
async function stalled(value: () => number, quiet = 30): Promise<void> {
  let last = -1;
  let same = 0;
  while (same < quiet) {
    await turns(1);
    const now = value();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}

const node = suite('pull() paced by a real socket');

node('32 MiB from a generator against a peer that does not read: what is taken waits in the socket, not in memory', async () => {
  const backend = backendCases[0]!.make();
  const server = await startServer(backend);
  try {
    const client = await dial(backend, server.port);
    const [peer] = await nextAccepted(server);
    const { state, chunks } = blocks();
    const done = lastValueFrom(pull(chunks).pipe(sendTo(peer!)), { defaultValue: undefined });
    await stalled(() => state.taken);
    assert.ok(state.taken < 512, `the producer stopped (took ${state.taken} of 512)`);
    console.log(`      took ${state.taken} chunks, ${peer!.writableLength} B queued, hwm ${peer!.writableHighWaterMark}`);
    const queued = state.taken * CHUNK - peer!.bytesWritten;
    assert.ok(peer!.writableLength <= peer!.writableHighWaterMark + CHUNK, `at most the high-water mark plus a chunk is queued (${peer!.writableLength})`);
    assert.ok(queued <= peer!.writableHighWaterMark + 2 * CHUNK, `taken but not handed to the kernel: ${queued} bytes`);
    const reader = receiver(client);
    reader.start();
    await done;
    await until(() => reader.got.done, 'the end of the stream', 30_000);
    assert.is(reader.got.bytes, 512 * CHUNK, 'every byte arrived');
    assert.is(reader.got.wrong, 0, 'in order');
    assert.ok(state.closed);
  } finally {
    server.stop();
  }
});

for (const backendCase of backendCases) {
  const test = suite(`pull() on ${backendCase.name}`);

  test('through map (an operator that subscribes at once) the demand still reaches the source', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const { state, chunks } = blocks(256);
      const done = lastValueFrom(pull(chunks).pipe(map((chunk) => chunk), sendTo(peer!)), { defaultValue: undefined });
      await stalled(() => state.taken);
      assert.ok(state.taken < 256, `paced (took ${state.taken})`);
      const reader = receiver(client);
      reader.start();
      await done;
      await until(() => reader.got.done, 'the end', 30_000);
      assert.is(reader.got.bytes, 256 * CHUNK);
      assert.is(reader.got.wrong, 0);
    } finally {
      server.stop();
    }
  });

  test('an async generator and a Readable are paced too, and every chunk arrives in order', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      let taken = 0;
      async function* slowly(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 256; i++) {
          taken++;
          await new Promise((resolve) => setImmediate(resolve));
          yield Buffer.alloc(CHUNK, i % 251);
        }
      }
      const done = lastValueFrom(pull(slowly()).pipe(sendTo(peer!, { onComplete: 'none' })), { defaultValue: undefined });
      await stalled(() => taken);
      assert.ok(taken < 256, `paced (took ${taken})`);
      const reader = receiver(client);
      reader.start();
      await done;
      await until(() => reader.got.bytes === 256 * CHUNK, 'every byte of the async generator', 30_000);
      assert.is(reader.got.wrong, 0);
      reader.stop();

      // A Readable (here from a generator; a file stream behaves the same) after the first stream.
      const { state, chunks } = blocks(256);
      const readable = Readable.from(chunks, { objectMode: false, highWaterMark: CHUNK });
      const more = lastValueFrom(pull(readable).pipe(sendTo(peer!)), { defaultValue: undefined });
      await stalled(() => state.taken);
      assert.ok(state.taken < 256, `the Readable is paced (took ${state.taken})`);
      const second = receiver(client);
      second.got.bytes = 0;
      second.start();
      await more;
      await until(() => second.got.done, 'the end', 30_000);
      assert.is(second.got.bytes, 256 * CHUNK);
    } finally {
      server.stop();
    }
  });

  test('inside concatMap, pace names the connection; unsubscribing closes the source', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const { state, chunks } = blocks();
      const subscription = of(1).pipe(concatMap(() => pull(chunks, { pace: peer! })), sendTo(peer!, { onComplete: 'none' })).subscribe();
      await stalled(() => state.taken);
      assert.ok(state.taken < 512, `paced by the named connection (took ${state.taken})`);
      subscription.unsubscribe();
      assert.ok(state.closed, "the generator's finally ran");
      client.close();
    } finally {
      server.stop();
    }
  });

  test.run();
}

const unit = suite('pull() on its own');

unit('without demand it takes one chunk per turn; with demand it yields to the loop every 64 chunks', async () => {
  const seen: number[] = [];
  const subscription = pull([1, 2, 3, 4]).subscribe((n) => seen.push(n));
  assert.equal(seen, [1], 'one chunk at once');
  await turns(1);
  assert.equal(seen, [1, 2]);
  await turns(5);
  assert.equal(seen, [1, 2, 3, 4]);
  subscription.unsubscribe();

  const many: number[] = [];
  const always = { wanted: true, whenWanted: () => () => undefined };
  const numbers = Array.from({ length: 200 }, (_, i) => i);
  const counted = withDemand(always, () => pull(numbers).subscribe((n) => many.push(n)));
  assert.is(many.length, 64, 'a synchronous source yields after 64 chunks');
  await turns(4);
  assert.is(many.length, 200);
  counted.unsubscribe();
});

unit('waits while demand is not wanted, and resumes when it is', async () => {
  const demand = { wanted: false, resume: undefined as (() => void) | undefined, whenWanted(callback: () => void) {
    this.resume = callback;
    return () => (this.resume = undefined);
  } };
  const seen: string[] = [];
  withDemand(demand, () => pull(['a', 'b']).subscribe((s) => seen.push(s)));
  assert.equal(seen, []);
  demand.wanted = true;
  demand.resume!();
  assert.equal(seen, ['a', 'b']);
});

unit('errors: a source that throws, a value that is not iterable', async () => {
  function* failing(): Generator<string> {
    yield 'a';
    throw new Error('the source broke');
  }
  const error = await lastValueFrom(pull(failing()).pipe(toArray())).catch((e: Error) => e);
  assert.match((error as Error).message, /the source broke/);
  async function* failingAsync(): AsyncGenerator<string> {
    yield 'a';
    throw new Error('async broke');
  }
  const asyncError = await lastValueFrom(pull(failingAsync()).pipe(toArray())).catch((e: Error) => e);
  assert.match((asyncError as Error).message, /async broke/);
  const bad = await firstValueFrom(pull(42 as never)).catch((e: RxloopError) => e.code);
  assert.is(bad, ErrorCode.INVALID_ARGUMENT);
  assert.equal(await lastValueFrom(pull([]).pipe(toArray())), []);
  assert.equal(await lastValueFrom(pull(['x', 'y', 'z']).pipe(take(2), toArray())), ['x', 'y']);
});

node.run();
unit.run();
