import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { digest } from '../../../examples/resp/digest.js';
import { Harness } from './respHarness.js';

const NOT_INTEGER = '-ERR value is not an integer or out of range\r\n';
const SYNTAX = '-ERR syntax error\r\n';

test('GET and SET', () => {
  const h = new Harness();
  assert.is(h.call('GET', 'k'), '$-1\r\n');
  assert.is(h.call('SET', 'k', 'v'), '+OK\r\n');
  assert.is(h.call('GET', 'k'), '$1\r\nv\r\n');
  assert.is(h.call('set', 'k', ''), '+OK\r\n');
  assert.is(h.call('get', 'k'), '$0\r\n\r\n');
  assert.is(h.call('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
  assert.is(h.call('GET', 'a', 'b'), "-ERR wrong number of arguments for 'get' command\r\n");
  assert.is(h.call('SET', 'k'), "-ERR wrong number of arguments for 'set' command\r\n");
});

test('keys and values are binary-safe, and stored values are copies of the read buffer', () => {
  const h = new Harness();
  const input = Buffer.from('*3\r\n$3\r\nSET\r\n$2\r\nk\xff\r\n$4\r\n\0\r\n\xee\r\n', 'latin1');
  h.session.handle(input);
  input.fill(0x41);
  assert.is(h.call('GET', 'k\xff'), '$4\r\n\0\r\n\xee\r\n');
  assert.is(h.call('GET', 'k\xfe'), '$-1\r\n');
});

test('SET NX and XX', () => {
  const h = new Harness();
  assert.is(h.call('SET', 'k', 'v', 'XX'), '$-1\r\n');
  assert.is(h.call('SET', 'k', 'v', 'nx'), '+OK\r\n');
  assert.is(h.call('SET', 'k', 'w', 'NX'), '$-1\r\n');
  assert.is(h.call('SET', 'k', 'w', 'xX'), '+OK\r\n');
  assert.is(h.call('GET', 'k'), '$1\r\nw\r\n');
  assert.is(h.call('SET', 'k', 'v', 'NX', 'NX'), '$-1\r\n');
  assert.is(h.call('SET', 'k', 'v', 'NX', 'XX'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'XX', 'NX'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'FOO'), SYNTAX);
});

test('SET GET returns the old value', () => {
  const h = new Harness();
  assert.is(h.call('SET', 'k', 'v', 'GET'), '$-1\r\n');
  assert.is(h.call('SET', 'k', 'w', 'GET'), '$1\r\nv\r\n');
  assert.is(h.call('SET', 'k', 'x', 'NX', 'GET'), '$1\r\nw\r\n');
  assert.is(h.call('GET', 'k'), '$1\r\nw\r\n');
  assert.is(h.call('SET', 'z', 'x', 'XX', 'GET'), '$-1\r\n');
  assert.is(h.call('GET', 'z'), '$-1\r\n');
});

test('SET EX, PX, EXAT, PXAT and KEEPTTL with a fake clock', () => {
  const h = new Harness();
  const t0 = h.now;
  assert.is(h.call('SET', 'k', 'v', 'EX', '10'), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('k'), t0 + 10_000);
  assert.is(h.call('SET', 'k', 'v', 'px', '1500'), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('k'), t0 + 1500);
  assert.is(h.call('SET', 'k', 'v', 'EX', '10', 'EX', '20'), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('k'), t0 + 20_000);
  assert.is(h.call('SET', 'k', 'w', 'KEEPTTL'), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('k'), t0 + 20_000);
  assert.is(h.call('SET', 'k', 'w'), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('k'), -1);
  assert.is(h.call('SET', 'k', 'v', 'EXAT', String((t0 + 5000) / 1000)), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('k'), t0 + 5000);
  assert.is(h.call('SET', 'k', 'v', 'PXAT', String(t0 + 7)), '+OK\r\n');
  h.now += 7;
  assert.is(h.call('GET', 'k'), '$1\r\nv\r\n');
  h.now += 1;
  assert.is(h.call('GET', 'k'), '$-1\r\n');
  // A time already past: stored, and gone at once.
  assert.is(h.call('SET', 'k', 'v', 'PXAT', '1'), '+OK\r\n');
  assert.is(h.call('EXISTS', 'k'), ':0\r\n');
  assert.is(h.call('SET', 'n', 'v', 'KEEPTTL'), '+OK\r\n');
  assert.is(h.keyspace.expiresAt('n'), -1);
});

test('SET expire errors, in Redis order', () => {
  const h = new Harness();
  const invalid = "-ERR invalid expire time in 'set' command\r\n";
  assert.is(h.call('SET', 'k', 'v', 'EX', '0'), invalid);
  assert.is(h.call('SET', 'k', 'v', 'EX', '-1'), invalid);
  assert.is(h.call('SET', 'k', 'v', 'PXAT', '0'), invalid);
  assert.is(h.call('SET', 'k', 'v', 'EX', 'abc'), NOT_INTEGER);
  assert.is(h.call('SET', 'k', 'v', 'EX', '1.5'), NOT_INTEGER);
  assert.is(h.call('SET', 'k', 'v', 'EX', '9223372036854775808'), NOT_INTEGER);
  assert.is(h.call('SET', 'k', 'v', 'EX', '9223372036854775807'), invalid);
  assert.is(h.call('SET', 'k', 'v', 'EX', '9223372036854776'), invalid);
  // LLONG_MAX / 1000 seconds is accepted by the first check, then overflows once now is added.
  assert.is(h.call('SET', 'k', 'v', 'EX', '9223372036854775'), invalid);
  assert.is(h.call('SET', 'k', 'v', 'PX', '9223372036854775807'), invalid);
  assert.is(h.call('SET', 'k', 'v', 'EXAT', '9223372036854775'), '+OK\r\n');
  assert.is(h.call('SET', 'k', 'v', 'PXAT', '9223372036854775807'), '+OK\r\n');
  assert.is(h.call('SET', 'k', 'v', 'EX', '10', 'PX', '10'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'EX', '10', 'KEEPTTL'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'KEEPTTL', 'EX', '10'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'EX'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'EXAT', '10', 'PXAT', '10'), SYNTAX);
  // Options are all checked before the expire value.
  assert.is(h.call('SET', 'k', 'v', 'EX', 'abc', 'NX', 'XX'), SYNTAX);
  assert.is(h.call('SET', 'k', 'v', 'NX', 'EX', '0'), invalid);
});

test('MGET and MSET', () => {
  const h = new Harness();
  assert.is(h.call('MSET', 'a', '1', 'b', '2', 'a', '3'), '+OK\r\n');
  assert.is(h.call('MGET', 'a', 'b', 'c'), '*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n');
  assert.is(h.call('MSET', 'a', 'b', 'c'), "-ERR wrong number of arguments for 'mset' command\r\n");
  assert.is(h.call('MSET', 'a'), "-ERR wrong number of arguments for 'mset' command\r\n");
  assert.is(h.call('MGET'), "-ERR wrong number of arguments for 'mget' command\r\n");
});

test('INCR, DECR, INCRBY, DECRBY', () => {
  const h = new Harness();
  assert.is(h.call('INCR', 'n'), ':1\r\n');
  assert.is(h.call('INCR', 'n'), ':2\r\n');
  assert.is(h.call('DECR', 'n'), ':1\r\n');
  assert.is(h.call('DECR', 'm'), ':-1\r\n');
  assert.is(h.call('INCRBY', 'n', '41'), ':42\r\n');
  assert.is(h.call('DECRBY', 'n', '50'), ':-8\r\n');
  assert.is(h.call('GET', 'n'), '$2\r\n-8\r\n');
  assert.is(h.call('INCRBY', 'n', '-0'), NOT_INTEGER);
  assert.is(h.call('INCRBY', 'n', '1.5'), NOT_INTEGER);
  assert.is(h.call('INCRBY', 'n', 'abc'), NOT_INTEGER);
  assert.is(h.call('INCRBY', 'n', '+1'), NOT_INTEGER);
  assert.is(h.call('INCRBY', 'n', '0'), ':-8\r\n');
  assert.is(h.call('DECRBY', 'n', 'x'), NOT_INTEGER);
  assert.is(h.call('INCRBY', 'c', '20000'), ':20000\r\n');
  assert.is(h.call('DECR', 'c'), ':19999\r\n');
  assert.is(h.call('INCR'), "-ERR wrong number of arguments for 'incr' command\r\n");
  assert.is(h.call('INCRBY', 'n'), "-ERR wrong number of arguments for 'incrby' command\r\n");
});

test('INCR on values that are not integers', () => {
  const h = new Harness();
  for (const value of ['abc', ' 1', '1 ', '007', '-0', '1.0', '', '99999999999999999999', '9223372036854775808']) {
    h.call('SET', 's', value);
    assert.is(h.call('INCR', 's'), NOT_INTEGER, JSON.stringify(value));
    assert.is(h.call('GET', 's'), `$${value.length}\r\n${value}\r\n`);
  }
  // The increment is checked before the stored value.
  assert.is(h.call('INCRBY', 's', 'x'), NOT_INTEGER);
});

test('INCR keeps the TTL', () => {
  const h = new Harness();
  h.call('SET', 'k', '10', 'EX', '100');
  assert.is(h.call('INCR', 'k'), ':11\r\n');
  assert.is(h.call('TTL', 'k'), ':100\r\n');
  h.now += 100_001;
  assert.is(h.call('INCR', 'k'), ':1\r\n');
  assert.is(h.call('TTL', 'k'), ':-1\r\n');
});

test('INCR at the edges of 64 bits', () => {
  const h = new Harness();
  const overflow = '-ERR increment or decrement would overflow\r\n';
  assert.is(h.call('INCRBY', 'n', '9223372036854775807'), ':9223372036854775807\r\n');
  assert.is(h.call('INCR', 'n'), overflow);
  assert.is(h.call('GET', 'n'), '$19\r\n9223372036854775807\r\n');
  assert.is(h.call('DECRBY', 'n', '9223372036854775807'), ':0\r\n');
  h.call('SET', 'm', '-9223372036854775808');
  assert.is(h.call('DECR', 'm'), overflow);
  assert.is(h.call('INCR', 'm'), ':-9223372036854775807\r\n');
  assert.is(h.call('DECRBY', 'x', '-9223372036854775808'), '-ERR decrement would overflow\r\n');
  assert.is(h.call('INCRBY', 'x', '-9223372036854775808'), ':-9223372036854775808\r\n');
  // Past 2^53 the arithmetic stays exact.
  assert.is(h.call('INCRBY', 'y', '9007199254740993'), ':9007199254740993\r\n');
  assert.is(h.call('INCRBY', 'y', '9007199254740993'), ':18014398509481986\r\n');
  assert.is(h.call('DECRBY', 'y', '1'), ':18014398509481985\r\n');
  h.call('SET', 'z', '9007199254740991');
  assert.is(h.call('INCR', 'z'), ':9007199254740992\r\n');
  assert.is(h.call('INCR', 'z'), ':9007199254740993\r\n');
  assert.is(h.call('GET', 'z'), '$16\r\n9007199254740993\r\n');
});

test('DIGEST', () => {
  const h = new Harness();
  assert.is(h.call('DIGEST', 'k'), '$-1\r\n');
  h.call('SET', 'k', 'abc');
  assert.is(h.call('DIGEST', 'k'), '$64\r\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\r\n');
  assert.is(h.call('DIGEST', 'k', '3'), `$64\r\n${digest(Buffer.from('abc'), 3)}\r\n`);
  assert.is(h.call('DIGEST', 'k', 'x'), NOT_INTEGER);
  assert.is(h.call('DIGEST', 'k', '0'), '-ERR rounds must be between 1 and 1000000\r\n');
  assert.is(h.call('DIGEST', 'k', '1000001'), '-ERR rounds must be between 1 and 1000000\r\n');
  assert.is(h.call('DIGEST', 'k', '1', '2'), SYNTAX);
  assert.is(h.call('DIGEST'), "-ERR wrong number of arguments for 'digest' command\r\n");
});

test.run();
