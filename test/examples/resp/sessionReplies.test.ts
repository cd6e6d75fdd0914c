// sessionReplies: respReplies and digestReplies fused into one stage. The same reads through the fused stage and
// through the two stages must give the same bytes; DIGEST replies keep their place whenever the hash answers.
import { test } from 'uvu';
import { connect as netConnect } from 'node:net';
import * as assert from 'uvu/assert';
import { Observable, Subject, concatMap, defer, delay, finalize, from, lastValueFrom, map, of, tap, throwError, toArray, type OperatorFunction } from 'rxjs';
import { CommandTable } from '../../../examples/resp/CommandTable.js';
import { commands } from '../../../examples/resp/commands.js';
import { digest } from '../../../examples/resp/digest.js';
import { digestReplies } from '../../../examples/resp/digestReplies.js';
import type { DigestWork } from '../../../examples/resp/digestTask.js';
import { Keyspace } from '../../../examples/resp/Keyspace.js';
import { respReplies } from '../../../examples/resp/respReplies.js';
import { RespSession } from '../../../examples/resp/RespSession.js';
import { REPLY_BUDGET, sessionReplies } from '../../../examples/resp/sessionReplies.js';
import { listen } from '../../../src/listen.js';
import { handle } from '../../../operators/handle.js';
import { sendTo } from '../../../operators/sendTo.js';

/** The complete DIGEST reply, computed inline. */
const inlineHash: OperatorFunction<DigestWork, Buffer> = map((w) => Buffer.from(`$64\r\n${digest(w.value, w.rounds)}\r\n`, 'latin1'));
/** Answers `<value x rounds>` after `rounds` ms, in order (as offload does). */
const slowHash: OperatorFunction<DigestWork, Buffer> = concatMap((w) =>
  of(Buffer.from(`<${Buffer.from(w.value).toString('latin1')} x${w.rounds}>`, 'latin1')).pipe(delay(w.rounds)),
);

const deferring = (keyspace = new Keyspace()): RespSession => new RespSession(keyspace, { deferDigest: true });

/** A fused stage fed by hand; records what comes out. */
function collect(session: RespSession, hash: OperatorFunction<DigestWork, Buffer>) {
  const input = new Subject<Buffer>();
  const seen: string[] = [];
  let completed = false;
  let failed: unknown;
  const subscription = input.pipe(sessionReplies(session, hash)).subscribe({
    next: (reply) => seen.push(reply.toString('latin1')),
    complete: () => (completed = true),
    error: (error) => (failed = error),
  });
  return {
    read: (text: string) => input.next(Buffer.from(text, 'latin1')),
    input,
    seen,
    subscription,
    done: () => completed,
    failed: () => failed,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a read without DIGEST leaves synchronously as one buffer; the stream completes with the input', () => {
  const c = collect(deferring(), slowHash);
  c.read('SET k v\r\nGET k\r\nPING\r\n');
  c.read('*1\r\n$4\r\nPI');
  assert.equal(c.seen, ['+OK\r\n$1\r\nv\r\n+PONG\r\n']);
  c.read('NG\r\n');
  assert.equal(c.seen, ['+OK\r\n$1\r\nv\r\n+PONG\r\n', '+PONG\r\n']);
  assert.not.ok(c.done());
  c.input.complete();
  assert.ok(c.done());
});

test('hash is subscribed at the first DIGEST only', () => {
  let subscribed = 0;
  const counted: OperatorFunction<DigestWork, Buffer> = (source) => defer(() => (subscribed++, source.pipe(inlineHash)));
  const c = collect(deferring(), counted);
  c.read('SET k v\r\nGET k\r\n');
  assert.is(subscribed, 0);
  c.read('DIGEST k\r\nDIGEST k 2\r\n');
  c.read('DIGEST k 3\r\n');
  assert.is(subscribed, 1);
  assert.is(c.seen.length, 4);
});

test('DIGEST interleaved, slow hash: replies of this read and of later reads wait; all come in request order', async () => {
  const c = collect(deferring(), slowHash);
  c.read('SET k one\r\nDIGEST k 30\r\nPING\r\nDIGEST k 1\r\nSET k two\r\n');
  c.read('GET k\r\n');
  c.read('DIGEST k 5\r\nECHO last\r\n');
  assert.equal(c.seen, ['+OK\r\n']);
  await sleep(100);
  assert.equal(c.seen, ['+OK\r\n', '<one x30>', '+PONG\r\n', '<one x1>', '+OK\r\n', '$3\r\ntwo\r\n', '<two x5>', '$4\r\nlast\r\n']);
  assert.not.ok(c.done());
});

test('the end of the input cancels pending DIGEST work, as Redis frees a client whose input ended', async () => {
  const works: DigestWork[] = [];
  const c = collect(deferring(), (source) => source.pipe(map((w) => (works.push(w), w)), slowHash));
  c.read('SET k one\r\nDIGEST k 30\r\nPING\r\n');
  c.input.complete();
  assert.ok(c.done(), 'complete at once');
  assert.equal(c.seen, ['+OK\r\n']);
  assert.equal(works.map((w) => w.cancelled), [true]);
  await sleep(60);
  assert.equal(c.seen, ['+OK\r\n']);
});

test('after the DIGESTs are answered, reads pass straight through again', async () => {
  const c = collect(deferring(), slowHash);
  c.read('SET k v\r\nDIGEST k 2\r\n');
  await sleep(30);
  c.read('PING\r\n');
  assert.equal(c.seen, ['+OK\r\n', '<v x2>', '+PONG\r\n']);
});

test('same bytes as respReplies + digestReplies over random reads split anywhere (inline hash)', async () => {
  let seed = 12345;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const vocabulary = ['SET k a\r\n', 'SET k bb\r\n', 'GET k\r\n', 'DIGEST k\r\n', 'DIGEST k 3\r\n', 'DIGEST nope\r\n', 'PING\r\n', 'INCR n\r\n', 'DEL k\r\n'];
  for (let round = 0; round < 50; round++) {
    let text = '';
    for (let i = rand(40); i >= 0; i--) text += vocabulary[rand(vocabulary.length)];
    if (rand(4) === 0) text += 'QUIT\r\nPING\r\n';
    const reads: Buffer[] = [];
    for (let at = 0; at < text.length;) {
      const size = 1 + rand(30);
      reads.push(Buffer.from(text.slice(at, at + size), 'latin1'));
      at += size;
    }
    // Copies: a deferred batch reads its chunk until it is resumed, and the chunks are shared by both runs.
    const fused = await lastValueFrom(from(reads.map((r) => Buffer.from(r))).pipe(sessionReplies(deferring(), inlineHash), toArray()));
    const staged = await lastValueFrom(
      from(reads.map((r) => Buffer.from(r))).pipe(respReplies(deferring()), digestReplies(inlineHash), toArray()),
    );
    assert.is(Buffer.concat(fused).toString('latin1'), Buffer.concat(staged).toString('latin1'), text);
  }
});

test('QUIT behind a pending DIGEST: +OK waits, the input is dropped, the stream completes after the last reply', async () => {
  const c = collect(deferring(), slowHash);
  c.read('SET k v\r\nDIGEST k 10\r\nQUIT\r\nSET k w\r\n');
  assert.not.ok(c.input.observed, 'no more reading after QUIT');
  assert.not.ok(c.done());
  await sleep(50);
  assert.equal(c.seen, ['+OK\r\n', '<v x10>', '+OK\r\n']);
  assert.ok(c.done());
});

test('a protocol error after a DIGEST is answered after the rest of the batch, then the stream completes', async () => {
  const keyspace = new Keyspace();
  const c = collect(deferring(keyspace), slowHash);
  c.read('SET k v\r\nDIGEST k\r\nPING\r\n*1\r\n$x\r\n');
  assert.not.ok(c.input.observed);
  await sleep(30);
  assert.equal(c.seen, ['+OK\r\n', '<v x1>', '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n']);
  assert.ok(c.done());
});

test('a session without deferDigest answers DIGEST inline and never subscribes hash', async () => {
  const hex = digest(Buffer.from('v'), 2);
  const never: OperatorFunction<DigestWork, Buffer> = () => throwError(() => new Error('hash used'));
  const out = await lastValueFrom(of(Buffer.from('SET k v\r\nDIGEST k 2\r\n')).pipe(sessionReplies(new RespSession(new Keyspace()), never), toArray()));
  assert.equal(out.map((b) => b.toString()), [`+OK\r\n$64\r\n${hex}\r\n`]);
});

test('errors: an input error errors the stream at once, pending replies are dropped', () => {
  const c = collect(deferring(), slowHash);
  c.read('SET k v\r\nDIGEST k 10\r\nPING\r\n');
  c.input.error(new Error('reset'));
  assert.is((c.failed() as Error).message, 'reset');
  assert.equal(c.seen, ['+OK\r\n']);
});

test('errors: a failing hash errors the stream and the rest of that batch does not run', () => {
  const keyspace = new Keyspace();
  const c = collect(deferring(keyspace), concatMap(() => throwError(() => new Error('pool gone'))));
  c.read('SET k v\r\nDIGEST k\r\nSET k w\r\n');
  assert.is((c.failed() as Error).message, 'pool gone');
  assert.not.ok(c.input.observed);
  assert.equal(c.seen, ['+OK\r\n']);
  assert.is(Buffer.from(keyspace.get('k')!).toString(), 'v');
});

test('errors: a command with a bug errors the stream; the session is closing', () => {
  const boom = { name: 'boom', arity: 1, run: () => { throw new Error('a bug'); } };
  const session = new RespSession(new Keyspace(), { deferDigest: true, commands: new CommandTable([...commands, boom]) });
  const c = collect(session, slowHash);
  c.read('PING\r\nBOOM\r\n');
  assert.is((c.failed() as Error).message, 'a bug');
  assert.equal(c.seen, []);
  assert.ok(session.closing);
  assert.not.ok(c.input.observed);
});

test('unsubscribe while a DIGEST is pending: the input and the hash are released, nothing more comes out', async () => {
  let hashReleased = false;
  const c = collect(deferring(), (source) => source.pipe(slowHash, finalize(() => (hashReleased = true))));
  c.read('SET k v\r\nDIGEST k 10\r\nPING\r\n');
  c.subscription.unsubscribe();
  assert.not.ok(c.input.observed);
  assert.ok(hashReleased);
  await sleep(30);
  assert.equal(c.seen, ['+OK\r\n']);
  assert.not.ok(c.done());
});

test('a QUIT read while subscribing stops reading at once, even while a DIGEST is pending', async () => {
  let released = false;
  const source = new Observable<Buffer>((subscriber) => {
    subscriber.next(Buffer.from('SET k v\r\nDIGEST k 5\r\nQUIT\r\n'));
    return () => (released = true);
  });
  const seen: string[] = [];
  let completed = false;
  source.pipe(sessionReplies(deferring(), slowHash)).subscribe({ next: (b) => seen.push(b.toString()), complete: () => (completed = true) });
  assert.ok(released);
  assert.not.ok(completed);
  await sleep(30);
  assert.equal(seen, ['+OK\r\n', '<v x5>', '+OK\r\n']);
  assert.ok(completed);
});

test('same bytes with an output budget of one byte: every batch pauses and goes on (no connection: at once)', async () => {
  const reads = [`SET k ${'v'.repeat(300)}\r\nGET k\r\nDIGEST k 2\r\nGET k\r\n`, 'GET k\r\nDIGEST k\r\nPING\r\nGET k\r\n', 'QUIT\r\nPING\r\n'];
  const expected = await lastValueFrom(
    from(reads.map((read) => Buffer.from(read, 'latin1'))).pipe(respReplies(deferring()), digestReplies(inlineHash), toArray()),
  );
  for (const hash of [inlineHash, slowHash]) {
    const paced = await lastValueFrom(
      from(reads.map((read) => Buffer.from(read, 'latin1'))).pipe(
        sessionReplies(new RespSession(new Keyspace(), { deferDigest: true, outputBudget: 1 }), hash),
        toArray(),
      ),
    );
    const want = Buffer.concat(expected).toString('latin1');
    if (hash === inlineHash) assert.is(Buffer.concat(paced).toString('latin1'), want);
    else assert.is(Buffer.concat(paced).toString('latin1').replace(/<[^>]*>/g, '<d>'), want.replace(/\$64\r\n[0-9a-f]{64}\r\n/g, '<d>'));
  }
});

test('paced by the connection: 100 GETs of a 1 MB value to a peer that does not read build about one write buffer; all arrive once it reads', async () => {
  const keyspace = new Keyspace();
  let built = 0;
  // The replies behind a DIGEST wait for its (slow) hash, then go on at the socket's pace.
  const hash = concatMap((w: DigestWork) => of(Buffer.from(`$64\r\n${digest(w.value, w.rounds)}\r\n`, 'latin1')).pipe(delay(20)));
  let port = 0;
  const server = listen({ host: '127.0.0.1', port: 0, onListening: (s) => (port = (s.address as { port: number }).port) })
    .pipe(handle((connection) => connection.data$.pipe(
      sessionReplies(new RespSession(keyspace, { deferDigest: true, outputBudget: REPLY_BUDGET }), hash, { connection }),
      tap((reply) => (built += reply.length)),
      sendTo(connection),
    )))
    .subscribe();
  try {
    for (let i = 0; i < 100 && port === 0; i++) await sleep(10);
    const value = 'v'.repeat(1_000_000);
    const socket = netConnect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const chunks: Buffer[] = [];
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    socket.write(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${value.length}\r\n${value}\r\n`);
    for (let i = 0; i < 500 && received < 5; i++) await sleep(10);
    assert.is(received, 5);
    socket.pause();
    socket.write(`${'GET big\r\n'.repeat(50)}DIGEST big 2\r\n${'GET big\r\n'.repeat(50)}`);
    await sleep(500);
    assert.ok(built < 16 * 1024 * 1024, `${built} bytes of replies built for a peer that reads nothing`);
    socket.resume();
    const reply = `$${value.length}\r\n${value}\r\n`;
    const total = 5 + 100 * reply.length + 71;
    for (let i = 0; i < 3000 && received < total; i++) await sleep(10);
    assert.is(received, total);
    const text = Buffer.concat(chunks).toString('latin1');
    assert.ok(text === `+OK\r\n${reply.repeat(50)}$64\r\n${digest(value, 2)}\r\n${reply.repeat(50)}`, 'every reply, in order');
    socket.destroy();
  } finally {
    server.unsubscribe();
  }
});

test.run();
