// respReplies and the session's DIGEST deferral (RespSessionOptions.deferDigest) it drives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { CommandTable } from '../../../examples/resp/CommandTable.js';
import { commands } from '../../../examples/resp/commands.js';
import { digest } from '../../../examples/resp/digest.js';
import { Keyspace } from '../../../examples/resp/Keyspace.js';
import type { RespOutput } from '../../../examples/resp/RespOutput.js';
import { respReplies } from '../../../examples/resp/respReplies.js';
import { RespSession } from '../../../examples/resp/RespSession.js';
import { resp } from './respHarness.js';

/** Outputs as strings: replies as latin1, DIGEST work as `<digest value rounds>`. */
function show(outputs: readonly RespOutput[]): string[] {
  return outputs.map((output) =>
    Buffer.isBuffer(output) ? output.toString('latin1') : 'proceed' in output ? '<held>' : `<digest ${Buffer.from(output.value).toString('latin1')} ${output.rounds}>`,
  );
}

async function run(session: RespSession, ...reads: string[]): Promise<string[]> {
  return show(await lastValueFrom(from(reads.map((read) => Buffer.from(read, 'latin1'))).pipe(respReplies(session), toArray())));
}

test('a read without DIGEST leaves as one buffer; the stream completes with the input', async () => {
  const session = new RespSession(new Keyspace(), { deferDigest: true });
  assert.equal(await run(session, `${resp('SET', 'k', 'v')}GET k\r\nPING\r\n`, '*1\r\n$4\r\nPI', 'NG\r\n'), [
    '+OK\r\n$1\r\nv\r\n+PONG\r\n',
    '+PONG\r\n',
  ]);
});

test('deferDigest: a read splits at each DIGEST into the replies before, the work, and the rest', async () => {
  const session = new RespSession(new Keyspace(), { deferDigest: true });
  const read = `SET k one\r\nDIGEST k 3\r\nDIGEST k\r\nSET k two\r\nDIGEST missing\r\nDIGEST k 2\r\nGET k\r\n`;
  // The work carries the value as DIGEST read it, whatever later commands of the batch store.
  assert.equal(await run(session, read), ['+OK\r\n', '<digest one 3>', '<digest one 1>', '+OK\r\n$-1\r\n', '<digest two 2>', '$3\r\ntwo\r\n']);
});

test('deferDigest: argument errors are answered in place, nothing is deferred', async () => {
  const session = new RespSession(new Keyspace(), { deferDigest: true });
  assert.equal(await run(session, 'DIGEST k x\r\nDIGEST k 0\r\nDIGEST k 1 2\r\n'), [
    '-ERR value is not an integer or out of range\r\n-ERR rounds must be between 1 and 1000000\r\n-ERR syntax error\r\n',
  ]);
});

test('without deferDigest, DIGEST replies inline', async () => {
  const session = new RespSession(new Keyspace());
  const hex = digest(Buffer.from('v'), 2);
  assert.equal(await run(session, 'SET k v\r\nDIGEST k 2\r\nPING\r\n'), [`+OK\r\n$64\r\n${hex}\r\n+PONG\r\n`]);
  assert.is(session.deferred, undefined);
});

test('QUIT after a DIGEST: the work, then +OK, then the stream completes and later reads are ignored', async () => {
  const session = new RespSession(new Keyspace(), { deferDigest: true });
  const outputs = new Subject<Buffer>();
  const seen: RespOutput[] = [];
  let completed = false;
  outputs.pipe(respReplies(session)).subscribe({ next: (o) => seen.push(o), complete: () => (completed = true) });
  outputs.next(Buffer.from('SET k v\r\nDIGEST k\r\nQUIT\r\nSET k w\r\n'));
  assert.ok(completed);
  assert.equal(show(seen), ['+OK\r\n', '<digest v 1>', '+OK\r\n']);
  assert.ok(session.closing);
});

test('a protocol error after a DIGEST is answered after the rest of the batch, then the stream completes', async () => {
  const session = new RespSession(new Keyspace(), { deferDigest: true });
  assert.equal(await run(session, 'SET k v\r\nDIGEST k\r\nPING\r\n*1\r\n$x\r\n', 'PING\r\n'), [
    '+OK\r\n',
    '<digest v 1>',
    '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n',
  ]);
});

test('handle() while a DIGEST waits to be resumed fails with ERR_INVALID_ARGUMENT; resume() without one is empty', () => {
  const session = new RespSession(new Keyspace(), { deferDigest: true });
  session.handle(Buffer.from('SET k v\r\nDIGEST k\r\nPING\r\n'));
  assert.ok(session.deferred);
  try {
    session.handle(Buffer.from('PING\r\n'));
    assert.unreachable('handle should throw');
  } catch (error) {
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  }
  assert.is(session.resume().toString(), '+PONG\r\n');
  assert.is(session.deferred, undefined);
  assert.is(session.resume().length, 0);
});

test('a command with a bug errors the stream', async () => {
  const boom = { name: 'boom', arity: 1, run: () => { throw new Error('a bug'); } };
  const session = new RespSession(new Keyspace(), { commands: new CommandTable([...commands, boom]) });
  try {
    await run(session, 'PING\r\nBOOM\r\n');
    assert.unreachable('the stream should error');
  } catch (error) {
    assert.is((error as Error).message, 'a bug');
  }
  assert.ok(session.closing);
});

test.run();
