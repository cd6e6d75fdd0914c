import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, createHash } from 'node:crypto';
import { firstValueFrom, filter, toArray, lastValueFrom, take } from 'rxjs';
import { ErrorCode, RxloopError, type Connection, type DemandState } from '../src/index.js';
import { backendCases } from './support/backendCases.js';
import { dial, nextAccepted, readAll, startServer } from './support/sockets.js';
import { until } from './backends/node/until.js';

for (const backendCase of backendCases) {
  const test = suite(`Connection on ${backendCase.name}`);

  test('echo: every byte arrives once, in order', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      peer!.data$.subscribe({ next: (chunk) => peer!.write(chunk), complete: () => peer!.close() });
      const payload = randomBytes(200_000);
      const received = readAll(client);
      for (let i = 0; i < payload.length; i += 7000) client.write(payload.subarray(i, i + 7000));
      client.end();
      const echoed = await received;
      assert.is(echoed.length, payload.length);
      assert.is(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(payload).digest('hex'));
    } finally {
      server.stop();
    }
  });

  test('writes made while a read is delivered leave when it returns, in order; end and close flush them first', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      let heldSeen = 0;
      peer!.data$.subscribe({
        next: (chunk) => {
          const before = peer!.writableLength;
          peer!.write('<');
          // The first write waits for the delivery to return, and counts as queued meanwhile.
          if (peer!.isDelivering && peer!.writableLength === before + 1) heldSeen++;
          peer!.write(chunk);
          peer!.write('>');
          if (chunk.includes('!')) {
            peer!.write('bye');
            peer!.end();
          }
        },
        error: () => undefined,
      });
      const echoed = readAll(client);
      client.write('one');
      await new Promise((r) => setTimeout(r, 20));
      client.write('two!');
      const text = (await echoed).toString();
      assert.ok(heldSeen > 0, 'a first write was held');
      assert.not.ok(peer!.isDelivering);
      // Every read came back framed, in order, and 'bye' went out before the end.
      assert.ok(text.endsWith('>bye'), text);
      assert.is(text.replace(/[<>]/g, '').replace(/bye$/, ''), 'onetwo!');
      client.abort();
    } finally {
      server.stop();
    }
  });

  test('half-close: the end of input completes data$ and output stays open', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const request = readAll(peer!);
      client.write('question');
      client.end();
      assert.is((await request).toString(), 'question');
      assert.ok(peer!.isInputEnded);
      assert.not.ok(peer!.isOutputEnded);
      const answer = readAll(client);
      peer!.write('answer after end of input');
      peer!.close();
      assert.is((await answer).toString(), 'answer after end of input');
      await firstValueFrom(peer!.closed$);
      await firstValueFrom(client.closed$);
    } finally {
      server.stop();
    }
  });

  test('readiness: readable$ and read(n) take exact sizes', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const records: string[] = [];
      const done = new Promise<void>((resolve) => {
        peer!.readable$.subscribe({
          next: (connection) => {
            for (;;) {
              const waiting = connection.demand.readableLength;
              if (waiting < 4) break;
              const record = connection.read(4);
              if (record === null) break;
              records.push(record.toString());
            }
          },
          complete: () => resolve(),
        });
      });
      client.write('aaaabb');
      client.write('bbccccdd');
      client.write('dd');
      client.end();
      await done;
      assert.equal(records, ['aaaa', 'bbbb', 'cccc', 'dddd']);
    } finally {
      server.stop();
    }
  });

  test('a reader of another kind waits its turn, then reads what follows', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const chunks: string[] = [];
      const subscription = client.data$.subscribe((chunk) => chunks.push(chunk.toString()));
      const taken: string[] = [];
      client.readable$.subscribe((connection) => {
        const bytes = connection.read();
        if (bytes !== null) taken.push(bytes.toString());
      });
      peer!.write('first');
      await until(() => chunks.join('') === 'first', 'data$ to read first');
      assert.equal(taken, [], 'readable$ waited');
      subscription.unsubscribe();
      peer!.write('second');
      await until(() => taken.join('') === 'second', 'readable$ to read second');
      assert.is(chunks.join(''), 'first');
      client.close();
    } finally {
      server.stop();
    }
  });

  test('write after close errors with ERR_SOCKET_CLOSED', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      client.close();
      assert.throws(() => client.write('late'), (e: RxloopError) => e.code === ErrorCode.SOCKET_CLOSED);
      await firstValueFrom(client.closed$);
      assert.throws(() => client.write('later'), (e: RxloopError) => e.code === ErrorCode.SOCKET_CLOSED);
      assert.not.ok(client.isOpen);
    } finally {
      server.stop();
    }
  });

  test('abort resets: the peer sees ERR_CONNECTION_RESET', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const outcome = lastValueFrom(peer!.data$.pipe(toArray())).then(
        () => 'completed',
        (e: RxloopError) => e.code,
      );
      client.abort();
      assert.is(await outcome, ErrorCode.CONNECTION_RESET);
      const closed = await firstValueFrom(peer!.closed$);
      assert.is(closed.error?.code, ErrorCode.CONNECTION_RESET);
    } finally {
      server.stop();
    }
  });

  test('several data$ subscribers each see every chunk; one leaving does not disturb the others', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const seen: string[][] = [[], [], []];
      const subscriptions = seen.map((list) => peer!.data$.subscribe((chunk) => list.push(chunk.toString())));
      assert.is(peer!.demand.readers, 3);
      // The middle one leaves from inside a delivery: the others still get this chunk and the next ones.
      subscriptions[0]!.unsubscribe();
      subscriptions[0] = peer!.data$.subscribe((chunk) => {
        seen[0]!.push(chunk.toString());
        subscriptions[1]!.unsubscribe();
      });
      client.write('a');
      await new Promise((r) => setTimeout(r, 30));
      client.write('b');
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(seen[0]!.join(''), 'ab');
      assert.equal(seen[1]!.join(''), 'a');
      assert.equal(seen[2]!.join(''), 'ab');
      assert.is(peer!.demand.readers, 2);
      subscriptions[0]!.unsubscribe();
      subscriptions[2]!.unsubscribe();
      assert.is(peer!.demand.readers, 0);
      assert.is(peer!.demand.reading, false);
      client.abort();
    } finally {
      server.stop();
    }
  });

  test('demand: no reader means no reading; the peer backs up', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const states: DemandState[] = [];
      peer!.demand$.subscribe((d) => states.push(d));
      assert.is(states[0]!.reading, false);
      // Nobody reads the peer: the client's writes back up instead of filling the server's memory.
      const chunk = Buffer.alloc(64 * 1024, 1);
      let writes = 0;
      while (client.write(chunk) && writes < 1000) writes++;
      assert.ok(writes < 1000, 'the client saw backpressure');
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(peer!.demand.readableLength <= 1024 * 1024, `server buffered ${peer!.demand.readableLength} bytes`);
      // A reader arrives: reading starts and the backlog drains.
      const drained = firstValueFrom(client.writable$.pipe(filter(() => client.demand.writable)));
      let received = 0;
      peer!.data$.subscribe({ next: (c) => (received += c.length), error: () => undefined });
      await drained;
      // A backend that refuses writes early (uring: once one mark's worth is on its way) may drain into the kernel's
      // buffers before the reader took anything; the reader's bytes then follow.
      for (let waited = 0; received === 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      assert.ok(states.some((s) => s.reading), 'demand$ reported reading');
      assert.ok(received > 0, 'the reader received the backlog');
      client.abort();
    } finally {
      server.stop();
    }
  });

  test('hold pauses reading until released', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const release = peer!.hold();
      const got: string[] = [];
      peer!.data$.subscribe((c) => got.push(c.toString()));
      assert.is(peer!.demand.reading, false);
      client.write('held');
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(got, []);
      release();
      release(); // harmless twice
      assert.is(peer!.demand.reading, true);
      await firstValueFrom(peer!.data$.pipe(take(1))).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 30));
      assert.is(got.join(''), 'held');
      client.close();
    } finally {
      server.stop();
    }
  });

  test('close with linger resets a connection whose peer never reads', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      // Fill both the kernel buffers and our write queue: the flush can never finish while the client sleeps.
      const block = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 64 && peer!.write(block); i++);
      for (let i = 0; i < 8; i++) peer!.write(block);
      peer!.close({ linger: 50 });
      assert.throws(() => peer!.close({ linger: -1 }), (e: RxloopError) => e.code === ErrorCode.INVALID_ARGUMENT);
      const closed = await firstValueFrom(peer!.closed$);
      assert.is(closed.error, undefined);
      assert.not.ok(peer!.isOpen);
      client.abort();
    } finally {
      server.stop();
    }
  });

  test('closed$ replays to late subscribers and listen counts connections', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      client.close();
      await lastValueFrom(peer!.data$, { defaultValue: undefined });
      peer!.close();
      const closed = await firstValueFrom(peer!.closed$);
      assert.is(closed.error, undefined);
      const again = await firstValueFrom(peer!.closed$);
      assert.is(again, closed);
      const late: Connection[] = [];
      peer!.writable$.subscribe({ complete: () => late.push(peer!) });
      assert.is(late.length, 1);
    } finally {
      server.stop();
    }
  });

  test.run();
}
