// Real Redis clients against the server `npm start` runs (the rxloop CLI: `rxloop serve resp`), on each topology:
// node-redis with its default options (it opens with HELLO 3, so RESP3), ioredis (RESP2) and redis-cli, plain and
// with -3. Transactions and pub/sub, the two things a client library builds its own machinery for.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { nodeFeatures } from '../../../src/backends/node/nodeFeatures.js';
import { startRedis, type RedisOracle } from './redisOracle.js';
import { requireProgram, runProgram, type ProgramRun } from './respClients.js';

/** The one line that differs between this server and redis-server in redis-cli's HELLO output, and the client id. */
function normalizeVersion(run: ProgramRun): ProgramRun {
  return { ...run, stdout: run.stdout.replace(/7\.0\.\d+/g, '7.0.x').replace(/(id"?\s*(=>)?\s*(\(integer\) )?)\d+/g, '$1<id>').replace(/\nid\n\d+\n/g, '\nid\n<id>\n') };
}

let redis: RedisOracle | undefined;

const cli = fileURLToPath(new URL('../../../bin/rxloop.js', import.meta.url));

/** Starts `rxloop serve resp --port 0` with the given scheduler and resolves with its port once it listens. */
function startCli(args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', 'resp', '--host', '127.0.0.1', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (err += text));
    child.once('exit', (code) => reject(new Error(`rxloop serve resp exited (${code}) before listening: ${err}`)));
  });
}

async function stopCli(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const within = <T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`expected ${what} within ${ms} ms`)), ms))]);

const features = await nodeFeatures();
const schedulers = [
  ['--scheduler', 'single'],
  // The io_uring backend under one reactor (CI's machines run io_uring; uringSupport.test.ts says so loudly).
  ['--scheduler', 'single', '--backend', 'uring'],
  ['--scheduler', 'pooled', '--workers', '1'],
  ['--scheduler', 'multi', '--reactors', '2'],
  // Sub-reactor threads, where this Node.js runs them (acceptor mode moves sockets: 24.20 on).
  ...(features.transferableSockets ? [['--scheduler', 'multi', '--reactors', '2', '--threads']] : []),
];

for (const scheduler of schedulers) {
  const it = suite(`real clients against rxloop serve resp ${scheduler.join(' ')}`);
  let child: ChildProcess | undefined;
  let port = 0;
  const closers: (() => Promise<unknown> | void)[] = [];

  it.before(async () => {
    requireProgram('redis-cli');
    redis ??= await startRedis();
    ({ child, port } = await startCli(scheduler));
  });

  it.after.each(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it.after(async () => {
    await stopCli(child);
  });

  it('node-redis, default options (RESP3 through HELLO 3): commands, MULTI/EXEC, WATCH, pub/sub with patterns', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
    client.on('error', () => undefined);
    closers.push(() => client.destroy());
    await within(client.connect(), 'node-redis to connect');
    assert.is(await client.set('nr:k', 'v'), 'OK');
    assert.is(await client.get('nr:k'), 'v');
    assert.is(await client.get('nr:missing'), null);
    assert.equal(await client.multi().set('nr:n', '1').incr('nr:n').get('nr:n').exec(), ['OK', 2, '2']);
    // WATCH on a connection of its own (the client isolates it); a write from elsewhere aborts the EXEC.
    const watcher = client.duplicate();
    watcher.on('error', () => undefined);
    closers.push(() => watcher.destroy());
    await watcher.connect();
    await watcher.watch('nr:n');
    await client.incr('nr:n');
    const aborted = await watcher.multi().incr('nr:n').exec().then(
      (replies) => ({ replies }),
      (error: Error) => ({ error: error.message }),
    );
    // What node-redis reports when redis-server answers EXEC with a null (checked against redis-server too).
    assert.equal(aborted, { error: 'One (or more) of the watched keys has been changed' });
    assert.is(await client.get('nr:n'), '3');

    const subscriber = client.duplicate();
    subscriber.on('error', () => undefined);
    closers.push(() => subscriber.destroy());
    await subscriber.connect();
    const got: string[] = [];
    const both = new Promise<void>((resolve) => {
      const heard = (line: string): void => {
        if (!line.endsWith(':hello')) return;
        got.push(line);
        if (got.length === 2) resolve();
      };
      void subscriber.subscribe('nr:news', (message, channel) => heard(`${channel}:${message}`));
      void subscriber.pSubscribe('nr:n*', (message, channel) => heard(`p ${channel}:${message}`));
    });
    for (let i = 0; i < 50 && (await client.publish('nr:news', 'probe')) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    // RESP3: the subscribed connection still runs ordinary commands.
    assert.is(await subscriber.get('nr:k'), 'v');
    assert.is(await client.publish('nr:news', 'hello'), 2);
    await within(both, 'both messages');
    assert.equal(got.sort(), ['nr:news:hello', 'p nr:news:hello']);
  });

  it('ioredis (RESP2): MULTI/EXEC, pub/sub, and the subscribed mode', async () => {
    const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => null, lazyConnect: true });
    const subscriber = new Redis({ host: '127.0.0.1', port, retryStrategy: () => null, lazyConnect: true });
    for (const each of [client, subscriber]) {
      each.on('error', () => undefined);
      closers.push(() => each.disconnect());
      await each.connect();
    }
    assert.equal(await client.multi().set('io:n', '10').incrby('io:n', 5).get('io:n').exec(), [[null, 'OK'], [null, 15], [null, '15']]);
    const message = new Promise<[string, string]>((resolve) => subscriber.on('message', (channel: string, text: string) => resolve([channel, text])));
    assert.is(await subscriber.subscribe('io:news'), 1);
    const refused = await subscriber.get('io:n').then(() => 'ran', (error: Error) => error.message);
    assert.match(refused, /subscriber mode|only \(P\|S\)SUBSCRIBE/);
    assert.is(await client.publish('io:news', 'hi'), 1);
    assert.equal(await within(message, 'the message'), ['io:news', 'hi']);
  });

  it('redis-cli and redis-cli -3 print what they print for redis-server: MULTI/EXEC, HELLO, SUBSCRIBE and PUBLISH', async () => {
    const base = ['-h', '127.0.0.1', '-p', String(port)];
    const oracle = ['-h', '127.0.0.1', '-p', String(redis!.port)];
    const script = 'SET cli:t 0\nDEL cli:t\nMULTI\nSET cli:t 1\nINCR cli:t\nEXEC\nGET cli:none\nHELLO 3\nGET cli:none\nMGET cli:t cli:none\nCONFIG GET save\n';
    for (const flags of [[], ['-3'], ['--no-raw'], ['-3', '--no-raw']]) {
      const ours = await runProgram('redis-cli', [...flags, ...base], script);
      const theirs = await runProgram('redis-cli', [...flags, ...oracle], script);
      assert.equal(normalizeVersion(ours), normalizeVersion(theirs), flags.join(' '));
      assert.is(ours.code, 0);
    }

    for (const flags of [[], ['-3']]) {
      const channel = `cli:news${flags.length}`;
      const listener = spawn('redis-cli', [...flags, ...base, 'SUBSCRIBE', channel], { stdio: ['ignore', 'pipe', 'pipe'] });
      closers.push(() => void listener.kill());
      let out = '';
      listener.stdout.setEncoding('utf8');
      const heard = new Promise<void>((resolve) => listener.stdout.on('data', (text: string) => {
        out += text;
        if (out.includes('hello from cli')) resolve();
      }));
      for (let i = 0; i < 100; i++) {
        const published = await runProgram('redis-cli', [...base, 'PUBLISH', channel, 'hello from cli']);
        if (published.stdout.trim() !== '(integer) 0' && published.stdout.trim() !== '0') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await within(heard, `redis-cli ${flags.join(' ')} SUBSCRIBE to print the message`);
      assert.match(out, new RegExp(`message\\n.*${channel}\\n.*hello from cli`));
    }
  });

  it.run();
}

const last = suite('real clients: the oracle');
last.after(async () => {
  await redis?.stop();
});
last('stops', () => undefined);
last.run();
