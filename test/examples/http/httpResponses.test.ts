import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NEVER, Subject, lastValueFrom, of, type SchedulerLike } from 'rxjs';
import { ErrorCode, RxloopError, type Connection } from '../../../src/index.js';
import { proactor } from '../../../operators/proactor.js';
import { sendTo } from '../../../operators/sendTo.js';
import { appRouter } from '../../../examples/http/appRouter.js';
import { HttpRouter } from '../../../examples/http/HttpRouter.js';
import { httpResponses } from '../../../examples/http/httpResponses.js';
import { backendCases } from '../../support/backendCases.js';
import { dial, nextAccepted, readAll, startServer } from '../../support/sockets.js';
import { parseResponses } from './httpClients.js';
import { timeline, write } from './timeline.js';

const router = new HttpRouter()
  .on('GET', '/', (_request, response) => response.send(200, 'text/plain', 'ok'))
  .on('GET', '/boom', () => {
    throw new Error('boom');
  });

const serveRouter = (connection: Connection) =>
  connection.data$.pipe(
    httpResponses(connection, { handler: router.handle, headerTimeout: 100, idleTimeout: 500 }),
    sendTo(connection),
  );

test('a route that throws gets a 500, then the stream errors with ERR_TASK_FAILED (a server bug, reported)', () => {
  const steps = [[10, write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /boom HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')]] as const;
  assert.equal(timeline(serveRouter, [{ name: 'c', steps }]), [
    `10 server handler-error ${ErrorCode.TASK_FAILED}`,
    '10 c HTTP/1.1 200',
    '10 c HTTP/1.1 500',
    '10 c end',
    '10 server closed',
    '10 c closed',
  ]);
});

test('one session per subscription; unsubscribing stops the timers and the reads', () => {
  const reads = new Subject<Buffer>();
  let now = 0;
  const timers: { delay: number; cancelled: boolean }[] = [];
  const scheduler = {
    now: () => now,
    schedule: (_work: unknown, delay = 0) => {
      const timer = { delay, cancelled: false };
      timers.push(timer);
      return { unsubscribe: () => void (timer.cancelled = true) };
    },
  } as unknown as SchedulerLike;
  const connection = { bytesRead: 0, bytesWritten: 0, draining$: NEVER } as unknown as Connection;
  const operator = httpResponses(connection, { handler: router.handle, headerTimeout: 100, idleTimeout: 500, scheduler });
  const outputs: string[][] = [[], []];
  const subscriptions = outputs.map((out) => reads.pipe(operator).subscribe((batch) => out.push(...batch.map((b) => b.toString('latin1')))));
  reads.next(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.is(outputs[0]!.length, 1);
  assert.is(outputs[1]!.length, 1);
  now = 10;
  reads.next(Buffer.from('GET / HT'));
  // The new head is due at 110; the timers, due at 100, already come first, so none is re-armed.
  assert.equal(timers.map((t) => t.delay), [100, 100]);
  for (const s of subscriptions) s.unsubscribe();
  assert.ok(timers.every((t) => t.cancelled));
  assert.is(reads.observed, false);
});

test('a consumer that leaves on a response (a failed write) gets no timer armed behind its back', () => {
  const reads = new Subject<Buffer>();
  const timers: { work: () => void; cancelled: boolean }[] = [];
  let now = 0;
  const scheduler = {
    now: () => now,
    schedule: (work: () => void) => {
      const timer = { work, cancelled: false };
      timers.push(timer);
      return { unsubscribe: () => void (timer.cancelled = true) };
    },
  } as unknown as SchedulerLike;
  const connection = { bytesRead: 0, bytesWritten: 0, draining$: NEVER } as unknown as Connection;
  let responses = 0;
  const subscription = reads
    .pipe(httpResponses(connection, { handler: router.handle, headerTimeout: 100, idleTimeout: 500, scheduler }))
    .subscribe(() => {
      if (++responses === 2) subscription.unsubscribe();
    });
  reads.next(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  now = 100;
  timers[0]!.work(); // idle now: the next look is at 500
  assert.is(timers.length, 2);
  now = 150;
  // A response, then a new head due at 250, before 500: it would re-arm the timer, but the consumer has left.
  reads.next(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HT'));
  assert.is(responses, 2);
  assert.is(timers.length, 2);
  assert.ok(timers[1]!.cancelled);
});

test('errors from the reads pass through', () => {
  const reads = new Subject<Buffer>();
  const connection = { bytesRead: 0, bytesWritten: 0, draining$: NEVER, backend: { scheduler: { now: () => 0, schedule: () => ({ unsubscribe() {} }) } } } as unknown as Connection;
  let seen: unknown;
  reads.pipe(httpResponses(connection, { handler: router.handle, headerTimeout: 100, idleTimeout: 500 })).subscribe({ error: (e) => (seen = e) });
  const reset = new RxloopError(ErrorCode.CONNECTION_RESET, 'reset');
  reads.error(reset);
  assert.is(seen, reset);
});

// Leases from a one-buffer pool, poisoned on release: heads and bodies span many reads into the same memory
// (7 bytes: every head is split; 100 bytes: some heads arrive whole and their bodies do not), so any view
// kept past a call would show 0xDD or later bytes in the answers.
const CHUNKED_PARTS = ['abcde', 'fghijklmnopqrstuv'];
const LONG_BODY = 'the body of a request that spans many small reads, '.repeat(3);
// The first request is exactly 100 bytes, so with 100-byte leases the second head arrives whole at the start of
// a read and its body does not: the head must then be copied out of the lease.
const paddedGet = (pad: number): string => `GET /?q=1 HTTP/1.1\r\nHost: x\r\nX-Long: ${'v'.repeat(pad)}\r\n\r\n`;
const LEASED_REQUESTS =
  paddedGet(100 - paddedGet(0).length) +
  `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${LONG_BODY.length}\r\n\r\n${LONG_BODY}` +
  `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKED_PARTS.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n` +
  'GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

for (const [backendCase, bufferSize] of backendCases.flatMap((c) => [[c, 7], [c, 100]] as const)) {
  test(`reads as ${bufferSize}-byte poisoned leases (proactor) are answered byte-exact, on ${backendCase.name}`, async () => {
    const backend = backendCase.make();
    const server = await startServer(backend);
    try {
      const client = await dial(backend, server.port);
      const [peer] = await nextAccepted(server);
      const served = lastValueFrom(
        of(peer!).pipe(
          proactor({ bufferSize, buffers: 1, autoRelease: true, poison: true }),
          httpResponses(peer!, { handler: appRouter().handle, headerTimeout: 5000, idleTimeout: 5000 }),
          sendTo(peer!, { onComplete: 'end' }),
        ),
        { defaultValue: undefined },
      );
      const answer = readAll(client);
      client.write(LEASED_REQUESTS);
      const responses = parseResponses((await answer).toString('latin1'));
      client.close();
      await served;
      assert.equal(responses.map((r) => r.status), [200, 200, 200, 200]);
      assert.equal(responses.map((r) => r.body), ['hello', LONG_BODY, CHUNKED_PARTS.join(''), '{"message":"Hello, World!"}']);
      assert.is(responses[3]!.headers.get('connection'), 'close');
    } finally {
      server.stop();
    }
  });
}

test.run();
