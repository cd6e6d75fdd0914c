// The multi-reactor path of the RESP server inside one process: a client-facing server whose connections
// forward over a KeyspaceLink to keyspaceService on a Unix socket, as a sub-reactor does to the main process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, map, mergeMap, timeout, type Subscription } from 'rxjs';
import type { Connection } from '../../../src/Connection.js';
import { connect } from '../../../src/connect.js';
import { listen } from '../../../src/listen.js';
import { ErrorCode, type RxloopError } from '../../../src/errors.js';
import { sendTo } from '../../../operators/sendTo.js';
import { digest } from '../../../examples/resp/digest.js';
import { digestReplies } from '../../../examples/resp/digestReplies.js';
import { KeyspaceLink } from '../../../examples/resp/KeyspaceLink.js';
import { LinkFrame } from '../../../examples/resp/LinkFrame.js';
import keyspaceService from '../../../examples/resp/keyspaceService.js';
import { closeClients, rawClient } from './respClients.js';
import { resp } from './respHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'rxloop-link-'));
const path = join(dir, 'keyspace.sock');
const failures: RxloopError[] = [];
const cleanups: (() => void)[] = [];
let service: Subscription | undefined;
let front: Subscription | undefined;
let port = 0;

const inlineHash = map((work: { value: Uint8Array | string; rounds: number }) => Buffer.from(`$64\r\n${digest(work.value, work.rounds)}\r\n`));

function startService(): Promise<void> {
  return new Promise((resolve) => {
    service = listen({ path, onListening: () => resolve() }).pipe(mergeMap((link) => keyspaceService(link))).subscribe();
  });
}

test.before(async () => {
  await startService();
  await new Promise<void>((resolve) => {
    front = listen({
      host: '127.0.0.1',
      port: 0,
      onListening: (server) => {
        port = (server.address as { port: number }).port;
        resolve();
      },
    })
      .pipe(
        mergeMap((connection) => {
          const served = connection.data$.pipe(KeyspaceLink.to(path).forward(connection), digestReplies(inlineHash), sendTo(connection));
          served.subscribe({ error: (error: RxloopError) => { failures.push(error); connection.close(); } });
          return [];
        }),
      )
      .subscribe();
  });
});

test.after.each(() => closeClients());

test.after(() => {
  for (const cleanup of cleanups) cleanup();
  front?.unsubscribe();
  service?.unsubscribe();
  rmSync(dir, { recursive: true, force: true });
});

test('replies come back in order, across chunks and connections, and DIGEST is hashed on this side', async () => {
  const first = await rawClient(port, `${resp('SET', 'link:k', 'v')}*2\r\n$3\r\nGET\r\n$6\r\nlink`);
  const second = await rawClient(port);
  await first.waitFor((text) => text === '+OK\r\n', 'the first reply');
  first.socket.write(':k\r\nDIGEST link:k 3\r\nINCR link:n\r\n');
  second.socket.write('INCR link:n\r\nGET link:k\r\n');
  await first.waitFor((text) => text.length >= 5 + 7 + 71 + 4, 'four replies');
  await second.waitFor((text) => text.length >= 4 + 7, 'two replies');
  const incrFirst = first.received().slice(-4);
  assert.is(first.received(), `+OK\r\n$1\r\nv\r\n$64\r\n${digest(Buffer.from('v'), 3)}\r\n${incrFirst}`);
  assert.equal([incrFirst, second.received().slice(0, 4)].sort(), [':1\r\n', ':2\r\n']);
  assert.is(second.received().slice(4), '$1\r\nv\r\n');
});

test('QUIT and the end of input close the connection after its replies; a big value crosses in pieces', async () => {
  const quit = await rawClient(port, 'PING\r\nQUIT\r\nPING\r\n');
  assert.is(await quit.closed, '+PONG\r\n+OK\r\n');
  const big = 'x'.repeat(3 * 1024 * 1024);
  const fin = await rawClient(port);
  fin.socket.end(`${resp('SET', 'link:big', big)}GET link:big\r\nEXISTS link:big\r\n`);
  assert.is(await fin.closed, `+OK\r\n$${big.length}\r\n${big}\r\n:1\r\n`);
});

test('when the link fails, its connections fail with ERR_SOCKET_CLOSED; the next connection links again', async () => {
  const waiting = await rawClient(port, 'PING\r\n');
  await waiting.waitFor((text) => text === '+PONG\r\n', 'a PONG');
  failures.length = 0;
  service?.unsubscribe();
  await waiting.closed;
  assert.equal(failures.map((failure) => failure.code), [ErrorCode.SOCKET_CLOSED]);
  await startService();
  const again = await rawClient(port, 'SET link:after restart\r\nGET link:after\r\n');
  assert.is(await again.waitFor((text) => text.length >= 16, 'two replies'), '+OK\r\n$7\r\nrestart\r\n');
});

test('a connection whose forwarded bytes go unanswered stops reading past 1 MiB, and reads again once answered', async () => {
  // A service that takes the link but does not read it until told to, then answers everything with one DONE.
  const stalledPath = join(dir, 'stalled.sock');
  let serviceSide: Connection | undefined;
  const accepted = new Promise<void>((resolve) => {
    const stalled = listen({ path: stalledPath }).subscribe((link) => {
      serviceSide = link;
      resolve();
    });
    cleanups.push(() => stalled.unsubscribe());
  });
  let clientSide: Connection | undefined;
  const frontReady = new Promise<number>((resolve) => {
    const front2 = listen({ host: '127.0.0.1', port: 0, onListening: (server) => resolve((server.address as { port: number }).port) })
      .subscribe((connection) => {
        clientSide = connection;
        connection.data$.pipe(KeyspaceLink.to(stalledPath).forward(connection), digestReplies(inlineHash), sendTo(connection)).subscribe({ error: () => undefined });
      });
    cleanups.push(() => front2.unsubscribe());
  });
  const raw = await rawClient(await frontReady);
  // The link opens with the connection's first bytes.
  raw.socket.write('PING\r\n'.repeat(600_000)); // 3.6 MB
  await accepted;
  await firstValueFrom(clientSide!.demand$.pipe(filter((d) => !d.reading && d.holds > 0), timeout(5000)));

  let session = 0;
  let received = 0;
  serviceSide!.data$.pipe(LinkFrame.decode()).subscribe({
    next: (frames) => {
      for (const frame of frames) {
        session = LinkFrame.session(frame);
        if (LinkFrame.kind(frame) === LinkFrame.DATA) received += LinkFrame.payload(frame).length;
      }
      serviceSide!.write(LinkFrame.header(session, LinkFrame.DONE, received, 0));
      received = 0;
    },
    error: () => undefined, // the link is cut mid-frame when the test ends
  });
  await firstValueFrom(clientSide!.demand$.pipe(filter((d) => d.reading), timeout(5000)));
});

test('the service holds a session whose replies pass the output budget until MORE, and hands out DIGESTs four at a time', async () => {
  // Subscribed for the whole test: unsubscribing from connect closes the connection.
  const link = await new Promise<Connection>((resolve) => {
    const linking = connect({ path }).subscribe(resolve);
    cleanups.push(() => linking.unsubscribe());
  });
  const frames: Buffer[] = [];
  link.data$.pipe(LinkFrame.decode()).subscribe({ next: (batch) => frames.push(...batch.map((frame) => Buffer.from(frame))), error: () => undefined });
  const send = (session: number, kind: number, payload = ''): void => {
    link.write(Buffer.concat([LinkFrame.header(session, kind, 0, Buffer.byteLength(payload, 'latin1')), Buffer.from(payload, 'latin1')]));
  };
  const of = (session: number): Buffer[] => frames.filter((frame) => LinkFrame.session(frame) === session);
  const kinds = (session: number): number[] => of(session).map((frame) => LinkFrame.kind(frame));
  const count = (session: number, kind: number): number => kinds(session).filter((k) => k === kind).length;
  const until = async (check: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`expected ${what} within 10 s, got kinds ${JSON.stringify(kinds(1))}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** Every frame before this is answered: a PING on a session of its own comes back. */
  let probes = 100;
  const settled = async (): Promise<void> => {
    const probe = ++probes;
    send(probe, LinkFrame.OPEN, '\n');
    send(probe, LinkFrame.DATA, 'PING\r\n');
    await until(() => count(probe, LinkFrame.DONE) === 1, 'the probe answered');
  };
  const { OPEN, DATA, MORE, PART, HELD, DONE, DIGEST } = LinkFrame;
  const value = 'x'.repeat(100_000);
  send(1, OPEN, '\n');
  send(1, DATA, resp('SET', 'held:k', value));
  await until(() => count(1, DONE) === 1, 'the SET answered');
  frames.length = 0;

  // Each GET's reply passes the 64 KiB budget: one reply per MORE; the PING behind waits in line.
  const gets = 'GET held:k\r\n'.repeat(3);
  send(1, DATA, gets);
  send(1, DATA, 'PING\r\n');
  await until(() => count(1, HELD) === 1, 'HELD');
  await settled();
  assert.equal(kinds(1), [PART, HELD]);
  assert.is(LinkFrame.payload(of(1)[0]!).toString('latin1'), `$${value.length}\r\n${value}\r\n`);
  for (let held = 2; held <= 3; held++) {
    send(1, MORE);
    await until(() => count(1, HELD) === held, `HELD ${held}`);
  }
  send(1, MORE);
  await until(() => count(1, DONE) === 2, 'both DONEs');
  assert.equal(kinds(1), [PART, HELD, PART, HELD, PART, HELD, DONE, DONE]);
  const dones = of(1).filter((frame) => LinkFrame.kind(frame) === DONE);
  assert.equal(dones.map((frame) => [LinkFrame.arg(frame), LinkFrame.payload(frame).toString('latin1')]), [[gets.length, ''], [6, '+PONG\r\n']]);
  frames.length = 0;

  // Six DIGESTs: four values go to the sub-reactor, then the session waits for MORE.
  send(1, DATA, 'DIGEST held:k 1\r\n'.repeat(6));
  await until(() => count(1, HELD) === 1, 'HELD after the DIGESTs');
  await settled();
  assert.is(count(1, DIGEST), 4);
  assert.is(count(1, DONE), 0);
  send(1, MORE);
  await until(() => count(1, DONE) === 1, 'the DONE');
  assert.is(count(1, DIGEST), 6);
});

test.run();
