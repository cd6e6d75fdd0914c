import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, of, Subject, throwError, NEVER, EMPTY, from } from 'rxjs';
import { ErrorCode, RxloopError } from '../../src/index.js';
import { sendTo } from '../../operators/sendTo.js';
import { backendCases } from '../support/backendCases.js';
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
