import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { map, mergeMap, lastValueFrom, toArray, type Observable } from 'rxjs';
import { listen, type Backend, type Connection } from '../../src/index.js';
import { encodeLengthPrefixed, lengthPrefixed, sendTo } from '../../operators/index.js';
import { backendCases } from '../support/backendCases.js';
import { openConnection } from '../support/sockets.js';

/** Serves `handler` on 127.0.0.1, port 0, and resolves with the port and a stop function. */
function serveWith(backend: Backend, handler: (c: Connection) => Observable<unknown>) {
  return new Promise<{ port: number; stop: () => void }>((resolve) => {
    const s = listen({ host: '127.0.0.1', port: 0, backend, onListening: (info) =>
      resolve({ port: info.address.kind === 'inet' ? info.address.port : 0, stop: () => s.unsubscribe() }) })
      .pipe(mergeMap(handler))
      .subscribe();
  });
}

/** Writes bytes in seeded random pieces, yielding between some of them. */
async function writeInPieces(connection: Connection, bytes: Buffer, seed: number): Promise<void> {
  let state = seed;
  for (let at = 0; at < bytes.length; ) {
    state = (state * 48271) % 2147483647;
    const size = 1 + (state % 700);
    connection.write(bytes.subarray(at, at + size));
    at += size;
    if (state % 5 === 0) await new Promise((r) => setImmediate(r));
  }
}

for (const backendCase of backendCases) {
  const test = suite(`pipelines built only from operators, on ${backendCase.name}`);

  test('echo: data$ -> sendTo', async () => {
    const backend = backendCase.make();
    const { port, stop } = await serveWith(backend, (c) => c.data$.pipe(sendTo(c)));
    try {
      const client = await openConnection({ host: '127.0.0.1', port, backend });
      const payload = randomBytes(100_000);
      const reply = lastValueFrom(client.data$.pipe(toArray()));
      await writeInPieces(client, payload, 3);
      client.end();
      assert.ok(Buffer.concat(await reply).equals(payload));
    } finally {
      stop();
    }
  });

  test('length-prefixed request/response: lengthPrefixed -> map -> encodeLengthPrefixed -> sendTo', async () => {
    const backend = backendCase.make();
    const { port, stop } = await serveWith(backend, (c) =>
      c.data$.pipe(
        lengthPrefixed({ maxLength: 64 * 1024 }),
        map((request) => Buffer.from(request.toString('latin1').toUpperCase(), 'latin1')),
        encodeLengthPrefixed(),
        sendTo(c),
      ),
    );
    try {
      const client = await openConnection({ host: '127.0.0.1', port, backend });
      const requests = Array.from({ length: 300 }, (_, i) => Buffer.from(`request ${i} `.repeat(1 + (i % 40))));
      const replies = lastValueFrom(client.data$.pipe(lengthPrefixed(), toArray()));
      await writeInPieces(client, Buffer.concat(requests.map((r) => encodeLengthPrefixedFrameFor(r))), 11);
      client.end();
      const got = (await replies).map((b) => b.toString());
      assert.equal(got, requests.map((r) => r.toString().toUpperCase()));
    } finally {
      stop();
    }
  });

  test.run();
}

function encodeLengthPrefixedFrameFor(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}
