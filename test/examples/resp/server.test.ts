// The RESP example server, run by `serve` under every topology and driven by real clients: ioredis, redis-cli,
// redis-benchmark and raw sockets. One server per topology. Under singleReactor and pooledReactor the keyspace is
// this process's; under multiReactor the keyspace service runs in this process too (the main process), so every
// suite uses its own key prefix.
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import type { Redis } from 'ioredis';
import { nodeFeatures } from '../../../src/backends/node/nodeFeatures.js';
import { multiReactor } from '../../../schedulers/multiReactor.js';
import { pooledReactor } from '../../../schedulers/pooledReactor.js';
import { serve } from '../../../schedulers/serve.js';
import { singleReactor } from '../../../schedulers/singleReactor.js';
import type { Server, ServerEvent, Topology } from '../../../schedulers/Topology.js';
import { closeClients, rawClient, redisClient, requireProgram, runProgram } from './respClients.js';

const handlerModule = new URL('../../../examples/resp/handler.js', import.meta.url);

/** SHA-256 of `value`, then of the digest, `rounds` times in all: what DIGEST must answer. */
function sha256Chain(value: string, rounds: number): string {
  let hash = createHash('sha256').update(value, 'latin1').digest();
  for (let i = 1; i < rounds; i++) hash = createHash('sha256').update(hash).digest();
  return hash.toString('hex');
}

/** The sub-reactors' accept counts (empty for a one-process topology). */
async function acceptedBySub(server: Server): Promise<Map<string, number>> {
  const { reactors } = await firstValueFrom(server.stats$);
  return new Map(reactors.filter((r) => r.reactor.startsWith('sub-')).map((r) => [r.reactor, r.accepted]));
}

test('redis-cli and redis-benchmark are installed (the topology suites below drive them)', () => {
  requireProgram('redis-cli');
  requireProgram('redis-benchmark');
});

test.run();

const features = await nodeFeatures();
const topologies: ReadonlyArray<readonly [string, string, () => Topology]> = [
  ['singleReactor()', 'single', () => singleReactor()],
  ['pooledReactor({ workers: 2 })', 'pooled', () => pooledReactor({ workers: 2 })],
  ["multiReactor({ reactors: 2, accept: 'acceptor' })", 'acceptor', () => multiReactor({ reactors: 2, accept: 'acceptor' })],
  ["multiReactor({ reactors: 2, accept: 'shared' })", 'shared', () => multiReactor({ reactors: 2, accept: 'shared' })],
  // Sub-reactor threads, where this Node.js runs them (see multiReactorThreads.test.ts): one keyspace for the
  // clients of every thread too.
  ...(features.transferableSockets
    ? [["multiReactor({ reactors: 2, accept: 'acceptor', threads: true })", 'threads-acceptor',
      () => multiReactor({ reactors: 2, accept: 'acceptor', threads: true })] as const]
    : []),
  ...(features.reusePort
    ? [["multiReactor({ reactors: 2, accept: 'shared', threads: true })", 'threads-shared',
      () => multiReactor({ reactors: 2, accept: 'shared', threads: true })] as const]
    : []),
];
/** Topologies whose connections are spread over two sub-reactors. */
const spread = (prefix: string): boolean => prefix !== 'single' && prefix !== 'pooled';

for (const [name, prefix, topology] of topologies) {
  const it = suite(`RESP server on ${name}`);
  let server: Server | undefined;
  let port = 0;
  const events: ServerEvent[] = [];
  const key = (k: string): string => `${prefix}:${k}`;

  it.before(async () => {
    server = await serve(handlerModule, { host: '127.0.0.1', port: 0, scheduler: topology(), statsInterval: 50 });
    server.events$.subscribe((event) => events.push(event));
    assert.is(server.address.kind, 'inet');
    port = (server.address as { port: number }).port;
  });

  it.after.each(() => closeClients());

  it.after(async () => {
    await server?.stop({ deadline: 200 });
    assert.equal(events.filter((event) => event.type !== 'worker-exit'), [], 'no handler errors, no reactor exits');
  });

  it('ioredis: a pipeline of SET, GET, INCR, MGET, EXPIRE, TTL, PTTL, DEL gets every reply, in order', async () => {
    const client = await redisClient(port);
    const results = await client
      .pipeline()
      .set(key('a'), 'alpha')
      .get(key('a'))
      .set(key('n'), '41')
      .incr(key('n'))
      .incrby(key('n'), 8)
      .mget(key('a'), key('n'), key('missing'))
      .expire(key('a'), 100)
      .ttl(key('a'))
      .pexpire(key('n'), 100_000)
      .pttl(key('n'))
      .ttl(key('missing'))
      .del(key('a'), key('missing'))
      .get(key('a'))
      .exec();
    assert.ok(results);
    for (const [error] of results) assert.is(error, null);
    const values = results.map(([, value]) => value);
    assert.equal(values.slice(0, 9), ['OK', 'alpha', 'OK', 42, 50, ['alpha', '50', null], 1, 100, 1]);
    assert.ok((values[9] as number) > 99_000 && (values[9] as number) <= 100_000, `pttl ${String(values[9])}`);
    assert.equal(values.slice(10), [-2, 1, null]);
  });

  it('ioredis: connections on every sub-reactor see one keyspace; INCR from all of them adds up', async () => {
    // Keep connecting until at least 4 clients are open and (multi-reactor) both sub-reactors serve some.
    const clients: Redis[] = [];
    const servedBy = new Set<string>();
    for (let attempt = 0; attempt < 64 && (clients.length < 4 || (spread(prefix) ? servedBy.size < 2 : false)); attempt++) {
      const before = await acceptedBySub(server!);
      const client = await redisClient(port);
      assert.is(await client.ping(), 'PONG');
      const after = await acceptedBySub(server!);
      for (const [reactor, accepted] of after) if (accepted > (before.get(reactor) ?? 0)) servedBy.add(reactor);
      clients.push(client);
    }
    if (spread(prefix)) assert.equal([...servedBy].sort(), ['sub-0', 'sub-1']);
    assert.ok(clients.length >= 4);

    await Promise.all(clients.map((client, i) => client.set(key(`cross:${i}`), `from ${i}`)));
    const names = clients.map((_, i) => key(`cross:${i}`));
    const expected = clients.map((_, i) => `from ${i}`);
    for (const client of clients) assert.equal(await client.mget(...names), expected);

    const rounds = 25;
    await Promise.all(clients.map(async (client) => {
      for (let i = 0; i < rounds; i++) await client.incr(key('counter'));
    }));
    for (const client of clients) assert.is(await client.get(key('counter')), String(rounds * clients.length));

    // A write acknowledged to one connection is seen at once by the next command of any other.
    for (let i = 0; i < clients.length; i++) {
      await clients[i]!.set(key('baton'), String(i));
      assert.is(await clients[(i + 1) % clients.length]!.get(key('baton')), String(i));
    }
  });

  it('ioredis: DIGEST equals a locally computed SHA-256 chain, hashes the value as it was, and keeps replies in order', async () => {
    const client = await redisClient(port);
    const other = await redisClient(port);
    const results = await client
      .pipeline()
      .set(key('d'), 'first value')
      .call('digest', key('d'), '20000')
      .set(key('d'), 'second value')
      .get(key('d'))
      .call('digest', key('d'))
      .call('digest', key('none'), '5')
      .call('digest', key('d'), '0')
      .exec();
    assert.ok(results);
    assert.equal(results.slice(0, 6).map(([error, value]) => [error, value]), [
      [null, 'OK'],
      [null, sha256Chain('first value', 20_000)],
      [null, 'OK'],
      [null, 'second value'],
      [null, sha256Chain('second value', 1)],
      [null, null],
    ]);
    assert.match(String(results[6]![0]), /rounds must be between 1 and 1000000/);
    // Another connection is answered while (and after) DIGESTs run.
    assert.is(await other.call('digest', key('d'), '3'), sha256Chain('second value', 3));
  });

  if (prefix === 'pooled') {
    it('pooledReactor: a long DIGEST hashes on the worker pool, so another connection is answered meanwhile', async () => {
      const slow = await redisClient(port);
      const quick = await redisClient(port);
      await slow.set(key('long'), 'v');
      const finished: string[] = [];
      const digesting = (slow.call('digest', key('long'), '400000') as Promise<string>).then((hex) => {
        finished.push('digest');
        return hex;
      });
      digesting.catch(() => undefined);
      let inFlight = 0;
      for (let i = 0; i < 200 && inFlight === 0 && finished.length === 0; i++) {
        inFlight = (await firstValueFrom(server!.stats$)).reactors[0]!.tasksInFlight ?? 0;
        if (inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.is(inFlight, 1, 'the DIGEST is a task on the pool');
      assert.is(await quick.ping(), 'PONG');
      finished.push('ping');
      assert.is(await digesting, sha256Chain('v', 400_000));
      assert.equal(finished, ['ping', 'digest']);
    });
  }

  it('redis-cli: PING, SET and GET, commands from stdin, and no warnings on stderr', async () => {
    const args = ['-h', '127.0.0.1', '-p', String(port)];
    const ping = await runProgram('redis-cli', [...args, 'ping']);
    assert.equal(ping, { stdout: 'PONG\n', stderr: '', code: 0 });
    const set = await runProgram('redis-cli', [...args, 'set', key('cli'), 'hello world']);
    assert.equal(set, { stdout: 'OK\n', stderr: '', code: 0 });
    const get = await runProgram('redis-cli', [...args, 'get', key('cli')]);
    assert.equal(get, { stdout: 'hello world\n', stderr: '', code: 0 });
    const piped = await runProgram('redis-cli', args, `PING\r\nINCR ${key('piped')}\r\nINCR ${key('piped')}\r\nGET ${key('cli')}\r\n`);
    assert.equal(piped, { stdout: 'PONG\n1\n2\nhello world\n', stderr: '', code: 0 });
  });

  it('inline commands on a raw socket, quoting included', async () => {
    const raw = await rawClient(port, `PING\r\nSET ${key('inline')} "two words"\r\nGET ${key('inline')}\r\nECHO 'it\\'s'\r\n`);
    await raw.waitFor((text) => text.length >= 36, 'four replies');
    assert.is(raw.received(), '+PONG\r\n+OK\r\n$9\r\ntwo words\r\n$4\r\nit\'s\r\n');
  });

  it('redis-benchmark -P 16: every test completes and is reported, with no errors', async () => {
    const run = await runProgram('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', '10', '-n', '2000', '-t', 'ping,set,get,incr,mset', '-P', '16', '-q']);
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stderr, '');
    const lines = run.stdout.split(/[\r\n]+/).map((line) => line.trim()).filter((line) => /requests per second/.test(line));
    const tests = lines.map((line) => line.slice(0, line.indexOf(':')));
    assert.equal(tests, ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)']);
    assert.not.match(run.stdout, /error|ERR/i);
  });

  it('bad input: -ERR Protocol error, then closed; another client keeps working throughout', async () => {
    const bystander = await redisClient(port);
    assert.is(await bystander.set(key('bystander'), 'fine'), 'OK');
    const cases: readonly (readonly [string, string])[] = [
      ['*1\r\n$-5\r\nPING\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
      ['*2\r\n$3\r\nGET\r\n$99999999999\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
      ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
      ['*x\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
      ['PING\r\n*1\r\nPING\r\n', "+PONG\r\n-ERR Protocol error: expected '$', got 'P'\r\n"],
      ['GET "unbalanced\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    ];
    for (const [input, reply] of cases) {
      const raw = await rawClient(port, input);
      assert.is(await raw.closed, reply, JSON.stringify(input));
      assert.is(await bystander.get(key('bystander')), 'fine');
    }
    // As in Redis, a negative multibulk count is skipped rather than refused.
    const skipped = await rawClient(port, '*-5\r\nPING\r\n');
    assert.is(await skipped.waitFor((text) => text.length >= 7, 'a PONG'), '+PONG\r\n');
  });

  it('QUIT: +OK, then closed, and nothing after it in the same read runs', async () => {
    const raw = await rawClient(port, `SET ${key('q')} before\r\nQUIT\r\nSET ${key('q')} after\r\n`);
    assert.is(await raw.closed, '+OK\r\n+OK\r\n');
    const client = await redisClient(port);
    assert.is(await client.get(key('q')), 'before');
    assert.is(await client.quit(), 'OK');
  });

  it('end of input: everything sent before the FIN is answered, then the server closes', async () => {
    const raw = await rawClient(port);
    raw.socket.end(`SET ${key('fin')} 1\r\nINCR ${key('fin')}\r\nGET ${key('fin')}\r\n`);
    assert.is(await raw.closed, `+OK\r\n:2\r\n$1\r\n2\r\n`);
  });

  it('end of input behind a long DIGEST: the replies before it, then closed (its hashing is cancelled)', async () => {
    const raw = await rawClient(port);
    raw.socket.end(`SET ${key('fin')} 1\r\nDIGEST ${key('fin')} 1000000\r\nGET ${key('fin')}\r\n`);
    assert.is(await raw.closed, '+OK\r\n');
  });

  it('active expiry reclaims keys nobody reads again', async () => {
    const client = await redisClient(port);
    const before = await client.dbsize();
    const pipeline = client.pipeline();
    for (let i = 0; i < 50; i++) pipeline.set(key(`volatile:${i}`), 'x', 'PX', 20);
    await pipeline.exec();
    assert.ok((await client.dbsize()) >= before + 50);
    let size = await client.dbsize();
    for (let i = 0; i < 100 && size > before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      size = await client.dbsize();
    }
    assert.is(size, before);
  });

  it.run();
}
