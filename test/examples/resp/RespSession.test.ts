import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyspace } from '../../../examples/resp/Keyspace.js';
import { RespSession } from '../../../examples/resp/RespSession.js';
import { RespWriter } from '../../../examples/resp/RespWriter.js';
import { Harness, resp } from './respHarness.js';

test('one read with many pipelined commands gives all replies in one buffer', () => {
  const h = new Harness();
  const input = [resp('SET', 'k', 'v'), resp('GET', 'k'), 'INCR n\r\n', resp('PING'), 'EXISTS k n x\r\n'].join('');
  assert.is(h.send(input), '+OK\r\n$1\r\nv\r\n:1\r\n+PONG\r\n:2\r\n');
  assert.not.ok(h.session.closing);
});

test('a read with no complete command replies nothing', () => {
  const h = new Harness();
  assert.is(h.send('*2\r\n$3\r\nGET\r\n$1'), '');
  assert.is(h.send('\r\nk\r\n'), '$-1\r\n');
});

test('any split of a pipeline into reads gives the same reply bytes', () => {
  const script = [
    resp('SET', 'k', 'v\r\n1'),
    'GET k\r\n',
    resp('MSET', 'a', '1', 'b', '2'),
    resp('MGET', 'a', 'b', 'c'),
    'INCRBY a 41\r\n',
    resp('NOPE', 'x'),
    resp('SET', 'big', 'z'.repeat(40_000)),
    resp('GET', 'big'),
    'DEL a b\r\n',
    resp('ECHO', ''),
    'DBSIZE\r\n',
  ].join('');
  const input = Buffer.from(script, 'latin1');
  const expected = new Harness().send(script);
  assert.ok(expected.endsWith(':2\r\n'));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 10 }), (cuts) => {
      const h = new Harness();
      const readBuffer = Buffer.alloc(input.length);
      let reply = '';
      let from = 0;
      for (const to of [...new Set(cuts)].sort((x, y) => x - y).concat(input.length)) {
        input.copy(readBuffer, 0, from, to);
        reply += h.session.handle(readBuffer.subarray(0, to - from)).toString('latin1');
        readBuffer.fill(0x21); // the reader reuses its buffer once handle returns
        from = to;
      }
      assert.is(reply, expected);
    }),
    { numRuns: 60 },
  );
});

test('a protocol error: replies so far, then -ERR Protocol error, then close', () => {
  const h = new Harness();
  assert.is(
    h.send('PING\r\nSET a 1\r\n*1\r\n$x\r\nSET b 2\r\n'),
    '+PONG\r\n+OK\r\n-ERR Protocol error: invalid bulk length\r\n',
  );
  assert.ok(h.session.closing);
  assert.is(h.send('PING\r\n'), '');
  assert.is(h.keyspace.size, 1);
});

test('each protocol error reaches the client with its Redis text', () => {
  const cases: [string, string][] = [
    ['*abc\r\n', 'invalid multibulk length'],
    ['*1\r\n$-1\r\n', 'invalid bulk length'],
    ['*1\r\nx\r\n', "expected '$', got 'x'"],
    ['GET "a\r\n', 'unbalanced quotes in request'],
    ['A'.repeat(65537), 'too big inline request'],
  ];
  for (const [input, message] of cases) {
    const h = new Harness();
    assert.is(h.send(input), `-ERR Protocol error: ${message}\r\n`);
    assert.ok(h.session.closing);
  }
});

test('parser limits are session options', () => {
  const h = new Harness({ maxBulkLength: 4 });
  assert.is(h.send(resp('SET', 'k', 'abcd')), '+OK\r\n');
  assert.is(h.send(resp('SET', 'k', 'abcde')), '-ERR Protocol error: invalid bulk length\r\n');
});

test('unknown commands, as Redis 7 words them', () => {
  const h = new Harness();
  assert.is(h.call('FOO'), "-ERR unknown command 'FOO', with args beginning with: \r\n");
  assert.is(h.call('foo', 'a', 'b c'), "-ERR unknown command 'foo', with args beginning with: 'a' 'b c' \r\n");
  assert.is(h.send('$3\r\n'), "-ERR unknown command '$3', with args beginning with: \r\n");
  assert.is(h.call('FOO', 'a\r\nb'), "-ERR unknown command 'FOO', with args beginning with: 'a  b' \r\n");
  assert.is(h.call('FO\0OX', 'a\0b'), "-ERR unknown command 'FO', with args beginning with: 'a' \r\n");
  const x = 'x'.repeat(60);
  const y = 'y'.repeat(60);
  const z = 'z'.repeat(60);
  assert.is(
    h.call('LONG', x, y, z, 'w'),
    `-ERR unknown command 'LONG', with args beginning with: '${x}' '${y}' 'zz' \r\n`, // 126 bytes listed: 2 left
  );
  assert.is(h.call('N'.repeat(200)), `-ERR unknown command '${'N'.repeat(128)}', with args beginning with: \r\n`);
});

test('sessions can share one writer and one keyspace', () => {
  const keyspace = new Keyspace();
  const writer = new RespWriter();
  const a = new RespSession(keyspace, { writer });
  const b = new RespSession(keyspace, { writer });
  const fromA = a.handle(Buffer.from('SET k 1\r\n'));
  const fromB = b.handle(Buffer.from('GET k\r\nINCR k\r\n'));
  const again = a.handle(Buffer.from('GET k\r\n'));
  assert.is(fromA.toString(), '+OK\r\n');
  assert.is(fromB.toString(), '$1\r\n1\r\n:2\r\n');
  assert.is(again.toString(), '$1\r\n2\r\n');
  assert.is(a.commands, b.commands);
  assert.is(a.keyspace, keyspace);
  assert.is(a.out, writer);
});

test('a session with its own command table', async () => {
  const { CommandTable } = await import('../../../examples/resp/CommandTable.js');
  const table = new CommandTable([{ name: 'hello', arity: 1, run: (ctx) => ctx.out.simple('hi') }]);
  const session = new RespSession(new Keyspace(), { commands: table });
  assert.is(
    session.handle(Buffer.from('HELLO\r\nPING\r\n')).toString(),
    "+hi\r\n-ERR unknown command 'PING', with args beginning with: \r\n",
  );
});

test('a command that throws drops its batch from a shared writer and closes its session', async () => {
  const { CommandTable } = await import('../../../examples/resp/CommandTable.js');
  const { commands } = await import('../../../examples/resp/commands.js');
  const boom = { name: 'boom', arity: 1, run: () => { throw new Error('bug'); } };
  const table = new CommandTable([...commands, boom]);
  const writer = new RespWriter();
  const keyspace = new Keyspace();
  const broken = new RespSession(keyspace, { writer, commands: table });
  const healthy = new RespSession(keyspace, { writer, commands: table });
  assert.throws(() => broken.handle(Buffer.from('PING\r\nBOOM\r\nPING\r\n')), /bug/);
  assert.ok(broken.closing);
  assert.is(broken.handle(Buffer.from('PING\r\n')).length, 0);
  assert.is(healthy.handle(Buffer.from('PING\r\n')).toString(), '+PONG\r\n');
});

test('outputBudget: a batch stops after the command that passes it; resume runs the rest, the same bytes', () => {
  const h = new Harness({ outputBudget: 19 });
  assert.is(h.call('SET', 'k', '0123456789abc'), '+OK\r\n');
  const session = h.session;
  const reply = '$13\r\n0123456789abc\r\n';
  assert.is(session.handle(Buffer.from('GET k\r\nGET k\r\nPING\r\n')).toString('latin1'), reply);
  assert.ok(session.paused);
  assert.throws(() => session.handle(Buffer.from('PING\r\n')), /expected resume\(\) after a paused batch/);
  assert.is(session.resume().toString('latin1'), reply);
  assert.ok(session.paused);
  assert.is(session.resume().toString('latin1'), '+PONG\r\n');
  assert.not.ok(session.paused);
  assert.is(session.resume().length, 0);
  // Small replies fit: one batch.
  assert.is(h.send('PING\r\nPING\r\n'), '+PONG\r\n+PONG\r\n');
  assert.not.ok(session.paused);
  // A protocol error after a paused batch is answered when the batch reaches it.
  assert.is(session.handle(Buffer.from('GET k\r\n*x\r\n')).toString('latin1'), reply);
  assert.not.ok(session.closing);
  assert.is(session.resume().toString('latin1'), '-ERR Protocol error: invalid multibulk length\r\n');
  assert.ok(session.closing);
});

test('outputBudget: a closed session is not paused any more', () => {
  const h = new Harness({ outputBudget: 5 });
  h.call('SET', 'k', 'v');
  h.send('GET k\r\nGET k\r\n');
  assert.ok(h.session.paused);
  h.session.close();
  assert.not.ok(h.session.paused);
  assert.is(h.session.resume().length, 0);
});

test.run();
