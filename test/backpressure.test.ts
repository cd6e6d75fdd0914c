import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Observable, firstValueFrom, filter } from 'rxjs';
import { connect, listen, type Connection, type ListeningServer } from '../src/index.js';
import { boundedConcatMap } from '../operators/boundedConcatMap.js';
import { openConnection } from './support/sockets.js';
import { sendTo } from '../operators/sendTo.js';

const MiB = 1024 * 1024;

function onNextTurn<T>(value: T): Observable<T> {
  return new Observable<T>((subscriber) => {
    const handle = setImmediate(() => {
      subscriber.next(value);
      subscriber.complete();
    });
    return () => clearImmediate(handle);
  });
}

function serverFor(handle: (c: Connection) => void): Promise<{ port: number; stop: () => void; server: ListeningServer }> {
  return new Promise((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, onListening: (server) =>
      resolve({ port: server.address.kind === 'inet' ? server.address.port : 0, stop: () => s.unsubscribe(), server }) })
      .subscribe(handle);
  });
}

test('256 MiB into a slow handler: the server buffers a few MiB at most, the sender waits', async () => {
  let processed = 0;
  let maxBuffered = 0;
  let serverConnection: Connection | undefined;
  const done = new Promise<void>((resolve) => {
    void serverFor((c) => {
      serverConnection = c;
      c.data$
        .pipe(boundedConcatMap(c, (chunk) => onNextTurn(chunk), { highWaterMark: 256 * 1024 }))
        .subscribe({
          next: (chunk) => {
            processed += chunk.length;
            maxBuffered = Math.max(maxBuffered, c.bytesRead - processed);
          },
          complete: () => resolve(),
        });
    }).then(async ({ port, stop }) => {
      const client = await openConnection({ host: '127.0.0.1', port });
      const block = Buffer.alloc(MiB, 0xab);
      let waits = 0;
      for (let sent = 0; sent < 256 * MiB; sent += MiB) {
        if (!client.write(block)) {
          waits++;
          await firstValueFrom(client.writable$.pipe(filter(() => client.demand.writable)));
        }
      }
      client.end();
      await done;
      stop();
      assert.ok(waits > 0, 'the sender was made to wait');
    });
  });
  await done;
  assert.is(processed, 256 * MiB);
  assert.is(serverConnection!.bytesRead, 256 * MiB);
  assert.ok(maxBuffered < 4 * MiB, `server buffered up to ${(maxBuffered / MiB).toFixed(1)} MiB`);
});

test('a server writing to a peer that does not read stops reading its own input', async () => {
  let serverSide: Connection | undefined;
  let sawPaused = false;
  let maxWritable = 0;
  const { port, stop } = await serverFor((c) => {
    serverSide = c;
    c.demand$.subscribe((d) => {
      if (!d.reading && !d.writable) sawPaused = true;
      maxWritable = Math.max(maxWritable, d.writableLength);
    });
    c.data$.pipe(sendTo(c)).subscribe({ error: () => undefined });
  });
  try {
    const client = await openConnection({ host: '127.0.0.1', port });
    // The client writes and never reads what is echoed back.
    const block = Buffer.alloc(256 * 1024, 1);
    let accepted = 0;
    for (let i = 0; i < 256; i++) {
      if (!client.write(block)) break;
      accepted++;
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(sawPaused, 'the server paused reading while its writes were backed up');
    assert.ok(accepted < 256, 'the client felt the backpressure');
    assert.ok(serverSide!.writableLength < 8 * MiB, `server write buffer ${serverSide!.writableLength}`);
    client.abort();
  } finally {
    stop();
  }
});

test.run();
