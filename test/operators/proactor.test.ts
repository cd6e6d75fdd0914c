import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, of, toArray, map, tap, Subject, EMPTY, throwError } from 'rxjs';
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
