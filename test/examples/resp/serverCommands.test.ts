import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commands } from '../../../examples/resp/commands.js';
import { Harness } from './respHarness.js';

test('PING and ECHO', () => {
  const h = new Harness();
  assert.is(h.call('PING'), '+PONG\r\n');
  assert.is(h.send('PING\r\n'), '+PONG\r\n');
  assert.is(h.call('ping', 'hello'), '$5\r\nhello\r\n');
  assert.is(h.call('PING', 'a', 'b'), "-ERR wrong number of arguments for 'ping' command\r\n");
  assert.is(h.call('ECHO', 'a\r\nb'), '$4\r\na\r\nb\r\n');
  assert.is(h.call('ECHO'), "-ERR wrong number of arguments for 'echo' command\r\n");
  assert.is(h.call('ECHO', 'a', 'b'), "-ERR wrong number of arguments for 'echo' command\r\n");
});

test('SELECT chooses one of 16 databases, each with its own keys', () => {
  const h = new Harness();
  assert.is(h.call('SELECT', '0'), '+OK\r\n');
  assert.is(h.call('SET', 'k', 'zero'), '+OK\r\n');
  assert.is(h.call('SELECT', '15'), '+OK\r\n');
  assert.is(h.call('GET', 'k'), '$-1\r\n');
  assert.is(h.call('SET', 'k', 'fifteen'), '+OK\r\n');
  assert.is(h.call('DBSIZE'), ':1\r\n');
  assert.is(h.call('SELECT', '16'), '-ERR DB index is out of range\r\n');
  assert.is(h.call('GET', 'k'), '$7\r\nfifteen\r\n');
  assert.is(h.call('FLUSHDB'), '+OK\r\n');
  assert.is(h.call('SELECT', '0'), '+OK\r\n');
  assert.is(h.call('GET', 'k'), '$4\r\nzero\r\n');
  assert.is(h.call('FLUSHALL'), '+OK\r\n');
  assert.is(h.call('DBSIZE'), ':0\r\n');
  assert.is(h.call('SELECT', '-1'), '-ERR DB index is out of range\r\n');
  assert.is(h.call('SELECT', 'abc'), '-ERR value is not an integer or out of range\r\n');
  assert.is(h.call('SELECT', '00'), '-ERR value is not an integer or out of range\r\n');
  const range = '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n';
  assert.is(h.call('SELECT', '2147483648'), range);
  assert.is(h.call('SELECT', '-2147483649'), range);
  assert.is(h.call('SELECT'), "-ERR wrong number of arguments for 'select' command\r\n");
});

test('QUIT replies OK and closes; later commands do not run', () => {
  const h = new Harness();
  assert.is(h.send('SET a 1\r\nQUIT now\r\nSET b 2\r\n'), '+OK\r\n+OK\r\n');
  assert.ok(h.session.closing);
  assert.is(h.send('SET c 3\r\n'), '');
  assert.is(h.keyspace.size, 1);
});

test('COMMAND lists every command that exists here, COMMAND INFO in Redis 7 terms; COUNT, LIST, DOCS', () => {
  const h = new Harness();
  const list = h.call('COMMAND');
  assert.ok(list.startsWith(`*${commands.length}\r\n*10\r\n$3\r\nget\r\n:2\r\n`), list.slice(0, 40));
  assert.is(h.call('COMMAND', 'COUNT'), `:${commands.length}\r\n`);
  assert.is(
    h.call('COMMAND', 'INFO', 'get', 'nosuch'),
    '*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n' +
      '*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n' +
      '*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n' +
      '$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n' +
      '*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n$-1\r\n',
  );
  const names = h.call('COMMAND', 'LIST');
  for (const name of ['multi', 'exec', 'watch', 'hello', 'client', 'subscribe', 'publish', 'scan', 'getdel', 'digest']) {
    assert.ok(names.includes(`\r\n${name}\r\n`), name);
  }
  assert.not.ok(names.includes('\r\nlpush\r\n'));
  assert.is(h.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'get*'), '*2\r\n$3\r\nget\r\n$6\r\ngetdel\r\n');
  assert.is(h.call('command', 'docs'), '*0\r\n');
  assert.is(h.call('COMMAND', 'DOCS', 'get'), '*0\r\n');
  assert.is(h.call('COMMAND', 'COUNT', 'x'), "-ERR wrong number of arguments for 'command|count' command\r\n");
  assert.is(h.call('command', 'foo'), "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n");
});

test('CONFIG GET answers what redis-benchmark asks', () => {
  const h = new Harness();
  assert.is(h.call('CONFIG', 'GET', 'save'), '*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
  assert.is(h.call('CONFIG', 'GET', 'appendonly'), '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n');
  assert.is(h.call('config', 'get', 'SAVE', 'save', 'nope'), '*2\r\n$4\r\nSAVE\r\n$0\r\n\r\n');
  assert.is(h.call('CONFIG', 'GET', 'save', 's*'), '*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
  assert.is(h.call('CONFIG', 'GET', 'a*'), '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n');
  assert.is(
    h.call('CONFIG', 'GET', '*'),
    '*8\r\n$10\r\nappendonly\r\n$2\r\nno\r\n$9\r\ndatabases\r\n$2\r\n16\r\n' +
      '$9\r\nmaxmemory\r\n$1\r\n0\r\n$4\r\nsave\r\n$0\r\n\r\n',
  );
  assert.is(h.call('CONFIG', 'GET', 'foo*bar'), '*0\r\n');
  assert.is(h.call('CONFIG', 'GET'), "-ERR wrong number of arguments for 'config|get' command\r\n");
  assert.is(h.call('CONFIG'), "-ERR wrong number of arguments for 'config' command\r\n");
  assert.is(h.call('config', 'foo'), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
});

test('CONFIG SET accepts only the values in force; CONFIG RESETSTAT', () => {
  const h = new Harness();
  assert.is(h.call('CONFIG', 'SET', 'save', ''), '+OK\r\n');
  assert.is(h.call('CONFIG', 'SET', 'SAVE', '', 'appendonly', 'no'), '+OK\r\n');
  const unknown = "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n";
  assert.is(h.call('CONFIG', 'SET', 'foo', 'bar'), unknown);
  assert.is(
    h.call('CONFIG', 'SET', 'appendonly', 'yes'),
    "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - not supported here\r\n",
  );
  assert.is(h.call('CONFIG', 'SET', 'save', '', 'x'), '-ERR syntax error\r\n');
  assert.is(h.call('CONFIG', 'SET', 'save'), "-ERR wrong number of arguments for 'config|set' command\r\n");
  assert.is(h.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
});

test('INFO sections', () => {
  const h = new Harness();
  const server = '# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\narch_bits:64\r\n';
  const clients = '# Clients\r\nconnected_clients:1\r\npubsub_clients:0\r\n';
  const stats = '# Stats\r\nexpired_keys:0\r\npubsub_channels:0\r\npubsub_patterns:0\r\n';
  const bulk = (text: string): string => `$${text.length}\r\n${text}\r\n`;
  assert.is(h.call('INFO'), bulk(`${server}\r\n${clients}\r\n${stats}\r\n# Keyspace\r\n`));
  h.call('SET', 'a', '1', 'EX', '10');
  h.call('SET', 'b', '1');
  h.call('SELECT', '3');
  h.call('SET', 'c', '1');
  const keyspace = '# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n';
  assert.is(h.call('INFO', 'keyspace'), bulk(keyspace));
  assert.is(h.call('INFO', 'SERVER'), bulk(server));
  assert.is(h.call('INFO', 'all'), bulk(`${server}\r\n${clients}\r\n${stats}\r\n${keyspace}`));
  assert.is(h.call('HELLO', '3').slice(0, 2), '%7');
  assert.is(h.call('INFO', 'SERVER'), `=${server.length + 4}\r\ntxt:${server}\r\n`);
  assert.is(h.call('INFO', 'everything'), h.call('INFO', 'default'));
  assert.is(h.call('INFO', 'nope'), '=4\r\ntxt:\r\n');
});

test.run();
