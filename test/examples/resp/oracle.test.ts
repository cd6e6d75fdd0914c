// The RESP server against a real redis-server (Debian's redis-server package, started here): the same bytes on a
// fresh connection to each, the same bytes back, step by step, under singleReactor and multiReactor. These are
// the rows of issue 17's "Seen": what Redis answers (or does not answer yet) is the expected value.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { multiReactor } from '../../../schedulers/multiReactor.js';
import { serve } from '../../../schedulers/serve.js';
import { singleReactor } from '../../../schedulers/singleReactor.js';
import type { Server, Topology } from '../../../schedulers/Topology.js';
import { converseBeside, startRedis, type RedisOracle } from './redisOracle.js';

const handlerModule = new URL('../../../examples/resp/handler.js', import.meta.url);

const bytes = (from: number, to: number): string => {
  let text = '';
  for (let b = from; b <= to; b++) text += String.fromCharCode(b);
  return text;
};

/** Conversations: a name and the bytes of each step (every case runs on its own keys, `<p>` is replaced). */
const cases: readonly (readonly [string, readonly string[]])[] = [
  // Protocol rows of "Seen".
  ['*1048577 waits for its arguments', ['*1048577\r\n$4\r\nPING\r\n', '$1\r\nx\r\n']],
  ['a multibulk count up to INT_MAX is accepted, one above is not', ['*2147483647\r\n', '*2147483648\r\n']],
  ['an inline command holding NUL waits, and so does everything after it', ['SET <p>nul a\0b\r\nPING\r\n', 'PING\r\n']],
  ['a line of binary garbage holding NUL waits', [`${bytes(0, 255)}\r\n`, 'PING\r\n']],
  ['a line of binary garbage without NUL: split at its LF, then unbalanced quotes', [`${bytes(1, 255)}\r\n`]],
  ['* and 70,000 digits: invalid multibulk length', [`*${'1'.repeat(70_000)}\r\n`]],
  ['* and 200,000 digits: too big mbulk count string', [`*${'1'.repeat(200_000)}\r\n`]],
  ['an inline line of 70,000 bytes is a command', [`ECHO ${'a'.repeat(70_000)}\r\n`]],
  ['a bulk header holding NUL waits', ['*1\r\n$4\0\r\nPING\r\n', 'PING\r\n']],
  ['negative and zero counts run nothing', ['*0\r\n*-1\r\nPING\r\n']],
  ['bad bulk lengths', ['*1\r\n$-5\r\nPING\r\n']],
  ['expected $', ['PING\r\n*1\r\nPING\r\n']],
  ['unbalanced quotes', ['GET "unbalanced\r\n']],
  // SELECT and databases.
  ['SELECT 1 to 15 are databases of their own; 16 is out of range', [
    'SELECT 1\r\nSET <p>k one\r\nGET <p>k\r\n', 'SELECT 0\r\nGET <p>k\r\nSELECT 15\r\nSELECT 16\r\nSELECT -1\r\nSELECT x\r\n',
  ]],
  // Commands that were missing.
  ['STRLEN, APPEND, GETDEL, TYPE', [
    'STRLEN <p>s\r\nAPPEND <p>s hello\r\nAPPEND <p>s " world"\r\nSTRLEN <p>s\r\nGET <p>s\r\nTYPE <p>s\r\nTYPE <p>none\r\n',
    'GETDEL <p>s\r\nGETDEL <p>s\r\nEXISTS <p>s\r\nAPPEND\r\nSTRLEN a b\r\n',
  ]],
  ['APPEND grows a long value and keeps its TTL', [
    `SET <p>long ${'x'.repeat(2000)} EX 100\r\nAPPEND <p>long ${'y'.repeat(3000)}\r\nSTRLEN <p>long\r\nTTL <p>long\r\nAPPEND <p>long z\r\nSTRLEN <p>long\r\n`,
  ]],
  ['KEYS and SCAN on one key, MATCH, COUNT, TYPE and their errors', [
    'SELECT 9\r\nSET <p>only 1\r\nKEYS <p>o*\r\nKEYS <p>x*\r\nSCAN 0 MATCH <p>o* COUNT 100\r\nSCAN 0 MATCH <p>o* TYPE string COUNT 100\r\n',
    'SCAN 0 MATCH <p>o* TYPE list COUNT 100\r\nSCAN x\r\nSCAN 0 COUNT 0\r\nSCAN 0 COUNT x\r\nSCAN 0 FOO\r\nSCAN 0 MATCH\r\nKEYS\r\n',
    'DEL <p>only\r\nSELECT 0\r\n',
  ]],
  ['PERSIST, TTL', ['SET <p>t v EX 100\r\nPERSIST <p>t\r\nTTL <p>t\r\nPERSIST <p>t\r\nPERSIST <p>none\r\n']],
  // Transactions.
  ['MULTI, EXEC, DISCARD', [
    'MULTI\r\nSET <p>m 1\r\nINCR <p>m\r\nGET <p>m\r\nEXEC\r\n', 'MULTI\r\nINCR <p>m\r\nDISCARD\r\nGET <p>m\r\n',
    'EXEC\r\nDISCARD\r\nMULTI\r\nMULTI\r\nWATCH x\r\nEXEC\r\n',
  ]],
  ['a command refused while queueing dooms EXEC; errors inside EXEC do not', [
    'MULTI\r\nSET <p>e 1\r\nNOSUCH\r\nGET\r\nEXEC\r\nEXISTS <p>e\r\n',
    'SET <p>e abc\r\nMULTI\r\nINCR <p>e\r\nSET <p>e 5\r\nINCR <p>e\r\nEXEC\r\n',
  ]],
  ['WATCH: a watched key written before EXEC makes it a null reply; UNWATCH; SELECT inside MULTI', [
    'WATCH <p>w\r\nSET <p>w 1\r\nMULTI\r\nINCR <p>w\r\nEXEC\r\nGET <p>w\r\n',
    'WATCH <p>w\r\nUNWATCH\r\nSET <p>w 5\r\nMULTI\r\nINCR <p>w\r\nSELECT 2\r\nEXEC\r\nGET <p>w\r\nSELECT 0\r\nGET <p>w\r\n',
  ]],
  ['QUIT inside MULTI runs at once', ['MULTI\r\nSET <p>q 1\r\nQUIT\r\n']],
  // HELLO and RESP3.
  ['HELLO errors', [
    'HELLO 4\r\nHELLO x\r\nHELLO 3 FOO\r\nHELLO 3 AUTH bob pw\r\nHELLO 3 SETNAME "a b"\r\nHELLO 3 AUTH default\r\n',
  ]],
  ['HELLO 2 and 3, and RESP3 replies', [
    'HELLO 2 SETNAME first\r\n', 'HELLO 3 AUTH default anything\r\n',
    'GET <p>none\r\nMGET <p>none <p>none\r\nSET <p>r v\r\nMGET <p>r <p>none\r\nCONFIG GET save\r\nCOMMAND INFO get set mset del nosuch\r\n',
    'WATCH <p>r\r\nSET <p>r w\r\nMULTI\r\nGET <p>r\r\nEXEC\r\nCLIENT GETNAME\r\nPING\r\nECHO hi\r\n',
    'SUBSCRIBE <p>ch\r\nPING\r\nGET <p>r\r\nUNSUBSCRIBE <p>ch\r\nUNSUBSCRIBE\r\nHELLO 2\r\nGET <p>none\r\n',
  ]],
  // CLIENT.
  ['CLIENT SETNAME, GETNAME and their errors', [
    'CLIENT GETNAME\r\nCLIENT SETNAME myname\r\nCLIENT GETNAME\r\nCLIENT SETNAME ""\r\nCLIENT GETNAME\r\n',
    'CLIENT SETNAME "a b"\r\nCLIENT SETNAME a\\nb\r\nCLIENT FOO\r\nCLIENT\r\nCLIENT SETNAME\r\nCLIENT ID x\r\n',
  ]],
  // Pub/sub on one connection.
  ['SUBSCRIBE, PSUBSCRIBE, the RESP2 subscribed mode, UNSUBSCRIBE', [
    'SUBSCRIBE <p>a\r\nPSUBSCRIBE <p>p.*\r\nPING\r\nPING x\r\nGET k\r\nMULTI\r\n',
    'PUNSUBSCRIBE <p>p.*\r\nUNSUBSCRIBE <p>a\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nPING\r\n',
    'SUBSCRIBE <p>b\r\nRESET\r\nPING\r\nPUBLISH <p>b m\r\n',
  ]],
  ['COMMAND INFO in RESP2', [
    'COMMAND INFO get set mget mset del exists strlen append getdel incr decrby ttl pttl expire persist type watch nosuch\r\n',
    'COMMAND INFO dbsize flushdb flushall keys scan ping echo select quit hello reset multi exec discard unwatch\r\n',
    'COMMAND INFO subscribe unsubscribe psubscribe punsubscribe publish info\r\n',
  ]],
  ['PUBLISH with nobody listening; PUBSUB', ['PUBLISH <p>nobody m\r\nPUBSUB NUMSUB <p>nobody\r\nPUBSUB NUMPAT\r\nPUBSUB CHANNELS <p>zz*\r\n']],
];

/** What may differ and is not a difference: the version, client ids. */
function normalize(text: string): string {
  return text
    .replace(/\$6\r\n7\.0\.15\r\n|\$5\r\n7\.0\.0\r\n/g, '<version>')
    .replace(/\$2\r\nid\r\n:\d+\r\n/g, '$2\r\nid\r\n:<id>\r\n');
}

const topologies: readonly (readonly [string, () => Topology])[] = [
  ['singleReactor()', () => singleReactor()],
  ["multiReactor({ reactors: 2 })", () => multiReactor({ reactors: 2 })],
];

let redis: RedisOracle | undefined;

for (const [name, topology] of topologies) {
  const it = suite(`RESP server answers as redis-server does, on ${name}`);
  let server: Server | undefined;
  let port = 0;
  const prefix = name.startsWith('single') ? 'o1:' : 'o2:';

  it.before(async () => {
    redis ??= await startRedis();
    server = await serve(handlerModule, { host: '127.0.0.1', port: 0, scheduler: topology() });
    port = (server.address as { port: number }).port;
  });

  it.after(async () => {
    await server?.stop({ deadline: 200 });
  });

  for (const [title, steps] of cases) {
    it(title, async () => {
      const script = steps.map((step) => step.replaceAll('<p>', prefix));
      const [expected, actual] = await converseBeside(redis!.port, port, script);
      for (let i = 0; i < script.length; i++) {
        assert.is(normalize(actual[i]!), normalize(expected[i]!), `step ${i + 1}: ${JSON.stringify(script[i]!.slice(0, 80))}`);
      }
    });
  }

  it('CLIENT INFO and CLIENT LIST have Redis 7.0 fields, the real addresses, and this connection\'s state', async () => {
    const script = ['CLIENT SETNAME probe\r\nSELECT 3\r\nHELLO 3\r\nSUBSCRIBE x\r\n', 'CLIENT ID\r\nCLIENT INFO\r\nCLIENT LIST ID 999999\r\n'];
    const [expected, actual] = await converseBeside(redis!.port, port, script);
    const fields = (reply: string): Map<string, string> => {
      const line = /id=\d+ [^\r\n]*/.exec(reply)![0];
      return new Map(line.split(' ').map((pair) => pair.split('=') as [string, string]));
    };
    const theirs = fields(expected[1]!);
    const ours = fields(actual[1]!);
    assert.equal([...ours.keys()], [...theirs.keys()]);
    for (const key of ['name', 'db', 'sub', 'psub', 'ssub', 'flags', 'multi', 'cmd', 'user', 'redir', 'resp']) {
      assert.is(ours.get(key), theirs.get(key), key);
    }
    assert.match(ours.get('addr')!, /^127\.0\.0\.1:\d+$/);
    assert.is(ours.get('laddr'), `127.0.0.1:${port}`);
    assert.is(ours.get('id'), /:(\d+)\r\n/.exec(actual[1]!)![1]);
    // CLIENT LIST ID of nobody: an empty verbatim string from both.
    assert.ok(expected[1]!.endsWith('=4\r\ntxt:\r\n'), expected[1]);
    assert.ok(actual[1]!.endsWith('=4\r\ntxt:\r\n'), actual[1]);
  });

  it.run();
}

const last = suite('the oracle');
last.after(async () => {
  await redis?.stop();
});
last('redis-server was asked', () => {
  assert.ok(redis === undefined || redis.port > 0);
});
last.run();
