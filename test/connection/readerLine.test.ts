import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import {
  EMPTY,
  Observable,
  concat,
  defer,
  firstValueFrom,
  lastValueFrom,
  map,
  of,
  switchMap,
  take,
  tap,
  toArray,
} from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode, type RxloopError } from '../../src/errors.js';
import { proactor } from '../../operators/proactor.js';
import type { Lease } from '../../operators/Lease.js';
import { backendCases } from '../support/backendCases.js';
import { dial, nextAccepted, startServer } from '../support/sockets.js';
import { until } from '../backends/node/until.js';

// Readers of one connection take turns in the order they subscribed, with no byte lost or read twice at a switch
// (see Connection's TSDoc). Every case runs on real loopback sockets and on the embedded backend, with and
// without random 1-3 byte fragmentation.

/**
 * `promise`, or a failure that names what never happened: a reader that never gets its turn would otherwise hang
 * the suite. A guard only; no test asserts on time.
 */
function guarded<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Writes `payload` in pieces of random sizes, some on later turns, so reads split anywhere. */
async function sendInPieces(client: Connection, payload: Buffer, seed: number): Promise<void> {
  let state = seed;
  const next = () => ((state = (state * 48271) % 2147483647) % 700) + 1;
  for (let i = 0; i < payload.length; ) {
    const n = next();
    client.write(payload.subarray(i, i + n));
    i += n;
    if (state % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Length-prefixed messages: a 4-byte big-endian length, then the body (lengths 0 to 300). */
function messages(count: number, seed: number): Buffer[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 48271) % 2147483647;
    return randomBytes(state % 7 === 0 ? 0 : state % 300);
  });
}

function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** Reads one message the way the users write it: a header read, then the body's read from inside it. */
function readMessage(connection: Connection): Observable<Buffer> {
  return of(connection).pipe(
    proactor({ exactly: 4, buffers: 1 }),
    take(1),
    switchMap((header) => {
      const length = header.buffer.readUInt32BE(0);
      header.release();
      if (length === 0) return of(Buffer.alloc(0));
      return of(connection).pipe(
        proactor({ exactly: length, buffers: 1 }),
        take(1),
        map((body) => {
          const copy = Buffer.from(body.buffer);
          body.release();
          return copy;
        }),
      );
    }),
  );
}

/** Reads `count` messages, each one's reads subscribed from inside the previous one's last emission. */
function readMessages(connection: Connection, count: number): Observable<Buffer> {
  return count === 0 ? EMPTY : readMessage(connection).pipe(
    switchMap((body) => concat(of(body), defer(() => readMessages(connection, count - 1)))),
  );
}

for (const backendCase of backendCases) {
  const test = suite(`readers take turns on ${backendCase.name}`);

  test('two proactors in a row: the second gets every byte after the first one\'s', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const payload = randomBytes(5000);
      const first = firstValueFrom(of(peer!).pipe(proactor({ exactly: 1234 })));
      await sendInPieces(client, payload, 3);
      const head = await guarded(first, 'the first read');
      const headBytes = Buffer.from(head.buffer);
      head.release();
      const rest = await guarded(firstValueFrom(of(peer!).pipe(proactor({ exactly: 5000 - 1234 }))), 'the second read');
      assert.ok(Buffer.concat([headBytes, rest.buffer]).equals(payload));
      rest.release();
      client.close();
    } finally {
      server.stop();
    }
  });

  test('header then body, the body\'s read subscribed from inside the header\'s emission, 200 messages', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const sent = messages(200, 17);
      const received = lastValueFrom(readMessages(peer!, sent.length).pipe(toArray()));
      await sendInPieces(client, Buffer.concat(sent.map(frame)), 29);
      const bodies = await guarded(received, 'all 200 messages');
      assert.is(bodies.length, sent.length);
      bodies.forEach((body, i) => assert.ok(body.equals(sent[i]!), `message ${i} arrived whole and in order`));
      assert.is(peer!.demand.readers, 0, 'no reader is left behind');
      client.close();
    } finally {
      server.stop();
    }
  });

  test('readable$, then a proactor, then data$: each takes what follows the one before', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const payload = randomBytes(3000);
      const pieces: Buffer[] = [];
      // A readiness reader that takes exactly 100 bytes, then hands over to a proactor for 900, then data$.
      const done = new Promise<void>((resolve, reject) => {
        let taken = 0;
        const readiness = peer!.readable$.subscribe({
          next: (connection) => {
            const bytes = connection.read(100 - taken);
            if (bytes === null) return;
            pieces.push(Buffer.from(bytes));
            taken += bytes.length;
            if (taken < 100) return;
            of(connection).pipe(proactor({ exactly: 900 }), take(1)).subscribe({
              next: (lease) => {
                pieces.push(Buffer.from(lease.buffer));
                lease.release();
                connection.data$.subscribe({
                  next: (chunk) => pieces.push(chunk),
                  complete: () => resolve(),
                  error: reject,
                });
              },
              error: reject,
            });
            readiness.unsubscribe();
          },
          error: reject,
        });
      });
      await sendInPieces(client, payload, 41);
      client.end();
      await guarded(done, 'all three readers');
      assert.is(pieces[0]!.length, 100, 'the readiness reader took exactly what it asked for');
      assert.ok(Buffer.concat(pieces).equals(payload), 'nothing lost, duplicated or reordered at either switch');
      client.close();
    } finally {
      server.stop();
    }
  });

  test('exactly(previous) sizes each read from the one before: header, body, header, ... with empty bodies', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const sent = messages(150, 5);
      let inBody = false;
      const done = lastValueFrom(of(peer!).pipe(
        proactor({
          bufferSize: 512,
          buffers: 2,
          autoRelease: true,
          exactly: (previous) => {
            const size = previous === undefined || inBody ? 4 : previous.buffer.readUInt32BE(0);
            inBody = previous !== undefined && !inBody;
            return size;
          },
        }),
        map((lease) => Buffer.from(lease.buffer)),
        toArray(),
      ));
      await sendInPieces(client, Buffer.concat(sent.map(frame)), 7);
      client.end();
      const reads = await guarded(done, 'every header and body');
      assert.is(reads.length, sent.length * 2, 'a header and a body per message, empty bodies included');
      sent.forEach((body, i) => {
        assert.is(reads[2 * i]!.readUInt32BE(0), body.length, `header ${i}`);
        assert.ok(reads[2 * i + 1]!.equals(body), `body ${i}`);
      });
      client.close();
    } finally {
      server.stop();
    }
  });

  test('exactly(previous) over bufferSize errors with ERR_FRAME_TOO_LONG, and the connection keeps the rest', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const outcome = lastValueFrom(of(peer!).pipe(proactor({
        bufferSize: 64,
        autoRelease: true,
        exactly: (previous) => (previous === undefined ? 4 : previous.buffer.readUInt32BE(0)),
      }))).catch((error: RxloopError) => error);
      client.write(frame(Buffer.alloc(65)));
      const error = await guarded(outcome, 'the failure');
      assert.is((error as RxloopError).code, ErrorCode.FRAME_TOO_LONG);
      assert.match((error as RxloopError).message, /at most 64 bytes/);
      // The refused body was never read: a reader after the failure still gets it.
      const body = await guarded(firstValueFrom(of(peer!).pipe(proactor({ exactly: 65 }))), 'the refused body');
      assert.is(body.length, 65);
      body.release();
      client.close();
    } finally {
      server.stop();
    }
  });

  test('a waiting reader that leaves the line before its turn takes nothing', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const first: Buffer[] = [];
      const reading = peer!.data$.subscribe((chunk) => first.push(chunk));
      const waiting = of(peer!).pipe(proactor({ exactly: 3 })).subscribe(() => assert.unreachable('it left'));
      const third = firstValueFrom(of(peer!).pipe(proactor({ exactly: 3 })));
      waiting.unsubscribe();
      client.write('abc');
      await until(() => Buffer.concat(first).toString() === 'abc', 'data$ to read abc');
      reading.unsubscribe();
      client.write('xyz');
      const lease = await guarded(third, 'the third reader');
      assert.is(lease.buffer.toString(), 'xyz');
      lease.release();
      client.close();
    } finally {
      server.stop();
    }
  });

  test('readers still in line when the input ends complete, after the bytes before the end', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const header = firstValueFrom(of(peer!).pipe(proactor({ exactly: 2 })));
      const body = lastValueFrom(peer!.data$.pipe(toArray()));
      const afterEnd = lastValueFrom(peer!.readable$.pipe(toArray()));
      client.write('hibody');
      client.end();
      const head = await guarded(header, 'the header');
      assert.is(head.buffer.toString(), 'hi');
      head.release();
      assert.is(Buffer.concat(await guarded(body, 'the body')).toString(), 'body');
      assert.equal(await guarded(afterEnd, 'the reader after the end'), []);
      client.close();
    } finally {
      server.stop();
    }
  });

  test.run();
}

const order = suite('exactly(previous): when it is called');

order('after the downstream next for previous returns, before autoRelease gives it back', async () => {
  const { embeddedBackend } = await import('../../src/backends/embedded/embedded.js');
  const backend = embeddedBackend();
  const server = await startServer(backend);
  try {
    const client = await dial(backend, server.port);
    const [peer] = await nextAccepted(server);
    const events: string[] = [];
    const done = lastValueFrom(of(peer!).pipe(
      proactor({
        autoRelease: true,
        exactly: (previous: Lease | undefined) => {
          events.push(previous === undefined ? 'size(first)' : `size(${previous.buffer.toString()})`);
          return 2;
        },
      }),
      tap((lease) => events.push(`next(${lease.buffer.toString()})`)),
      take(2),
    ));
    client.write('abcd');
    await done;
    assert.equal(events, ['size(first)', 'next(ab)', 'size(ab)', 'next(cd)']);
    client.close();
  } finally {
    server.stop();
  }
});

order('a function that throws or answers a non-integer fails the reader with what it threw or ERR_INVALID_ARGUMENT', async () => {
  const boom = new Error('boom');
  const connection = { readLeased: () => () => undefined, resumeLeased: () => undefined } as unknown as Connection;
  const thrown = await firstValueFrom(of(connection).pipe(proactor({ exactly: () => { throw boom; } }))).catch((e) => e);
  assert.is(thrown, boom);
  const bad = await firstValueFrom(of(connection).pipe(proactor({ exactly: () => 1.5 }))).catch((e: RxloopError) => e.code);
  assert.is(bad, ErrorCode.INVALID_ARGUMENT);
  let calls = 0;
  const empties = await lastValueFrom(of(connection).pipe(
    proactor({ exactly: () => (++calls < 3 ? 0 : 5) }),
    map((lease) => lease.length),
    take(2),
    toArray(),
  ));
  assert.equal(empties, [0, 0], 'zero-byte reads complete at once with empty leases');
});

order.run();
