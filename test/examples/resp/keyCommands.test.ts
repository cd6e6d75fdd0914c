import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness } from './respHarness.js';

const NOT_INTEGER = '-ERR value is not an integer or out of range\r\n';

test('DEL and EXISTS count keys, repeats included', () => {
  const h = new Harness();
  h.call('MSET', 'a', '1', 'b', '2');
  assert.is(h.call('EXISTS', 'a', 'a', 'b', 'c'), ':3\r\n');
  assert.is(h.call('DEL', 'a', 'a', 'b', 'c'), ':2\r\n');
  assert.is(h.call('EXISTS', 'a', 'b'), ':0\r\n');
  assert.is(h.call('DEL'), "-ERR wrong number of arguments for 'del' command\r\n");
  assert.is(h.call('EXISTS'), "-ERR wrong number of arguments for 'exists' command\r\n");
});

test('EXPIRE, TTL and PTTL with a fake clock', () => {
  const h = new Harness();
  assert.is(h.call('TTL', 'k'), ':-2\r\n');
  assert.is(h.call('PTTL', 'k'), ':-2\r\n');
  assert.is(h.call('EXPIRE', 'k', '10'), ':0\r\n');
  h.call('SET', 'k', 'v');
  assert.is(h.call('TTL', 'k'), ':-1\r\n');
  assert.is(h.call('PTTL', 'k'), ':-1\r\n');
  assert.is(h.call('EXPIRE', 'k', '10'), ':1\r\n');
  assert.is(h.call('TTL', 'k'), ':10\r\n');
  assert.is(h.call('PTTL', 'k'), ':10000\r\n');
  h.now += 1_499;
  assert.is(h.call('TTL', 'k'), ':9\r\n'); // 8501 ms rounds to 9
  h.now += 2;
  assert.is(h.call('TTL', 'k'), ':8\r\n'); // 8499 ms rounds to 8
  assert.is(h.call('PEXPIRE', 'k', '1'), ':1\r\n');
  assert.is(h.call('PTTL', 'k'), ':1\r\n');
  assert.is(h.call('TTL', 'k'), ':0\r\n');
  h.now += 1;
  assert.is(h.call('GET', 'k'), '$1\r\nv\r\n');
  h.now += 1;
  assert.is(h.call('TTL', 'k'), ':-2\r\n');
  assert.is(h.call('GET', 'k'), '$-1\r\n');
});

test('EXPIRE with a time not in the future deletes the key', () => {
  const h = new Harness();
  h.call('SET', 'k', 'v');
  assert.is(h.call('EXPIRE', 'k', '0'), ':1\r\n');
  assert.is(h.call('EXISTS', 'k'), ':0\r\n');
  h.call('SET', 'k', 'v');
  assert.is(h.call('PEXPIRE', 'k', '-5'), ':1\r\n');
  assert.is(h.call('DBSIZE'), ':0\r\n');
});

test('EXPIRE NX, XX, GT, LT', () => {
  const h = new Harness();
  h.call('SET', 'k', 'v');
  assert.is(h.call('EXPIRE', 'k', '100', 'XX'), ':0\r\n');
  assert.is(h.call('EXPIRE', 'k', '100', 'GT'), ':0\r\n');
  assert.is(h.call('EXPIRE', 'k', '100', 'lt'), ':1\r\n');
  assert.is(h.call('EXPIRE', 'k', '200', 'nx'), ':0\r\n');
  assert.is(h.call('EXPIRE', 'k', '200', 'gt'), ':1\r\n');
  assert.is(h.call('EXPIRE', 'k', '200', 'GT'), ':0\r\n');
  assert.is(h.call('EXPIRE', 'k', '300', 'LT'), ':0\r\n');
  assert.is(h.call('EXPIRE', 'k', '50', 'XX', 'LT'), ':1\r\n');
  assert.is(h.call('TTL', 'k'), ':50\r\n');
  assert.is(h.call('SET', 'j', 'v'), '+OK\r\n');
  assert.is(h.call('EXPIRE', 'j', '50', 'NX'), ':1\r\n');
});

test('EXPIRE errors, in Redis order', () => {
  const h = new Harness();
  h.call('SET', 'k', 'v');
  const nx = '-ERR NX and XX, GT or LT options at the same time are not compatible\r\n';
  assert.is(h.call('EXPIRE', 'k', '10', 'NX', 'XX'), nx);
  assert.is(h.call('EXPIRE', 'k', '10', 'gt', 'nx'), nx);
  assert.is(h.call('EXPIRE', 'k', '10', 'NX', 'LT'), nx);
  assert.is(h.call('EXPIRE', 'k', '10', 'GT', 'LT'), '-ERR GT and LT options at the same time are not compatible\r\n');
  assert.is(h.call('EXPIRE', 'k', '10', 'FOO'), '-ERR Unsupported option FOO\r\n');
  assert.is(h.call('EXPIRE', 'k', 'abc', 'FOO'), '-ERR Unsupported option FOO\r\n');
  assert.is(h.call('EXPIRE', 'k', 'abc'), NOT_INTEGER);
  assert.is(h.call('EXPIRE', 'k', '9223372036854776'), "-ERR invalid expire time in 'expire' command\r\n");
  assert.is(h.call('EXPIRE', 'k', '-9223372036854776'), "-ERR invalid expire time in 'expire' command\r\n");
  assert.is(h.call('EXPIRE', 'k', '9223372036854775'), "-ERR invalid expire time in 'expire' command\r\n");
  assert.is(h.call('PEXPIRE', 'k', '9223372036854775807'), "-ERR invalid expire time in 'pexpire' command\r\n");
  assert.is(h.call('EXPIRE', 'missing', '9223372036854775'), "-ERR invalid expire time in 'expire' command\r\n");
  assert.is(h.call('EXPIRE', 'k'), "-ERR wrong number of arguments for 'expire' command\r\n");
  assert.is(h.call('TTL'), "-ERR wrong number of arguments for 'ttl' command\r\n");
  assert.is(h.call('PTTL', 'a', 'b'), "-ERR wrong number of arguments for 'pttl' command\r\n");
  assert.is(h.call('TTL', 'k'), ':-1\r\n');
  // The most negative times still delete.
  assert.is(h.call('EXPIRE', 'k', '-9223372036854775'), ':1\r\n');
  assert.is(h.call('EXISTS', 'k'), ':0\r\n');
});

test('DBSIZE, FLUSHDB, FLUSHALL', () => {
  const h = new Harness();
  h.call('MSET', 'a', '1', 'b', '2');
  assert.is(h.call('DBSIZE'), ':2\r\n');
  assert.is(h.call('FLUSHDB', 'foo'), '-ERR syntax error\r\n');
  assert.is(h.call('FLUSHDB', 'ASYNC', 'x'), '-ERR syntax error\r\n');
  assert.is(h.call('DBSIZE', 'x'), "-ERR wrong number of arguments for 'dbsize' command\r\n");
  assert.is(h.call('FLUSHDB', 'async'), '+OK\r\n');
  assert.is(h.call('DBSIZE'), ':0\r\n');
  h.call('SET', 'a', '1');
  assert.is(h.call('FLUSHALL', 'SYNC'), '+OK\r\n');
  h.call('SET', 'a', '1');
  assert.is(h.call('FLUSHALL'), '+OK\r\n');
  assert.is(h.call('FLUSHDB'), '+OK\r\n');
  assert.is(h.call('DBSIZE'), ':0\r\n');
});

test('expired keys: DBSIZE counts them until touched or actively expired', () => {
  const h = new Harness();
  h.call('SET', 'a', '1', 'PX', '10');
  h.call('SET', 'b', '1', 'PX', '10');
  h.now += 11;
  assert.is(h.call('DBSIZE'), ':2\r\n');
  assert.is(h.call('DEL', 'a'), ':0\r\n');
  assert.is(h.call('DBSIZE'), ':1\r\n');
  assert.is(h.keyspace.activeExpire(), 1);
  assert.is(h.call('DBSIZE'), ':0\r\n');
});

test.run();
