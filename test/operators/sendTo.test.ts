import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, of, Subject, throwError, NEVER, EMPTY, from, scan, filter } from 'rxjs';
import { ErrorCode, RxloopError } from '../../src/index.js';
import { sendTo } from '../../operators/sendTo.js';
import { backendCases } from '../support/backendCases.js';
import { until } from '../backends/node/until.js';
import { dial, nextAccepted, readAll, startServer } from '../support/sockets.js';

for (const backendCase of backendCases) {
  const test = suite(`sendTo on ${backendCase.name}`);

  test('writes every value in order, then closes and completes once closed', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const received = readAll(client);
      const parts = Array.from({ length: 50 }, (_, i) => `part ${i};`);
      await lastValueFrom(from([...parts.slice(0, 10), parts.slice(10, 30), ...parts.slice(30)]).pipe(sendTo(peer!)), { defaultValue: undefined });
      assert.not.ok(peer!.isOpen);
      assert.is((await received).toString(), parts.join(''));
    } finally {
      server.stop();
    }
  });

  test("onComplete 'end' half-closes; 'none' leaves the connection open", async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const received = readAll(client);
      await lastValueFrom(of('a').pipe(sendTo(peer!, { onComplete: 'none' })), { defaultValue: undefined });
      assert.ok(peer!.isOpen);
      assert.not.ok(peer!.isOutputEnded);
      await lastValueFrom(of('b').pipe(sendTo(peer!, { onComplete: 'end' })), { defaultValue: undefined });
      assert.ok(peer!.isOutputEnded);
      assert.is((await received).toString(), 'ab');
      client.close();
    } finally {
      server.stop();
    }
  });

  test('a large echo with a non-reading-then-reading peer is complete and bounded', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      peer!.data$.pipe(sendTo(peer!)).subscribe();
      const payload = randomBytes(2 * 1024 * 1024);
      for (let i = 0; i < payload.length; i += 65536) client.write(payload.subarray(i, i + 65536));
      client.end();
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(peer!.writableLength < 1024 * 1024, `server queued ${peer!.writableLength} bytes`);
      const echoed = await readAll(client);
      assert.ok(echoed.equals(payload));
    } finally {
      server.stop();
    }
  });

  test('writing to a closed connection errors with ERR_SOCKET_CLOSED; source errors pass on after closing', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      peer!.close();
      const closedError = await lastValueFrom(of('late').pipe(sendTo(peer!))).catch((e: RxloopError) => e.code);
      assert.is(closedError, ErrorCode.SOCKET_CLOSED);
      const boom = new Error('boom');
      const error = await lastValueFrom(throwError(() => boom).pipe(sendTo(client))).catch((e) => e);
      assert.is(error, boom);
      await firstValueFrom(client.closed$);
    } finally {
      server.stop();
    }
  });

  test('straight from data$ (no operator between): demand follows the subscription, input end closes', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const echo = peer!.data$.pipe(sendTo(peer!)).subscribe();
      assert.is(peer!.demand.readers, 1);
      assert.is(peer!.demand.reading, true);
      // Another reader of the same input is served alongside the writer.
      const copies: Buffer[] = [];
      const tap = peer!.data$.subscribe((chunk) => copies.push(chunk));
      client.write('ping');
      const first = await firstValueFrom(client.data$.pipe(
        scan((all, chunk) => Buffer.concat([all, chunk]), Buffer.alloc(0)),
        filter((all) => all.length >= 4),
      ));
      assert.is(first.toString(), 'ping');
      assert.is(Buffer.concat(copies).toString(), 'ping');
      tap.unsubscribe();
      // Unsubscribing the echo stops reading and leaves the connection open.
      echo.unsubscribe();
      assert.is(peer!.demand.readers, 0);
      assert.is(peer!.demand.reading, false);
      assert.ok(peer!.isOpen);
      // A new echo; the end of its input completes it once the connection has closed.
      const done = lastValueFrom(peer!.data$.pipe(sendTo(peer!)), { defaultValue: 'done' });
      client.write('pong');
      const rest = readAll(client);
      await new Promise((r) => setTimeout(r, 30));
      client.end();
      assert.is(await done, 'done');
      assert.not.ok(peer!.isOpen);
      assert.is((await rest).toString(), 'pong');
    } finally {
      server.stop();
    }
  });

  test('a data$ that already ended completes the writer at once; behind another reader it waits its turn', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const readiness = peer!.readable$.subscribe();
      const echoed: string[] = [];
      client.data$.subscribe((chunk) => echoed.push(chunk.toString()));
      const echo = peer!.data$.pipe(sendTo(peer!, { onComplete: 'none' })).subscribe();
      client.write('abc');
      await until(() => peer!.demand.readableLength === 3, 'the bytes to wait for the readiness reader');
      assert.equal(echoed, [], 'the writer waits while readable$ reads');
      readiness.unsubscribe();
      await until(() => echoed.join('') === 'abc', 'the echo once the writer has its turn');
      echo.unsubscribe();
      // The server's accepted connections replay: the second one is the new client's.
      const [accepted] = await Promise.all([nextAccepted(server, 2), dial(backend, server.port).then((c) => c.end())]);
      const other = accepted[1]!;
      await firstValueFrom(other.data$, { defaultValue: undefined });
      assert.ok(other.isInputEnded);
      await lastValueFrom(other.data$.pipe(sendTo(other, { onComplete: 'end' })), { defaultValue: undefined });
      assert.ok(other.isOutputEnded);
      client.abort();
    } finally {
      server.stop();
    }
  });

  test('empty source closes; unsubscribe leaves the connection to its owner', async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      await lastValueFrom(EMPTY.pipe(sendTo(peer!)), { defaultValue: undefined });
      assert.not.ok(peer!.isOpen);
      const source = new Subject<string>();
      const subscription = source.pipe(sendTo(client)).subscribe();
      source.next('x');
      subscription.unsubscribe();
      assert.is(source.observed, false);
      assert.ok(client.isOpen);
      const never = NEVER.pipe(sendTo(client)).subscribe();
      never.unsubscribe();
      client.close();
    } finally {
      server.stop();
    }
  });

  test.run();
}
