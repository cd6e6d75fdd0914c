import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, of, toArray, map, tap, Subject, EMPTY, throwError } from 'rxjs';
import type { BufferSource } from '../../src/backends/Backend.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import type { Connection } from '../../src/Connection.js';
import { proactor } from '../../operators/proactor.js';
import { LeasePool } from '../../operators/LeasePool.js';
import type { Lease } from '../../operators/Lease.js';
import { backendCases } from '../support/backendCases.js';
import { dial, nextAccepted, startServer } from '../support/sockets.js';

/** Writes `payload` in random pieces with pauses, then ends. */
async function sendInPieces(client: Connection, payload: Buffer, seed: number): Promise<void> {
  let state = seed;
  const next = () => ((state = (state * 48271) % 2147483647) % 5000) + 1;
  for (let i = 0; i < payload.length; ) {
    const n = next();
    client.write(payload.subarray(i, i + n));
    i += n;
    if (state % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  client.end();
}

for (const backendCase of backendCases) {
  const test = suite(`proactor on ${backendCase.name}`);

  test('whatever-arrived mode: the leases concatenate to the input', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const payload = randomBytes(300_000);
      const received = lastValueFrom(
        of(peer!).pipe(proactor({ bufferSize: 4096, buffers: 3 }), map((lease) => {
          assert.ok(lease.length > 0 && lease.length <= 4096);
          const copy = Buffer.from(lease.buffer);
          lease.release();
          return copy;
        }), toArray()),
      );
      await sendInPieces(client, payload, 11);
      assert.ok(Buffer.concat(await received).equals(payload));
    } finally {
      server.stop();
    }
  });

  test('exact mode: every lease holds exactly n bytes, across any fragmentation', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const payload = randomBytes(10 * 5003);
      const received = lastValueFrom(
        of(peer!).pipe(proactor({ exactly: 10, buffers: 2, autoRelease: true }), map((lease) => {
          assert.is(lease.length, 10);
          return Buffer.from(lease.buffer);
        }), toArray()),
      );
      await sendInPieces(client, payload, 5);
      const leases = await received;
      assert.is(leases.length, 5003);
      assert.ok(Buffer.concat(leases).equals(payload));
    } finally {
      server.stop();
    }
  });

  test('a partial exact read at the end of input errors with ERR_FRAME_TRUNCATED', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const outcome = lastValueFrom(of(peer!).pipe(proactor({ exactly: 8, autoRelease: true }), toArray())).catch((e: RxloopError) => e);
      client.write('12345678abc');
      client.end();
      const error = await outcome;
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.FRAME_TRUNCATED);
      assert.match((error as RxloopError).message, /expected 8 bytes, but the input ended after 3/);
    } finally {
      server.stop();
    }
  });

  test('leases are the read credit: reading stops while all are out and nothing is lost', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const held: Lease[] = [];
      const copies: Buffer[] = [];
      let complete = false;
      of(peer!).pipe(proactor({ bufferSize: 1024, buffers: 2 })).subscribe({
        next: (lease) => {
          copies.push(Buffer.from(lease.buffer));
          held.push(lease);
        },
        complete: () => (complete = true),
      });
      const payload = randomBytes(64 * 1024);
      client.write(payload);
      client.end();
      await new Promise((r) => setTimeout(r, 50));
      assert.is(held.length, 2, 'only as many reads as leases');
      // Release slowly: each release lets exactly the reads it pays for happen.
      while (!complete) {
        const lease = held.shift();
        if (lease === undefined) {
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        lease.release();
        await new Promise((r) => setImmediate(r));
      }
      for (const lease of held) lease.release();
      assert.ok(Buffer.concat(copies).equals(payload));
    } finally {
      server.stop();
    }
  });

  test('steady state allocates nothing: every lease is pool memory, and no Buffer is created per read', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    const names = ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'from', 'concat'] as const;
    const factories = Buffer as unknown as Record<string, (...args: unknown[]) => unknown>;
    const originals = names.map((name) => factories[name]!);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const pool = new LeasePool({ bufferSize: 16384, buffers: 4 });
      const probe = pool.take()!;
      const poolMemory = probe.memory.buffer;
      probe.release();
      let reads = 0;
      let foreign = 0;
      let allocations = 0;
      let counting = false;
      const done = lastValueFrom(
        of(peer!).pipe(proactor({ pool }), tap((lease) => {
          reads++;
          if (lease.buffer.buffer !== poolMemory) foreign++;
          lease.release();
        })),
        { defaultValue: undefined },
      );
      const block = Buffer.alloc(8192, 7);
      for (let i = 0; i < 16; i++) client.write(block);
      while (reads === 0) await new Promise((r) => setTimeout(r, 5));
      const warm = reads;
      names.forEach((name, i) => {
        factories[name] = function counted(...args: unknown[]) {
          if (counting) allocations++;
          return originals[i]!.apply(Buffer, args);
        };
      });
      counting = true;
      for (let i = 0; i < 256; i++) client.write(block);
      client.end();
      await done;
      counting = false;
      assert.ok(reads > warm, 'the proactor kept reading');
      assert.is(foreign, 0, 'every lease was pool memory');
      // The embedded backend models the kernel by copying writes; only the node backend's path is allocation-free.
      if (backendCase.name === 'node') assert.is(allocations, 0, `${allocations} Buffers created while reading`);
    } finally {
      names.forEach((name, i) => (factories[name] = originals[i]!));
      server.stop();
    }
  });

  test('empty source, source error, and unsubscribe gives unemitted leases back', async () => {
    assert.equal(await lastValueFrom(EMPTY.pipe(proactor(), toArray())), []);
    const boom = new Error('boom');
    assert.is(await lastValueFrom(throwError(() => boom).pipe(proactor())).catch((e) => e), boom);
    const bad = await firstValueFrom(EMPTY.pipe(proactor({ exactly: 0 }))).catch((e: RxloopError) => e.code);
    assert.is(bad, ErrorCode.INVALID_ARGUMENT);
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const pool = new LeasePool({ bufferSize: 64, buffers: 2 });
      const subscription = of(peer!).pipe(proactor({ pool, exactly: 64 })).subscribe();
      client.write('partial');
      await new Promise((r) => setTimeout(r, 30));
      subscription.unsubscribe();
      assert.is(pool.available, 2, 'the partly filled lease went back to the pool');
      assert.is(peer!.demand.readers, 0);
      client.close();
    } finally {
      server.stop();
    }
  });

  test.run();
}

/** A connection whose leased reads the test drives by hand: it lends from the source and completes what it likes. */
function scriptedConnection() {
  let source: BufferSource | undefined;
  let deliver: ((chunks: readonly Buffer[]) => void) | undefined;
  let finish: ((error: RxloopError | undefined) => void) | undefined;
  const state = { stopped: false, resumed: 0 };
  const connection = {
    readLeased(s: BufferSource, onChunks: (chunks: readonly Buffer[]) => void, onEnd: (e: RxloopError | undefined) => void) {
      source = s;
      deliver = onChunks;
      finish = onEnd;
      return () => (state.stopped = true);
    },
    resumeLeased: () => state.resumed++,
  } as unknown as Connection;
  return {
    connection,
    state,
    lend: (): Buffer | null => source!.lease(),
    complete: (...chunks: Buffer[]): void => deliver!(chunks),
    end: (): void => finish!(undefined),
  };
}

const scripted = suite('proactor against a scripted connection');

scripted('a full read hands over the lent buffer itself, which becomes the lease view', () => {
  const script = scriptedConnection();
  const pool = new LeasePool({ bufferSize: 8, buffers: 2 });
  const seen: [Buffer, number][] = [];
  let completed = false;
  of(script.connection).pipe(proactor({ pool })).subscribe({
    next: (lease) => {
      seen.push([lease.buffer, lease.length]);
      lease.release();
    },
    complete: () => (completed = true),
  });
  const first = script.lend()!;
  first.write('abcdefgh');
  script.complete(first);
  const second = script.lend()!;
  assert.is(second, first, 'a lease released at once is lent again');
  second.write('xyz');
  script.complete(second.subarray(0, 3));
  script.end();
  assert.is(seen[0]![0], first, 'the whole buffer was the view, no copy and no new view');
  assert.is(seen[0]![1], 8);
  assert.is(seen[1]![0].toString(), 'xyz');
  assert.ok(completed);
  assert.is(pool.available, 2);
});

scripted('a completion for memory that was not lent errors with ERR_SOCKET and gives the leases back', () => {
  const script = scriptedConnection();
  const pool = new LeasePool({ bufferSize: 8, buffers: 2 });
  let failure: RxloopError | undefined;
  of(script.connection).pipe(proactor({ pool })).subscribe({ error: (e: RxloopError) => (failure = e) });
  script.lend();
  script.complete(Buffer.alloc(8));
  assert.is(failure?.code, ErrorCode.SOCKET);
  assert.match(failure!.message, /fill the buffer it was lent/);
  assert.ok(script.state.stopped, 'reading stopped');
  assert.is(script.lend(), null, 'nothing is lent after the failure');
});

scripted('exact mode lends the unfilled tail until the lease holds exactly n bytes', () => {
  const script = scriptedConnection();
  const leases: string[] = [];
  of(script.connection).pipe(proactor({ exactly: 5, buffers: 1, autoRelease: true }), tap((lease) => {
    leases.push(lease.buffer.toString());
  })).subscribe();
  const head = script.lend()!;
  assert.is(head.length, 5);
  head.write('he');
  script.complete(head.subarray(0, 2));
  const tail = script.lend()!;
  assert.is(tail.length, 3, 'only the rest is lent');
  tail.write('llo');
  script.complete(tail);
  assert.equal(leases, ['hello']);
});

scripted('without credit the source lends nothing, and the next release resumes reading once', () => {
  const script = scriptedConnection();
  const held: Lease[] = [];
  of(script.connection).pipe(proactor({ bufferSize: 4, buffers: 1 })).subscribe((lease) => held.push(lease));
  script.complete(script.lend()!);
  assert.is(script.lend(), null);
  assert.is(script.state.resumed, 0);
  held[0]!.release();
  assert.is(script.state.resumed, 1);
  assert.ok(script.lend() !== null);
});

scripted.run();
