import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { connect, listen, type ListeningServer } from '../src/index.js';
import { openConnection } from './support/sockets.js';
import { sendTo } from '../operators/sendTo.js';

function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
}

test('1,000 connect/echo/close cycles leak no handles or listeners', async () => {
  await settle();
  const before = resources();
  let server: ListeningServer | undefined;
  const subscription = listen({ host: '127.0.0.1', port: 0, onListening: (s) => (server = s) }).subscribe((c) =>
    c.data$.pipe(sendTo(c)).subscribe(),
  );
  while (server === undefined) await new Promise((r) => setImmediate(r));
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  for (let i = 0; i < 1000; i++) {
    const client = await openConnection({ host: '127.0.0.1', port });
    const echoed = lastValueFrom(client.data$, { defaultValue: Buffer.alloc(0) });
    client.write('x');
    client.end();
    await echoed;
    await firstValueFrom(client.closed$);
  }
  // Let the server side see the last closes.
  for (let i = 0; i < 50 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(server.connections, 0);
  assert.is(server.accepted, 1000);
  subscription.unsubscribe();
  await settle();
  const after = resources();
  for (const [kind, count] of after) {
    assert.ok(count <= (before.get(kind) ?? 0), `${kind}: ${before.get(kind) ?? 0} before, ${count} after`);
  }
  assert.is(process.listenerCount('uncaughtException'), 0);
});

test.run();
